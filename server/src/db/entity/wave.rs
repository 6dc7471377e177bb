use sea_orm::entity::prelude::*;

/// A phased migration division IT runs (see `jobs::waves`).
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "waves")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    #[sea_orm(unique)]
    pub name: String,
    /// `invite` or `it_run`.
    pub mode: String,
    pub concurrency: i32,
    pub window_start: Option<i64>,
    pub window_end: Option<i64>,
    /// `planned`, `running`, `paused` or `finished`.
    pub state: String,
    pub created_by: String,
    pub created_at: i64,
    pub updated_at: i64,
    /// When IT first started it (Unix seconds): its invitations go out then.
    pub started_at: Option<i64>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
