//! Where IT's administrator can log in for people (proxy or master login), Fountain does for each
//! person of a running wave what they would do on their page: their old account, and a scan (the
//! pre-flight one, within the servers' limits like any scan, whatever the window) whose size the
//! wave's plan uses. In an IT-run wave it then asks for the copy of the folders a scan ticks by
//! default, which waits for the wave's turn like any other; in an invite wave the person starts it.
//! Someone who has never signed in gets an account made for the wave, theirs at their first sign-in
//! (see `web::sign_in`).
use std::collections::HashSet;

use app::dto::{ScanState, UserId, WaveMode, WaveState};
use sea_orm::sea_query::{Expr, OnConflict};
use sea_orm::{ColumnTrait, ConnectionTrait, DbErr, EntityTrait, QueryFilter, QuerySelect, Set};

use crate::db::entity::{migration_request as request, user, wave, wave_member};
use crate::db::now;
use crate::jobs::queue::{Queue, QueueError};
use crate::jobs::timeline::Actor;
use crate::jobs::Migrations;

/// The issuer of accounts made for a wave before their person ever signed in.
pub const MADE_FOR_A_WAVE: &str = "fountain:wave";

/// People taken a step further per wave and round: the rest follow on the next rounds.
const PER_ROUND: usize = 100;

/// Where a person of an IT-run wave is on the way to their copy.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Facts {
    /// Fountain knows their old login.
    pub account: bool,
    /// Their latest scan's state.
    pub scan: Option<ScanState>,
}

/// What to do for them now.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Step {
    /// Record their old login (then scan).
    Connect,
    Scan,
    /// Their scan is waiting or running.
    Wait,
    /// Their scan failed: the wave's report says why; IT looks (nothing is retried in a loop).
    ScanFailed,
    /// Record the size their scan found and, in an IT-run wave, ask for the copy of the folders it
    /// ticks by default.
    Submit,
}

pub fn next_step(f: Facts) -> Step {
    match (f.account, f.scan) {
        (false, _) => Step::Connect,
        (true, None) => Step::Scan,
        (true, Some(ScanState::Queued | ScanState::Running)) => Step::Wait,
        (true, Some(ScanState::Failed)) => Step::ScanFailed,
        (true, Some(ScanState::Done)) => Step::Submit,
    }
}

