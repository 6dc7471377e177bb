use sea_orm::entity::prelude::*;

/// A scan of a person's old mailbox: folders with counts, sizes and where each will land.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "scans")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    pub user_id: i64,
    /// `queued`, `running`, `done` or `failed`.
    pub state: String,
    pub worker: Option<String>,
    pub heartbeat_at: Option<i64>,
    /// JSON of `db::stored::Scan` (versioned) once done.
    pub result: Option<String>,
    pub error: Option<String>,
    pub created_at: i64,
    pub updated_at: i64,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
