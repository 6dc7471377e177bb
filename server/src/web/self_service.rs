//! The self-service flow behind the "My migration" page: each call acts for the signed-in person only,
//! on their own account, scan and request; another person's request is refused (403).
use app::dto::{MigrationView, OldAccount, RequestAction, RequestView, UserId, Viewer};
use app::error::AppError;

use crate::accounts::{AccountError, ConnectForm};
use crate::db::stored;
use crate::jobs::queue::{Queue, QueueError, Request};
use crate::jobs::state::{event_for, offered_actions, Event, RequestState};
use crate::jobs::timeline::Actor;
use crate::jobs::Migrations;

const NOT_OPEN: &str =
    "Migrations are not open yet: your IT team has not set up the servers. You will be told when they are.";

pub(super) fn internal(e: impl std::fmt::Display) -> AppError {
    super::internal("self-service call failed", e)
}

fn from_account(e: AccountError) -> AppError {
    match e {
        AccountError::Invalid(_) | AccountError::Refused | AccountError::NotConnected => {
            AppError::BadRequest(e.to_string())
        }
        AccountError::TooManyAttempts(_) => AppError::TooMany(e.to_string()),
        AccountError::Unreachable(_)
        | AccountError::Insecure(_)
        | AccountError::AdminRefused
        | AccountError::NoDestination(_)
        | AccountError::TokenRefused(_)
        | AccountError::TokenUnreachable(_) => AppError::Unavailable(e.to_string()),
        AccountError::Unreadable(_) | AccountError::Setup(_) => {
            super::internal("old account unusable", e)
        }
        AccountError::Db(e) => internal(e),
    }
}

pub(super) fn from_queue(e: QueueError) -> AppError {
    match e {
        QueueError::NotAllowed(e) => AppError::Conflict(format!(
            "That cannot be done now: the request is {}.",
            e.state.in_words()
        )),
        QueueError::Changed { now, .. } => AppError::Conflict(format!(
            "The request changed meanwhile (it is now {}); look again and retry.",
            now.in_words()
        )),
        QueueError::NotFound(_) => AppError::BadRequest("There is no such request.".into()),
        other => internal(other),
    }
}

/// Everything the page shows for `viewer`.
pub async fn view(m: Option<&Migrations>, viewer: &Viewer) -> Result<MigrationView, AppError> {
    let Some(m) = m else {
        return Ok(MigrationView {
            open: false,
            asks_password: false,
            login_hint: String::new(),
            account: None,
            scan: None,
            request: None,
        });
    };
    let account = m
        .accounts
        .old_account(viewer.user_id)
        .await
        .map_err(from_account)?
        .map(|a| OldAccount {
            usable: m.accounts.usable(&a),
            login: a.login,
            verified_at: a.verified_at,
        });
    let scan = m.latest_scan(viewer.user_id).await.map_err(internal)?;
    let queue = Queue { db: &m.db };
    let request = match queue.latest_for(viewer.user_id).await.map_err(from_queue)? {
        Some(r) => Some(request_view(&queue, r).await?),
        None => None,
    };
    Ok(MigrationView {
        open: true,
        asks_password: m.asks_password(),
        login_hint: m.settings.old_server.login_for(&viewer.email),
        account,
        scan,
        request,
    })
}

pub(super) async fn request_view(queue: &Queue<'_>, r: Request) -> Result<RequestView, AppError> {
    let position = match r.state {
        RequestState::Queued => Some(queue.position(r.id).await.map_err(from_queue)?),
        _ => None,
    };
    let (progress, report) = queue.details(r.id).await.map_err(from_queue)?;
    Ok(RequestView {
        id: r.id,
        state: r.state,
        actions: offered_actions(r.state),
        position,
        folders: r.folders,
        progress: progress
            .and_then(|p| stored::read::<stored::Progress>(&p))
            .map(Into::into),
        report: report
            .and_then(|r| stored::read::<stored::Report>(&r))
            .map(Into::into),
        last_error: r.last_error,
    })
}

pub(super) fn open(m: Option<&Migrations>) -> Result<&Migrations, AppError> {
    m.ok_or_else(|| AppError::BadRequest(NOT_OPEN.into()))
}

pub async fn connect(
    m: Option<&Migrations>,
    viewer: &Viewer,
    login: String,
    password: Option<String>,
) -> Result<MigrationView, AppError> {
    let migrations = open(m)?;
    // In administrator mode the login is IT's to decide, not the person's.
    let login = if migrations.asks_password() {
        login
    } else {
        migrations.settings.old_server.login_for(&viewer.email)
    };
    let form = ConnectForm::parse(&login, password.as_deref(), migrations.asks_password())
        .map_err(from_account)?;
    migrations
        .accounts
        .connect_old_account(viewer.user_id, form)
        .await
        .map_err(from_account)?;
    view(m, viewer).await
}

