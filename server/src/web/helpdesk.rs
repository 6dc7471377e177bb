//! The helpdesk acting for someone else: a request's detail (the person, progress, report, and its
//! timeline), the person's own buttons pressed for them with a reason, notes, and emails to them.
//! Every action goes through the same state machine as the person's buttons and is written to the
//! request's audit log, with who and why, in the transaction that makes it.
use app::dto::{
    BulkOutcome, Person, Reason, RequestAction, RequestDetail, RequestId, StaffEmail, TriageRow,
    TriageSelection, Viewer,
};
use app::error::AppError;
use sea_orm::{ColumnTrait, EntityTrait, QueryFilter, QueryOrder};

use super::self_service::{apply_action, from_queue, internal, open, request_view};
use crate::db::entity::outbox as outbox_row;
use crate::jobs::queue::{Queue, QueueError, Request};
use crate::jobs::state::offered_actions;
use crate::jobs::timeline::{self, Actor, Entry};
use crate::jobs::Migrations;
use crate::notify::{emails, outbox};

/// Timeline entries a detail page shows (the newest).
const TIMELINE_LIMIT: u64 = 300;

/// Everything the request's page shows.
pub async fn detail(m: Option<&Migrations>, id: RequestId) -> Result<RequestDetail, AppError> {
    let m = open(m)?;
    let request = find(m, id).await?;
    let person = owner(m, &request).await?;
    let account_usable = match m.accounts.old_account(request.user_id).await {
        Ok(account) => account.is_some_and(|a| m.accounts.usable(&a)),
        Err(e) => return Err(internal(e)),
    };
    let (timeline, timeline_omitted) = timeline::read(&m.db, id, TIMELINE_LIMIT)
        .await
        .map_err(internal)?;
    let (class, attempts, worker) = (
        request.failure_class,
        request.attempts,
        request.worker.clone(),
    );
    let quarantined = crate::jobs::corrupt::held(m, &request)
        .await
        .map_err(internal)?
        .iter()
        .map(|h| h.item())
        .collect();
    let queue = Queue { db: &m.db };
    let protocol = queue.protocol(id).await.map_err(internal)?.map(Into::into);
    let mut view = request_view(&queue, request).await?;
    // The same buttons as the person's, by the same rules.
    view.actions = offered_actions(view.state);
    Ok(RequestDetail {
        person,
        request: view,
        class,
        attempts,
        worker,
        account_usable,
        timeline,
        timeline_omitted,
        quarantined,
        protocol,
    })
}

/// Presses `action` for the person, recorded with `staff` and `reason`.
pub async fn act(
    m: Option<&Migrations>,
    staff: &Viewer,
    id: RequestId,
    action: RequestAction,
    reason: &Reason,
) -> Result<RequestDetail, AppError> {
    let migrations = open(m)?;
    let request = find(migrations, id).await?;
    let actor = staff_actor(staff, reason);
    apply_action(migrations, &request, action, actor).await?;
    tracing::info!(request = %id, by = %staff.email, ?action, "acted for the person");
    detail(m, id).await
}

/// Presses `action` for every request `selection` holds in the triage queue, each through the state
/// machine and recorded with `staff` and `reason`, once `expected` (the count the confirmation
/// showed) still matches.
pub async fn bulk(
    m: Option<&Migrations>,
    staff: &Viewer,
    selection: TriageSelection,
    action: RequestAction,
    reason: &Reason,
    expected: u64,
) -> Result<BulkOutcome, AppError> {
    let migrations = open(m)?;
    let queue = migrations.triage().await.map_err(internal)?;
    let held: Vec<&TriageRow> = queue.rows.iter().filter(|r| selection.holds(r)).collect();
    if held.len() as u64 != expected {
        return Err(AppError::Conflict(format!(
            "The selection changed since you looked: it now holds {} request(s), not {expected}. Look again, then confirm.",
            held.len()
        )));
    }
    let ids: Vec<RequestId> = held.iter().filter_map(|r| r.request_id).collect();
    let actor = staff_actor(staff, reason);
    let mut outcome = BulkOutcome {
        done: Vec::new(),
        refused: Vec::new(),
        not_started: (held.len() - ids.len()) as u64,
    };
    for id in ids {
        let applied = match find(migrations, id).await {
            Ok(request) => apply_action(migrations, &request, action, actor).await,
            Err(e) => Err(e),
        };
        match applied {
            Ok(_) => outcome.done.push(id),
            Err(e) => outcome.refused.push((id, e.to_string())),
        }
    }
    tracing::info!(by = %staff.email, ?action, done = outcome.done.len(), refused = outcome.refused.len(), "acted on a selection");
    Ok(outcome)
}

