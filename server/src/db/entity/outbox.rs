use sea_orm::entity::prelude::*;

/// A status email, written in the same transaction as the change it tells about, sent later.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "outbox")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    pub user_id: Option<i64>,
    /// The request it is about, if any (its timeline shows it).
    pub request_id: Option<i64>,
    pub recipient: String,
    pub subject: String,
    pub text_body: String,
    pub html_body: String,
    pub attempts: i32,
    pub next_attempt_at: i64,
    pub sent_at: Option<i64>,
    pub last_error: Option<String>,
    pub created_at: i64,
    /// Set on an email that must go out once whoever decides it (unique; see `notify::outbox::enqueue_once`).
    pub once_key: Option<String>,
    /// When the sender gave up on it (refused for good, or tried too often): the helpdesk sees it.
    pub gave_up_at: Option<i64>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
