use sea_orm::entity::prelude::*;

/// One source folder (at one UIDVALIDITY) copied from one mailbox into another.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "journal_folders")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    pub mailbox: String,
    pub dest_mailbox: String,
    pub source_folder: String,
    pub uid_validity: i64,
    pub dest_folder: String,
    /// Every message below this UIDNEXT is on the destination.
    pub synced_uid_next: Option<i64>,
    pub synced_bytes: Option<i64>,
    /// HIGHESTMODSEQ at that time (CONDSTORE servers): flags changed since make the folder worth a look.
    pub synced_modseq: Option<i64>,
    /// Source UIDs (an IMAP UID set) whose APPEND was sent but not yet journalled.
    pub inflight_uids: Option<String>,
    /// The destination folder's UIDNEXT (or less) before those appends.
    pub inflight_floor: Option<i64>,
    pub created_at: i64,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
