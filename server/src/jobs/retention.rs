//! Retention: what Fountain keeps of people's mail once their move is over. A person whose requests
//! all ended (done or cancelled) more than `migration.retention_days` ago, and whose catch-ups (after
//! delivery moved) are over, loses their journal (which message went where), their quarantined
//! messages (bytes and headers) and their requests' progress. Requests, reports and timelines stay,
//! as the record of what happened. Should the person ever copy again, the copy finds what is already
//! on the new server by Message-ID, date and size (as after a lost reply), so nothing is doubled.
use sea_orm::sea_query::Expr;
use sea_orm::{
    ColumnTrait, ConnectionTrait, DbErr, EntityTrait, QueryFilter, QuerySelect, Statement,
    TransactionTrait,
};

use app::dto::{DestinationName, RequestState};

use super::Migrations;
use crate::db::entity::{
    cutover, journal_folder, journal_message, migration_request as request, old_account,
    quarantine, user,
};
use crate::db::placeholder;

/// People looked at per round (the next round takes the rest).
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
        for user_id in finished_people(&self.db, cutoff).await? {
            if catch_ups_ahead(&self.db, user_id, cutoff).await? {
                continue;
            }
            let one = self.purge_person(user_id, at).await?;
            purged.people += 1;
            purged.journal_folders += one.journal_folders;
            purged.journal_messages += one.journal_messages;
            purged.quarantined += one.quarantined;
        }
        Ok(purged)
    }

    /// One person's journal (each destination their requests went to), quarantine and progress.
    async fn purge_person(&self, user_id: i64, at: i64) -> Result<Purged, DbErr> {
        let txn = self.db.begin().await?;
        let email = user::Entity::find_by_id(user_id)
            .one(&txn)
            .await?
            .map(|u| u.email);
        let login = old_account::Entity::find()
            .filter(old_account::Column::UserId.eq(user_id))
            .one(&txn)
            .await?
            .map(|a| a.login);
        let destinations: Vec<Option<String>> = request::Entity::find()
            .select_only()
            .column(request::Column::Destination)
            .filter(request::Column::UserId.eq(user_id))
            .distinct()
            .into_tuple()
            .all(&txn)
            .await?;
        let mut purged = Purged {
            people: 1,
            ..Purged::default()
        };
        if let (Some(email), Some(login)) = (email, login) {
            for destination in destinations {
                let destination = destination.and_then(|d| DestinationName::parse(&d).ok());
                let Some((old, new)) =
                    self.accounts
                        .journal_names(&login, &email, destination.as_ref())
                else {
                    continue;
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
        request::Entity::update_many()
            .col_expr(
                request::Column::Progress,
                Expr::value(Option::<String>::None),
            )
            .col_expr(request::Column::PurgedAt, Expr::value(at))
            .filter(request::Column::UserId.eq(user_id))
            .exec(&txn)
            .await?;
        txn.commit().await?;
        tracing::info!(
            user = user_id,
            journal_messages = purged.journal_messages,
            quarantined = purged.quarantined,
            "retention: a finished move's journal, quarantine and progress purged"
        );
        Ok(purged)
    }
}

/// People with something left to purge whose every request ended (done or cancelled) before `cutoff`.
async fn finished_people(db: &impl ConnectionTrait, cutoff: i64) -> Result<Vec<i64>, DbErr> {
    let backend = db.get_database_backend();
    let p = placeholder(backend);
    let (done, cancelled) = (
        RequestState::Done.as_str(),
        RequestState::Cancelled.as_str(),
    );
    let sql = format!(
        "SELECT user_id FROM migration_requests GROUP BY user_id \
         HAVING SUM(CASE WHEN state IN ('{done}', '{cancelled}') THEN 0 ELSE 1 END) = 0 \
            AND MAX(updated_at) < {p}1 \
            AND SUM(CASE WHEN purged_at IS NULL THEN 1 ELSE 0 END) > 0 \
         ORDER BY user_id LIMIT {PEOPLE_PER_ROUND}"
    );
    let rows = db
        .query_all(Statement::from_sql_and_values(
            backend,
            sql,
            [cutoff.into()],
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