pub async fn scan(m: Option<&Migrations>, viewer: &Viewer) -> Result<MigrationView, AppError> {
    let migrations = open(m)?;
    usable_account(migrations, viewer.user_id, Actor::Owner).await?;
    migrations
        .request_scan(viewer.user_id)
        .await
        .map_err(internal)?;
    view(m, viewer).await
}

/// The owner's old account can be logged in to now; else what to do, told to whoever asked.
async fn usable_account(m: &Migrations, owner: UserId, asking: Actor<'_>) -> Result<(), AppError> {
    match m.accounts.old_account(owner).await.map_err(from_account)? {
        Some(account) if m.accounts.usable(&account) => Ok(()),
        _ => Err(AppError::BadRequest(match asking {
            Actor::Owner => AccountError::NotConnected.to_string(),
            _ => "Fountain does not hold this person's old password any more, so the copy cannot run \
                  for them: use “Ask to reconnect” to email them, then try again once they have."
                .to_owned(),
        })),
    }
}

pub async fn start(
    m: Option<&Migrations>,
    viewer: &Viewer,
    folders: Vec<String>,
) -> Result<MigrationView, AppError> {
    let migrations = open(m)?;
    usable_account(migrations, viewer.user_id, Actor::Owner).await?;
    // Only folders the scan found: a forged post cannot name anything else.
    let scanned = migrations
        .latest_scan(viewer.user_id)
        .await
        .map_err(internal)?
        .and_then(|s| s.result)
        .ok_or_else(|| AppError::BadRequest("Scan your old mailbox first.".into()))?;
    if folders.is_empty() {
        return Err(AppError::BadRequest(
            "Tick at least one folder to copy.".into(),
        ));
    }
    let mut chosen = Vec::new();
    for name in folders {
        if !scanned.folders.iter().any(|f| f.name == name) {
            return Err(AppError::BadRequest(format!(
                "The folder {name:?} is not in your old mailbox's scan; scan again and choose from the list."
            )));
        }
        if !chosen.contains(&name) {
            chosen.push(name);
        }
    }
    // A person in a wave goes in the wave's turn, whoever starts it.
    let wave = crate::jobs::waves::store::unfinished_wave_of(&migrations.db, &viewer.email)
        .await
        .map_err(internal)?;
    let queue = Queue { db: &migrations.db };
    queue
        .submit_in(viewer.user_id, &chosen, wave.map(|w| w.id), Actor::Owner)
        .await
        .map_err(from_queue)?;
    view(m, viewer).await
}

pub async fn control(
    m: Option<&Migrations>,
    viewer: &Viewer,
    request_id: app::dto::RequestId,
    action: RequestAction,
) -> Result<MigrationView, AppError> {
    let migrations = open(m)?;
    let queue = Queue { db: &migrations.db };
    let request = match queue.get(request_id).await {
        Err(QueueError::NotFound(_)) => None,
        other => Some(other.map_err(from_queue)?),
    };
    // Someone else's request and no request at all look the same from outside.
    let Some(request) = request.filter(|r| r.user_id == viewer.user_id) else {
        return Err(AppError::Forbidden(
            "This is not your migration request.".into(),
        ));
    };
    apply_action(migrations, &request, action, Actor::Owner).await?;
    view(m, viewer).await
}

/// Presses `action` on `request` for `actor` (its owner, or the helpdesk for them) through the state
/// machine: running it again needs the owner's old account usable, and a cancel forgets the password
/// in the same transaction as the change (never one without the other).
pub(super) async fn apply_action(
    m: &Migrations,
    request: &Request,
    action: RequestAction,
    actor: Actor<'_>,
) -> Result<RequestState, AppError> {
    let event = event_for(action);
    if matches!(event, Event::Resume | Event::Retry | Event::CatchUp) {
        usable_account(m, request.user_id, actor).await?;
    }
    let txn = crate::db::begin(&m.db).await.map_err(internal)?;
    let next = Queue { db: &txn }
        .apply(request.id, event, actor, None)
        .await
        .map_err(from_queue)?;
    if next == RequestState::Cancelled {
        m.accounts
            .purge_old_password(&txn, request.user_id)
            .await
            .map_err(internal)?;
    }
    txn.commit().await.map_err(internal)?;
    Ok(next)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn internal_failures_give_a_reference_never_the_details() {
        for e in [
            AccountError::Setup("cannot read /etc/fountain/admin.pw: permission denied".into()),
            AccountError::Unreadable("aead::Error at /srv/fountain/db.sqlite".into()),
        ] {
            let shown = from_account(e).to_string();
            assert!(
                shown.contains("reference ") && shown.contains("helpdesk"),
                "{shown}"
            );
            assert!(
                !shown.contains("/etc") && !shown.contains("/srv"),
                "{shown}"
            );
        }
        let shown = internal(sea_orm::DbErr::Custom(
            "disk I/O error at /var/lib/x".into(),
        ))
        .to_string();
        assert!(
            !shown.contains("/var/lib") && shown.contains("reference "),
            "{shown}"
        );
    }
}
