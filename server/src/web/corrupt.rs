//! Division IT's corrupt mailboxes: the queue, a repair's preview, decisions for quarantined messages
//! (the request runs again once none waits), and the audited download of a message's bytes. The
//! person downloads the messages left behind from their own mailbox (`/me/left-behind/N.eml`).
use std::sync::Arc;

use actix_web::{get, web, HttpMessage, HttpRequest, HttpResponse};
use app::dto::{
    CorruptQueue, DecisionKind, DecisionOutcome, QuarantineId, QueueDecision, QueueDecisionOutcome,
    Reason, Repair, RepairPreview, RequestAction, RequestId, RequestState, Role, Viewer,
};
use app::error::AppError;
use sea_orm::{ColumnTrait, EntityTrait, QueryFilter};

use super::helpdesk::{find, staff_actor};
use super::self_service::{apply_action, internal, open};
use crate::db::entity::migration_request;
use crate::jobs::corrupt::{self, CorruptError};
use crate::jobs::queue::Queue;
use crate::jobs::timeline::Actor;
use crate::jobs::Migrations;

/// One page of the queue, most waiting first.
pub async fn queue(m: Option<&Migrations>, page: u32) -> Result<CorruptQueue, AppError> {
    let all = match m {
        Some(m) => corrupt::queue::everything(m).await.map_err(from_corrupt)?,
        None => Vec::new(),
    };
    Ok(corrupt::queue::page(all, page, corrupt::queue::PER_PAGE))
}

/// Decides for every waiting message in the queue that `decision` takes, request by request (each
/// through [`decide`], so each runs again once none of its messages waits), after checking that the
/// queue still holds the `expected` messages the confirmation named.
pub async fn decide_for_queue(
    m: Option<&Migrations>,
    staff: &Viewer,
    decision: QueueDecision,
    expected: u64,
    reason: &Reason,
) -> Result<QueueDecisionOutcome, AppError> {
    let m = open(m)?;
    let mut all = corrupt::queue::everything(m).await.map_err(from_corrupt)?;
    corrupt::queue::order(&mut all);
    let pending: u64 = all.iter().map(|r| r.pending).sum();
    if pending != expected {
        return Err(AppError::Conflict(format!(
            "The queue changed: {pending} message(s) wait now, not {expected}. Look at it again and confirm."
        )));
    }
    let mut outcome = QueueDecisionOutcome::default();
    for mailbox in all.iter().filter(|r| r.pending > 0) {
        let read = async {
            let request = find(m, mailbox.request).await?;
            let held = corrupt::held(m, &request).await.map_err(from_corrupt)?;
            Ok::<_, AppError>((request, held))
        }
        .await;
        let (request, held) = match read {
            Ok(read) => read,
            Err(e) => {
                outcome.refused.push((mailbox.request, e.to_string()));
                continue;
            }
        };
        let (ids, skipped) = corrupt::queue::taken_by(&held, decision);
        outcome.skipped += skipped;
        if ids.is_empty() {
            continue;
        }
        let kind = decision.kind();
        match decide_among(m, staff, &request, &held, &ids, kind, &[], reason).await {
            Ok(done) => {
                outcome.decided += done.decided;
                if done.queued {
                    outcome.queued.push(mailbox.request);
                }
            }
            Err(e) => outcome.refused.push((mailbox.request, e.to_string())),
        }
    }
    tracing::info!(by = %staff.email, ?decision, decided = outcome.decided, skipped = outcome.skipped,
        queued = outcome.queued.len(), refused = outcome.refused.len(), "decided for the corrupt queue");
    Ok(outcome)
}

pub async fn preview(
    m: Option<&Migrations>,
    request: RequestId,
    id: QuarantineId,
    repairs: &[Repair],
) -> Result<RepairPreview, AppError> {
    let m = open(m)?;
    let request = find(m, request).await?;
    corrupt::preview(m, &request, id, repairs)
        .await
        .map_err(from_corrupt)
}

/// Records `kind` for `ids`; once no message of the request waits, it runs again (through the same
/// state machine as every retry, recorded with the same reason).
pub async fn decide(
    m: Option<&Migrations>,
    staff: &Viewer,
    request: RequestId,
    ids: &[QuarantineId],
    kind: DecisionKind,
    repairs: &[Repair],
    reason: &Reason,
) -> Result<DecisionOutcome, AppError> {
    let m = open(m)?;
    if ids.is_empty() {
        return Err(AppError::BadRequest(
            "Choose at least one message first.".into(),
        ));
    }
    let request = find(m, request).await?;
    let all = corrupt::held(m, &request).await.map_err(from_corrupt)?;
    decide_among(m, staff, &request, &all, ids, kind, repairs, reason).await
}

