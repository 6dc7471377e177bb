use sea_orm::entity::prelude::*;

/// An address of the organisation's old domains that reached a person, found in their old mail
/// (see `jobs::cutover::discovery`), and whether they said it is theirs.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "old_addresses")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    /// The person's new address, lowercase.
    pub email: String,
    /// The old address, lowercase.
    pub address: String,
    /// Messages that showed it.
    pub messages: i64,
    /// The evidence, weighted by header and age (hundredths).
    pub score: i64,
    pub last_seen: Option<i64>,
    /// `suggested`, `confirmed` or `declined`.
    pub state: String,
    pub discovered_at: i64,
    pub decided_at: Option<i64>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
