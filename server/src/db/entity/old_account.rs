use sea_orm::entity::prelude::*;

/// A person's connected old account: the login, and in password mode the sealed password until the
/// migration ends.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "old_accounts")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub user_id: i64,
    pub login: String,
    /// Sealed with `SecretBox`, bound to the user id; `None` once purged (or in proxy/master mode).
    pub secret: Option<Vec<u8>>,
    pub verified_at: i64,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
