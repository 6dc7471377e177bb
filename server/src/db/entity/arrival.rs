use sea_orm::entity::prelude::*;

/// A message that reached a person's old mailbox after delivery moved (see `jobs::cutover`).
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "arrivals")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    /// The person's new address, lowercase.
    pub email: String,
    /// The old server's folder (wire name).
    pub folder: String,
    pub uid_validity: i64,
    pub uid: i64,
    /// Its INTERNALDATE (Unix seconds): when the old server took it.
    pub arrived_at: i64,
    /// The address it was delivered to (in the old domains where it says), lowercase; "" if unknown.
    pub address: String,
    pub seen_at: i64,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
