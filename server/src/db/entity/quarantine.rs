use sea_orm::entity::prelude::*;

/// A message that could not be copied: why, and its bytes when they could be read (whole, or only its
/// headers above the quarantine limits: then it is fetched again from the old server by its UID).
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "quarantine")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    pub folder_id: i64,
    pub source_uid: i64,
    pub reason: String,
    pub raw: Option<Vec<u8>>,
    /// `raw` is the whole message (else its headers only, or nothing).
    pub raw_is_whole: bool,
    /// The message's size on the old server, when it was read.
    pub size: Option<i64>,
    pub created_at: i64,
    /// IT's decision (`app::dto::DecisionKind`'s stored form); `None` while it waits.
    pub decision: Option<String>,
    /// A repair decision's repairs, comma-separated stored names.
    pub repairs: Option<String>,
    pub decision_reason: Option<String>,
    pub decided_by: Option<String>,
    pub decided_at: Option<i64>,
    /// A run sent it with its repairs: done, the original bytes kept.
    pub repaired_at: Option<i64>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
