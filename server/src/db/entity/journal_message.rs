use sea_orm::entity::prelude::*;

/// A message that is on the destination: the journal's proof, so no run copies it twice.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "journal_messages")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub folder_id: i64,
    #[sea_orm(primary_key, auto_increment = false)]
    pub source_uid: i64,
    /// From APPENDUID, when the destination has UIDPLUS.
    pub dest_uid: Option<i64>,
    pub size: i64,
    pub copied_at: i64,
    /// The source's flags when copied (atoms separated by spaces): the base for flag updates later.
    pub flags: Option<String>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
