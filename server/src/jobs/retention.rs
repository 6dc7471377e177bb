//! Retention: what Fountain keeps of people's mail once their move is over. A person whose requests
//! all ended (done or cancelled) more than `migration.retention_days` ago, and whose catch-ups (after
//! delivery moved) are over, loses their journal (which message went where), their quarantined
//! messages (bytes and headers) and their requests' progress. Requests, reports and timelines stay,
//! as the record of what happened. Should the person ever copy again, the copy finds what is already
//! on the new server by Message-ID, date and size (as after a lost reply), so nothing is doubled.
use sea_orm::sea_query::Expr;
use sea_orm::{
    ColumnTrait, ConnectionTrait, DbErr, EntityTrait, QueryFilter, QuerySelect, Statement,
};

use app::dto::{DestinationName, RequestState};

use super::Migrations;
use crate::db::entity::{
    cutover, journal_folder, journal_message, migration_request as request, old_account,
    quarantine, user,
};
use crate::db::placeholder;

/// People looked at per page.
const PEOPLE_PER_ROUND: u64 = 100;

/// What one round purged.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct Purged {
    pub people: u64,
    pub journal_folders: u64,
    pub journal_messages: u64,
    pub quarantined: u64,
}

impl Migrations {
    /// Purges the people whose move ended more than the retention time before `at` (Unix seconds).
    pub async fn purge_finished(&self, at: i64) -> Result<Purged, DbErr> {
        let mut purged = Purged::default();
        let days = i64::from(self.settings.retention_days);
        if days == 0 {
            return Ok(purged);
        }
        let cutoff = at - days * 86_400;
        let mut after = 0;
        loop {
            let people = finished_people(&self.db, cutoff, after).await?;
            let Some(last) = people.last() else {
                return Ok(purged);
            };
            after = *last;
            for user_id in people {
                if let Some(one) = self.purge_person(user_id, cutoff, at).await? {
                    purged.people += 1;
                    purged.journal_folders += one.journal_folders;
                    purged.journal_messages += one.journal_messages;
                    purged.quarantined += one.quarantined;
                }
            }
        }
    }

    /// One person's journal (each destination their requests went to), quarantine and progress, if
    /// they still qualify once their requests are locked (`None`: they do not, or their journal
    /// cannot be named any more).
    async fn purge_person(
        &self,
        user_id: i64,
        cutoff: i64,
        at: i64,
    ) -> Result<Option<Purged>, DbErr> {
        let txn = crate::db::begin(&self.db).await?;
        // Looked at again under lock (db::begin took SQLite's write lock; PostgreSQL locks the
        // rows): no request of theirs changes state until this commits.
        let mut requests = request::Entity::find().filter(request::Column::UserId.eq(user_id));
        if txn.get_database_backend() == sea_orm::DatabaseBackend::Postgres {
            requests = requests.lock_exclusive();
        }
        let requests = requests.all(&txn).await?;
        let finished = [
            RequestState::Done.as_str(),
            RequestState::Cancelled.as_str(),
        ];
        let still_finished = requests
            .iter()
            .all(|r| finished.contains(&r.state.as_str()) && r.updated_at < cutoff);
        // Another worker's round may have purged them since the list was read.
        let changed_since = requests
            .iter()
            .any(|r| r.purged_at.unwrap_or(0) < r.updated_at);
        if !still_finished || !changed_since || catch_ups_ahead(&txn, user_id, cutoff).await? {
            txn.rollback().await?;
            return Ok(None);
        }
        request::Entity::update_many()
            .col_expr(
                request::Column::Progress,
                Expr::value(Option::<String>::None),
            )
            .col_expr(request::Column::PurgedAt, Expr::value(at))
            .filter(request::Column::UserId.eq(user_id))
            .exec(&txn)
            .await?;
        let email = user::Entity::find_by_id(user_id)
            .one(&txn)
            .await?
            .map(|u| u.email);
        let login = old_account::Entity::find()
            .filter(old_account::Column::UserId.eq(user_id))
            .one(&txn)
            .await?
            .map(|a| a.login);
        let mut destinations: Vec<Option<String>> =
            requests.iter().map(|r| r.destination.clone()).collect();
        destinations.sort();
        destinations.dedup();
        let mut purged = Purged {
            people: 1,
            ..Purged::default()
        };
        if let (Some(email), Some(login)) = (email, login) {
            for destination in destinations {
                let named = destination.as_deref().map(DestinationName::parse);
                let names = match named {
                    Some(Err(_)) => None,
                    Some(Ok(d)) => self.accounts.journal_names(&login, &email, Some(&d)),
                    None => self.accounts.journal_names(&login, &email, None),
                };
                let Some((old, new)) = names else {
                    // A destination no longer configured: its journal cannot be named, so nothing of
                    // this person is marked purged (the next round looks again).
                    tracing::warn!(user = user_id, destination = ?destination, "retention: a finished move's destination is not configured any more; its journal is kept");
                    txn.rollback().await?;
                    return Ok(None);
                };
                let folders: Vec<i64> = journal_folder::Entity::find()
                    .select_only()
                    .column(journal_folder::Column::Id)
                    .filter(journal_folder::Column::Mailbox.eq(old))
                    .filter(journal_folder::Column::DestMailbox.eq(new))
                    .into_tuple()
                    .all(&txn)
                    .await?;
                for ids in folders.chunks(crate::db::VALUES_PER_QUERY) {
                    purged.quarantined += quarantine::Entity::delete_many()
                        .filter(quarantine::Column::FolderId.is_in(ids.iter().copied()))
                        .exec(&txn)
                        .await?
                        .rows_affected;
                    purged.journal_messages += journal_message::Entity::delete_many()
                        .filter(journal_message::Column::FolderId.is_in(ids.iter().copied()))
                        .exec(&txn)
                        .await?
                        .rows_affected;
                    purged.journal_folders += journal_folder::Entity::delete_many()
                        .filter(journal_folder::Column::Id.is_in(ids.iter().copied()))
                        .exec(&txn)
                        .await?
                        .rows_affected;
                }
            }
        }
        txn.commit().await?;
        tracing::info!(
            user = user_id,
            journal_messages = purged.journal_messages,
            quarantined = purged.quarantined,
            "retention: a finished move's journal, quarantine and progress purged"
        );
        Ok(Some(purged))
    }
}

