use sea_orm::entity::prelude::*;

/// A browser sign-in. The cookie holds a random token; only its SHA-256 is stored.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "sessions")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub token_hash: String,
    pub user_id: i64,
    pub roles: String,
    /// Also when `roles` were read from the provider (at sign-in).
    pub created_at: i64,
    pub expires_at: i64,
    /// When the session was last used (0: not since it began).
    pub last_seen_at: i64,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
