use sea_orm::entity::prelude::*;

/// When delivery for a person moved to the new server, and their catch-ups since (see
/// `jobs::cutover`).
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "cutovers")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    /// The person's new address, lowercase (`app::dto::EmailAddress`).
    #[sea_orm(unique)]
    pub email: String,
    /// The wave switched whole, if it was.
    pub wave_id: Option<i64>,
    pub switched_at: i64,
    pub switched_by: String,
    /// Catch-ups asked for so far.
    pub catch_ups: i32,
    pub last_catch_up_at: Option<i64>,
    /// `None` once the schedule has run out.
    pub next_catch_up_at: Option<i64>,
    /// When the old mailbox was last read for what arrived after the switch, and why it could not be.
    pub probed_at: Option<i64>,
    pub probe_error: Option<String>,
    /// When the person was asked for their old password, which the catch-ups wait for (once).
    pub password_asked_at: Option<i64>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