/// Adds a note to the request's timeline.
pub async fn note(
    m: Option<&Migrations>,
    staff: &Viewer,
    id: RequestId,
    text: &Reason,
) -> Result<RequestDetail, AppError> {
    let migrations = open(m)?;
    find(migrations, id).await?;
    let actor = staff_actor(staff, text);
    timeline::record(&migrations.db, id, Entry::Note, actor, None)
        .await
        .map_err(internal)?;
    detail(m, id).await
}

/// Emails the person about their request: asks them to reconnect, or sends the last email again.
pub async fn email(
    m: Option<&Migrations>,
    staff: &Viewer,
    id: RequestId,
    which: StaffEmail,
    reason: &Reason,
) -> Result<RequestDetail, AppError> {
    let migrations = open(m)?;
    let request = find(migrations, id).await?;
    let person = owner(migrations, &request).await?;
    let email = match which {
        StaffEmail::AskToReconnect => {
            let portal = migrations.public_url.join("me").map_err(internal)?;
            emails::reconnect(&migrations.templates, &person.display_name, portal.as_str())
                .map_err(internal)?
        }
        StaffEmail::ResendLast => last_email_to(migrations, &request).await?,
    };
    let entry = match which {
        StaffEmail::AskToReconnect => Entry::AskedToReconnect,
        StaffEmail::ResendLast => Entry::EmailResent,
    };
    let about = outbox::About {
        user_id: Some(request.user_id),
        request_id: Some(id),
        recipient: &person.email,
    };
    let actor = staff_actor(staff, reason);
    let txn = crate::db::begin(&migrations.db).await.map_err(internal)?;
    outbox::enqueue(&txn, about, email)
        .await
        .map_err(internal)?;
    timeline::record(&txn, id, entry, actor, None)
        .await
        .map_err(internal)?;
    txn.commit().await.map_err(internal)?;
    tracing::info!(request = %id, by = %staff.email, ?which, "emailed the person");
    detail(m, id).await
}

/// The last email the request's owner was sent about it, to send again as it was.
async fn last_email_to(m: &Migrations, request: &Request) -> Result<emails::Rendered, AppError> {
    let last = outbox_row::Entity::find()
        .filter(outbox_row::Column::RequestId.eq(request.id.get()))
        .filter(outbox_row::Column::UserId.eq(request.user_id.get()))
        .order_by_desc(outbox_row::Column::Id)
        .one(&m.db)
        .await
        .map_err(internal)?
        .ok_or_else(|| {
            AppError::BadRequest(
                "No email has been written to this person about this request yet: there is nothing to send again."
                    .into(),
            )
        })?;
    Ok(emails::Rendered {
        subject: last.subject,
        text: last.text_body,
        html: last.html_body,
    })
}

/// Helpdesk or IT acting for the person, and why.
pub(super) fn staff_actor<'a>(staff: &'a Viewer, reason: &'a Reason) -> Actor<'a> {
    Actor::Staff {
        email: &staff.email,
        reason,
    }
}

/// Whose the request is.
async fn owner(m: &Migrations, request: &Request) -> Result<Person, AppError> {
    crate::db::people::get(&m.db, request.user_id)
        .await
        .map_err(internal)?
        .ok_or_else(|| no_such(request.id))
}

pub(super) async fn find(m: &Migrations, id: RequestId) -> Result<Request, AppError> {
    match (Queue { db: &m.db }).get(id).await {
        Err(QueueError::NotFound(_)) => Err(no_such(id)),
        other => other.map_err(from_queue),
    }
}

fn no_such(id: RequestId) -> AppError {
    AppError::NotFound(format!(
        "There is no migration request {id}. Find the person from the helpdesk page instead."
    ))
}