#[derive(Debug, thiserror::Error)]
pub enum EnrolError {
    #[error("the database failed: {0}")]
    Db(#[from] DbErr),
    #[error(transparent)]
    Queue(#[from] QueueError),
    #[error(transparent)]
    Account(#[from] crate::accounts::AccountError),
}

impl Migrations {
    /// One round over the running waves, where IT's administrator logs in for people: how many
    /// people were taken a step further.
    pub async fn enrol_waves(&self) -> Result<usize, EnrolError> {
        if self.asks_password() {
            return Ok(0);
        }
        let waves = wave::Entity::find()
            .filter(wave::Column::State.eq(WaveState::Running.as_str()))
            .all(&self.db)
            .await?;
        let mut moved = 0;
        for w in waves {
            moved += self.enrol(&w).await?;
        }
        Ok(moved)
    }

    async fn enrol(&self, w: &wave::Model) -> Result<usize, EnrolError> {
        let members = super::store::members(&self.db, w).await?;
        let users = super::preview::users_of(&self.db, &members).await?;
        let taken = taken(&self.db, w.id).await?;
        let it_run = WaveMode::parse(&w.mode) == Some(WaveMode::ItRun);
        let open: Vec<&wave_member::Model> = members
            .iter()
            .filter(|m| users.get(&m.email).is_none_or(|u| !taken.contains(u)))
            // In an invite wave Fountain only sizes people: once sized, the rest is theirs.
            .filter(|m| it_run || m.bytes.is_none())
            .collect();
        // Each round starts further on, so people who cannot go on (a failed scan) never keep the
        // ones after them waiting.
        let start = usize::try_from(now()).unwrap_or(0) % open.len().max(1);
        let waiting = open
            .iter()
            .cycle()
            .skip(start)
            .take(open.len().min(PER_ROUND))
            .copied();
        let mut moved = 0;
        for m in waiting {
            let user_id = match users.get(&m.email) {
                Some(id) => UserId(*id),
                None => make_person(&self.db, &m.email).await?,
            };
            let account = self.accounts.old_account(user_id).await?.is_some();
            let scan = self.latest_scan(user_id).await?;
            let facts = Facts {
                account,
                scan: scan.as_ref().map(|s| s.state),
            };
            match next_step(facts) {
                Step::Connect => {
                    let login = m
                        .old_login
                        .clone()
                        .unwrap_or_else(|| self.settings.old_server.login_for(&m.email));
                    self.accounts.assign_old_login(user_id, &login).await?;
                    self.request_scan(user_id).await?;
                }
                Step::Scan => {
                    self.request_scan(user_id).await?;
                }
                Step::Wait | Step::ScanFailed => continue,
                Step::Submit => {
                    let Some(result) = scan.and_then(|s| s.result) else {
                        continue;
                    };
                    let picked: Vec<_> = result
                        .folders
                        .iter()
                        .filter(|f| f.selected_by_default)
                        .collect();
                    let bytes: u64 = picked.iter().map(|f| f.bytes).sum();
                    record_size(&self.db, m, bytes).await?;
                    if picked.is_empty() {
                        continue;
                    }
                    if !it_run {
                        moved += 1;
                        continue;
                    }
                    let folders: Vec<String> = picked.iter().map(|f| f.name.clone()).collect();
                    (Queue { db: &self.db })
                        .submit_in(user_id, &folders, Some(w.id), Actor::Wave(&w.name))
                        .await?;
                }
            }
            moved += 1;
        }
        if moved > 0 {
            tracing::info!(wave = %w.name, people = moved, "wave: people taken a step further");
        }
        Ok(moved)
    }
}

/// People with a request in the wave, with one of their own still open (theirs goes its way), or
/// whose mailbox is copied already.
pub async fn taken(db: &impl ConnectionTrait, wave: i64) -> Result<HashSet<i64>, DbErr> {
    let found: Vec<i64> = request::Entity::find()
        .select_only()
        .column(request::Column::UserId)
        .filter(
            request::Column::WaveId
                .eq(wave)
                .or(request::Column::ActiveKey.is_not_null())
                .or(request::Column::State.eq(app::dto::RequestState::Done.as_str())),
        )
        .into_tuple()
        .all(db)
        .await?;
    Ok(found.into_iter().collect())
}

/// An account for someone who has never signed in, theirs at their first sign-in.
async fn make_person(db: &impl ConnectionTrait, email: &str) -> Result<UserId, DbErr> {
    let at = now();
    let name = email.split('@').next().unwrap_or(email);
    user::Entity::insert(user::ActiveModel {
        subject: Set(format!("wave:{email}")),
        issuer: Set(MADE_FOR_A_WAVE.to_owned()),
        email: Set(email.to_owned()),
        display_name: Set(name.to_owned()),
        roles: Set("user".to_owned()),
        created_at: Set(at),
        last_login_at: Set(0),
        ..Default::default()
    })
    .on_conflict(
        OnConflict::column(user::Column::Subject)
            .do_nothing()
            .to_owned(),
    )
    .exec_without_returning(db)
    .await?;
    let made = user::Entity::find()
        .filter(user::Column::Subject.eq(format!("wave:{email}")))
        .one(db)
        .await?
        .ok_or_else(|| DbErr::RecordNotFound(format!("the account made for {email}")))?;
    Ok(UserId(made.id))
}

/// What the pre-flight scan found: the bytes of the folders it ticks.
async fn record_size(
    db: &impl ConnectionTrait,
    m: &wave_member::Model,
    bytes: u64,
) -> Result<(), DbErr> {
    wave_member::Entity::update_many()
        .col_expr(wave_member::Column::Bytes, Expr::value(bytes as i64))
        .col_expr(wave_member::Column::ScannedAt, Expr::value(now()))
        .filter(wave_member::Column::Id.eq(m.id))
        .exec(db)
        .await?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_person_goes_login_scan_request() {
        let at = |account, scan| next_step(Facts { account, scan });
        assert_eq!(at(false, None), Step::Connect);
        assert_eq!(at(false, Some(ScanState::Done)), Step::Connect);
        assert_eq!(at(true, None), Step::Scan);
        assert_eq!(at(true, Some(ScanState::Queued)), Step::Wait);
        assert_eq!(at(true, Some(ScanState::Running)), Step::Wait);
        assert_eq!(at(true, Some(ScanState::Failed)), Step::ScanFailed);
        assert_eq!(at(true, Some(ScanState::Done)), Step::Submit);
    }
}
