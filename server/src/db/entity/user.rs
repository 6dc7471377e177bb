use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "users")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    /// The identity provider's stable subject (`sub`).
    #[sea_orm(unique)]
    pub subject: String,
    /// The issuer that vouched for `subject` ("" for accounts made before it was recorded).
    pub issuer: String,
    pub email: String,
    pub display_name: String,
    /// Roles granted at the last sign-in, comma-separated (`user,helpdesk`).
    pub roles: String,
    pub created_at: i64,
    pub last_login_at: i64,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
