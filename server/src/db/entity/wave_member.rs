use sea_orm::entity::prelude::*;

/// Someone in a wave, with what the pre-flight scan found.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "wave_members")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    pub wave_id: i64,
    /// Lowercase (`app::dto::EmailAddress`).
    pub email: String,
    pub old_login: Option<String>,
    pub destination: Option<String>,
    pub note: Option<String>,
    pub bytes: Option<i64>,
    pub scanned_at: Option<i64>,
    pub added_by: String,
    pub added_at: i64,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