/// People after `after` (by id) whose every request ended (done or cancelled) before `cutoff`,
/// changed since their last purge, and whose catch-ups are over: one page, by id.
async fn finished_people(
    db: &impl ConnectionTrait,
    cutoff: i64,
    after: i64,
) -> Result<Vec<i64>, DbErr> {
    let backend = db.get_database_backend();
    let p = placeholder(backend);
    let (done, cancelled) = (
        RequestState::Done.as_str(),
        RequestState::Cancelled.as_str(),
    );
    let sql = format!(
        "SELECT r.user_id FROM migration_requests r WHERE r.user_id > {p}2 \
           AND NOT EXISTS (SELECT 1 FROM users u JOIN cutovers c ON c.email = LOWER(u.email) \
                           WHERE u.id = r.user_id \
                             AND (c.next_catch_up_at IS NOT NULL OR c.last_catch_up_at >= {p}1)) \
         GROUP BY r.user_id \
         HAVING SUM(CASE WHEN r.state IN ('{done}', '{cancelled}') THEN 0 ELSE 1 END) = 0 \
            AND MAX(r.updated_at) < {p}1 \
            AND MAX(COALESCE(r.purged_at, 0)) < MAX(r.updated_at) \
         ORDER BY r.user_id LIMIT {PEOPLE_PER_ROUND}"
    );
    let rows = db
        .query_all(Statement::from_sql_and_values(
            backend,
            sql,
            [cutoff.into(), after.into()],
        ))
        .await?;
    rows.iter()
        .map(|r| r.try_get::<i64>("", "user_id"))
        .collect()
}

/// Whether the person's cutover still has catch-ups to run, or ran one after `cutoff` (those read
/// the journal to copy only what arrived since).
async fn catch_ups_ahead(
    db: &impl ConnectionTrait,
    user_id: i64,
    cutoff: i64,
) -> Result<bool, DbErr> {
    let Some(person) = user::Entity::find_by_id(user_id).one(db).await? else {
        return Ok(false);
    };
    let switched = cutover::Entity::find()
        .filter(cutover::Column::Email.eq(person.email.to_lowercase()))
        .one(db)
        .await?;
    Ok(switched.is_some_and(|c| {
        c.next_catch_up_at.is_some() || c.last_catch_up_at.is_some_and(|t| t >= cutoff)
    }))
}
