use sea_orm::entity::prelude::*;

/// A person IT sends to a destination other than the default new server (see `jobs::destinations`).
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "person_destinations")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    /// The person's new address, lowercase (`app::dto::EmailAddress`).
    #[sea_orm(unique)]
    pub email: String,
    /// A configured destination's name (`app::dto::DestinationName`).
    pub destination: String,
    pub set_by: String,
    pub set_at: i64,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
