use sea_orm::entity::prelude::*;

/// One line of a request's audit log (see `jobs::timeline`).
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "request_events")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    pub request_id: i64,
    pub at: i64,
    /// `submitted`, `changed`, `note`, `asked_to_reconnect`, `email_resent`.
    pub kind: String,
    pub from_state: Option<String>,
    pub to_state: Option<String>,
    /// `owner`, `staff`, `worker` or `fountain`.
    pub actor_kind: String,
    /// The staff member's email or the worker's name.
    pub actor: Option<String>,
    pub reason: Option<String>,
    pub detail: Option<String>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
