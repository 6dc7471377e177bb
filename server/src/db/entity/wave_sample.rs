use sea_orm::entity::prelude::*;

/// A running wave's progress at one moment (see `jobs::waves::dashboard`).
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "wave_samples")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    pub wave_id: i64,
    /// Unix seconds.
    pub at: i64,
    /// Bytes of the members' mailboxes on the new server, of `bytes_total` planned.
    pub bytes_done: i64,
    pub bytes_total: i64,
    /// Members whose copy is done.
    pub people_done: i64,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