/// As [`decide`], for a request and its quarantined messages already read.
#[allow(clippy::too_many_arguments)]
async fn decide_among(
    m: &Migrations,
    staff: &Viewer,
    request: &crate::jobs::queue::Request,
    all: &[corrupt::Held],
    ids: &[QuarantineId],
    kind: DecisionKind,
    repairs: &[Repair],
    reason: &Reason,
) -> Result<DecisionOutcome, AppError> {
    let actor = staff_actor(staff, reason);
    let pending = corrupt::decide_among(m, request, all, ids, kind, repairs, actor)
        .await
        .map_err(from_corrupt)?;
    tracing::info!(request = %request.id, by = %staff.email, ?kind, count = ids.len(), pending, "decided for quarantined messages");
    let queued = pending == 0 && request.state == RequestState::NeedsAttention;
    if queued {
        apply_action(m, request, RequestAction::Retry, actor).await?;
    }
    Ok(DecisionOutcome {
        decided: ids.len() as u64,
        pending,
        queued,
    })
}

fn from_corrupt(e: CorruptError) -> AppError {
    match e {
        CorruptError::NotHere(_) => AppError::NotFound(format!(
            "{}. Reload the page: it may have been copied meanwhile.",
            capitalised(&e.to_string())
        )),
        CorruptError::Settled(_) | CorruptError::NotWhole(_) | CorruptError::NothingToRepair(_) => {
            AppError::BadRequest(format!("{}.", capitalised(&e.to_string())))
        }
        CorruptError::Db(_) | CorruptError::Accounts(_) => internal(e),
    }
}

fn capitalised(s: &str) -> String {
    let mut chars = s.chars();
    chars
        .next()
        .map(|c| c.to_uppercase().chain(chars).collect())
        .unwrap_or_default()
}

fn viewer(req: &HttpRequest) -> Option<Viewer> {
    req.extensions().get::<Viewer>().cloned()
}

fn eml(file_name: &str, bytes: Vec<u8>) -> HttpResponse {
    HttpResponse::Ok()
        .content_type("message/rfc822")
        .insert_header((
            "Content-Disposition",
            format!("attachment; filename=\"{file_name}\""),
        ))
        .body(bytes)
}

/// A quarantined message's bytes as Fountain holds them, for IT only; written to the request's audit
/// log before it is sent.
#[get("/it/requests/{request}/quarantine/{id}.eml")]
async fn quarantined_eml(
    req: HttpRequest,
    path: web::Path<(i64, i64)>,
    migrations: web::Data<Option<Arc<Migrations>>>,
) -> HttpResponse {
    // The guard has checked the role; checked again here, next to the data.
    let Some(staff) = viewer(&req).filter(|v| v.has(Role::It)) else {
        return HttpResponse::Forbidden().body("This needs the Division IT role.");
    };
    let (request, id) = (RequestId(path.0), QuarantineId(path.1));
    let outcome = async {
        let m = open(migrations.as_deref())?;
        let request = find(m, request).await?;
        let held = corrupt::one(m, &request, id).await.map_err(from_corrupt)?;
        let actor = Actor::StaffLooking {
            email: &staff.email,
        };
        let bytes = corrupt::download(&m.db, request.id, &held, actor)
            .await
            .map_err(from_corrupt)?;
        tracing::info!(request = %request.id, quarantined = %id, by = %staff.email, "downloaded a quarantined message");
        Ok::<_, AppError>(eml(&held.file_name(), bytes))
    }
    .await;
    outcome.unwrap_or_else(super::error_response)
}

/// A message of the viewer's own mailbox that IT accepted as not migrated.
#[get("/me/left-behind/{id}.eml")]
async fn left_behind_eml(
    req: HttpRequest,
    path: web::Path<i64>,
    migrations: web::Data<Option<Arc<Migrations>>>,
) -> HttpResponse {
    let Some(person) = viewer(&req) else {
        return HttpResponse::Unauthorized().body("Sign in first.");
    };
    let id = QuarantineId(path.into_inner());
    let outcome = async {
        let m = open(migrations.as_deref())?;
        let requests = migration_request::Entity::find()
            .filter(migration_request::Column::UserId.eq(person.user_id.get()))
            .all(&m.db)
            .await
            .map_err(internal)?;
        for row in requests {
            let request = (Queue { db: &m.db })
                .get(RequestId(row.id))
                .await
                .map_err(internal)?;
            let Ok(held) = corrupt::one(m, &request, id).await else {
                continue;
            };
            if held.row.decision.as_deref() != Some(DecisionKind::Accept.as_str()) {
                break;
            }
            let bytes = corrupt::download(&m.db, request.id, &held, Actor::Owner)
                .await
                .map_err(from_corrupt)?;
            return Ok(eml(&held.file_name(), bytes));
        }
        Err(AppError::NotFound(
            "There is no such message left behind in your mailbox. Open your page again to see the list."
                .into(),
        ))
    }
    .await;
    outcome.unwrap_or_else(super::error_response)
}
