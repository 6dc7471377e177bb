use sea_orm::entity::prelude::*;

/// One user's migration: what to copy, where it is in its life, and which worker holds it.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "migration_requests")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    pub user_id: i64,
    /// [`app::dto::RequestState`]'s stored form.
    pub state: String,
    /// `user_id` while the request is unfinished (unique), else `None`.
    pub active_key: Option<i64>,
    /// Selected source folders, a JSON array of wire names.
    pub folders: String,
    pub worker: Option<String>,
    pub heartbeat_at: Option<i64>,
    pub attempts: i32,
    /// Runs in a row that ended without an answer (a panic, a lost worker); reset by resume and retry.
    pub crashed_runs: i32,
    pub last_error: Option<String>,
    /// Why it stopped short ([`app::dto::FailureClass`]'s stored form), while failed or needing
    /// attention.
    pub failure_class: Option<String>,
    /// The last run's report (JSON of `db::stored::Report`, versioned).
    pub report: Option<String>,
    /// Live progress while copying (JSON of `db::stored::Progress`, versioned).
    pub progress: Option<String>,
    /// The last run's protocol summary (JSON of `db::stored::Protocol`, versioned).
    pub protocol: Option<String>,
    /// The wave whose schedule holds and releases it; `None` for a person's own request.
    pub wave_id: Option<i64>,
    /// The destination server it copies to, as submitted (`None`: the default new server).
    pub destination: Option<String>,
    pub queued_at: Option<i64>,
    /// When retention purged its journal, quarantine and progress (the report and timeline stay).
    pub purged_at: Option<i64>,
    pub created_at: i64,
    pub updated_at: i64,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
