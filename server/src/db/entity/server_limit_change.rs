use sea_orm::entity::prelude::*;

/// A change of a server's run-time limits by division IT (see `jobs::servers`): the latest row per
/// server is in force.
#[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
#[sea_orm(table_name = "server_limit_changes")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    /// `old` or `new`.
    pub server: String,
    pub max_connections: i32,
    pub max_mb_per_sec: Option<f64>,
    pub claims_paused: bool,
    pub reason: String,
    pub changed_by: String,
    pub changed_at: i64,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
