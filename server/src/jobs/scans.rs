//! Scans of old mailboxes, run by workers: one row per scan, claimed like requests, holding the folder
//! list with counts, sizes and where each folder lands. The plan is the engine's own dry run, so what
//! the scan shows is what the copy will do.
use std::time::Duration;

use app::dto::{ScanId, ScanResult, ScanState, ScanView, ScannedFolder, UserId};
use sea_orm::sea_query::{Expr, SimpleExpr};
use sea_orm::{ColumnTrait, ConnectionTrait, DbErr, EntityTrait, QueryFilter, QueryOrder, Set};

use super::claim::{claim_oldest, JobTable};
use super::service::Migrations;
use crate::db::entity::scan as row;
use crate::db::now;
use crate::db::stored::{self, Versioned};
use crate::engine::copy::Report;
use crate::engine::plan::folders::SpecialUse;

const TABLE: JobTable = JobTable {
    table: "scans",
    order_by: "created_at",
    also_set: "",
    settle_secs: 0,
};

impl Migrations {
    /// Queues a scan for the person, or returns the one already waiting or running.
    pub async fn request_scan(&self, user_id: UserId) -> Result<ScanView, DbErr> {
        if let Some(scan) = self.latest_scan(user_id).await? {
            if matches!(scan.state, ScanState::Queued | ScanState::Running) {
                return Ok(scan);
            }
        }
        let at = now();
        let inserted = row::Entity::insert(row::ActiveModel {
            user_id: Set(user_id.0),
            state: Set(ScanState::Queued.as_str().into()),
            created_at: Set(at),
            updated_at: Set(at),
            ..Default::default()
        })
        .exec(&self.db)
        .await?;
        Ok(ScanView {
            id: ScanId(inserted.last_insert_id),
            state: ScanState::Queued,
            result: None,
            error: None,
        })
    }

    pub async fn latest_scan(&self, user_id: UserId) -> Result<Option<ScanView>, DbErr> {
        latest_scan(&self.db, user_id).await
    }

    /// Takes the oldest queued scan: which, and whose.
    pub async fn claim_scan(&self, worker: &str) -> Result<Option<(ScanId, UserId)>, DbErr> {
        let from = ScanState::Queued.as_str();
        let to = ScanState::Running.as_str();
        let Some(id) = claim_oldest(&self.db, &TABLE, from, to, worker, "").await? else {
            return Ok(None);
        };
        let found = row::Entity::find_by_id(id).one(&self.db).await?;
        Ok(found.map(|scan| (ScanId(scan.id), UserId(scan.user_id))))
    }

    /// The worker is still scanning.
    pub async fn heartbeat_scan(&self, id: ScanId, worker: &str) -> Result<(), DbErr> {
        row::Entity::update_many()
            .col_expr(row::Column::HeartbeatAt, Expr::value(now()))
            .filter(row::Column::Id.eq(id.0))
            .filter(row::Column::Worker.eq(worker))
            .exec(&self.db)
            .await?;
        Ok(())
    }

    /// Records the scan's outcome.
    pub async fn finish_scan(
        &self,
        id: ScanId,
        outcome: Result<ScanResult, String>,
    ) -> Result<(), DbErr> {
        let (state, result, error) = match outcome {
            Ok(result) => (
                ScanState::Done,
                Some(Versioned::json(stored::Scan::from(&result))),
                None,
            ),
            Err(error) => (ScanState::Failed, None, Some(error)),
        };
        row::Entity::update_many()
            .col_expr(row::Column::State, Expr::value(state.as_str()))
            .col_expr(row::Column::Result, Expr::value(result))
            .col_expr(row::Column::Error, Expr::value(error))
            .col_expr(row::Column::Worker, Expr::value(Option::<String>::None))
            .col_expr(row::Column::UpdatedAt, Expr::value(now()))
            .filter(row::Column::Id.eq(id.0))
            .exec(&self.db)
            .await?;
        Ok(())
    }

    /// Running scans of a stopping worker go back to the queue.
    pub async fn release_scans(&self, worker: &str) -> Result<u64, DbErr> {
        self.requeue_running(row::Column::Worker.eq(worker)).await
    }

    /// Scans whose worker died go back to the queue.
    pub async fn recover_scans(&self, stale_after: Duration) -> Result<u64, DbErr> {
        let before = now() - stale_after.as_secs() as i64;
        self.requeue_running(row::Column::HeartbeatAt.lt(before))
            .await
    }

    /// Puts the running scans `which` selects back in the queue, held by nobody.
    async fn requeue_running(&self, which: SimpleExpr) -> Result<u64, DbErr> {
        let updated = row::Entity::update_many()
            .col_expr(row::Column::State, Expr::value(ScanState::Queued.as_str()))
            .col_expr(row::Column::Worker, Expr::value(Option::<String>::None))
            .filter(row::Column::State.eq(ScanState::Running.as_str()))
            .filter(which)
            .exec(&self.db)
            .await?;
        Ok(updated.rows_affected)
    }
}

/// The person's latest scan, read on `db` (a transaction, say).
pub async fn latest_scan(
    db: &impl ConnectionTrait,
    user_id: UserId,
) -> Result<Option<ScanView>, DbErr> {
    let found = row::Entity::find()
        .filter(row::Column::UserId.eq(user_id.0))
        .order_by_desc(row::Column::Id)
        .one(db)
        .await?;
    Ok(found.map(view))
}

fn view(scan: row::Model) -> ScanView {
    ScanView {
        id: ScanId(scan.id),
        state: ScanState::parse(&scan.state).unwrap_or(ScanState::Failed),
        result: scan
            .result
            .as_deref()
            .and_then(stored::read::<stored::Scan>)
            .map(Into::into),
        error: scan.error,
    }
}

/// The engine's dry-run report as the folder picker shows it.
pub fn scan_result(report: &Report) -> ScanResult {
    ScanResult {
        folders: report
            .folders
            .iter()
            .map(|f| ScannedFolder {
                name: f.source.clone(),
                destination: f.destination.clone(),
                messages: f.source_messages,
                bytes: f.source_bytes,
                notes: f.notes.clone(),
                selected_by_default: selected_by_default(&f.source, &f.destination),
            })
            .collect(),
    }
}

/// Everything is ticked but what lands in trash or junk: mail people threw away stays behind unless
/// they choose otherwise.
pub fn selected_by_default(source: &str, destination: &str) -> bool {
    let thrown_away = |name: &str| {
        let last = name.rsplit(['/', '.']).next().unwrap_or(name);
        matches!(
            SpecialUse::from_name(last),
            Some(SpecialUse::Trash | SpecialUse::Junk)
        )
    };
    !thrown_away(source) && !thrown_away(destination)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn trash_and_junk_are_left_unticked() {
        assert!(selected_by_default("INBOX", "INBOX"));
        assert!(selected_by_default("INBOX.Projects", "Projects"));
        assert!(!selected_by_default("INBOX.Trash", "Trash"));
        assert!(!selected_by_default("Deleted Items", "Trash"));
        assert!(!selected_by_default("INBOX.spam", "Junk"));
        // A folder that only lands in Trash because of the destination's mapping is still trash.
        assert!(!selected_by_default("Papierkorb", "Trash"));
        assert!(selected_by_default("INBOX.Trash reports", "Trash reports"));
    }
}
