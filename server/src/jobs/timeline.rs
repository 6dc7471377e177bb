//! A request's audit log and timeline. Every change of state is written with who made it (the person,
//! the helpdesk or IT with their reason, a worker run, Fountain itself) in the same transaction as the
//! change; notes and emails asked for are written the same way. The timeline reads the log together
//! with the emails in the outbox about the request, so it also says whether each email has left.
use app::dto::{DecisionKind, Reason, RequestId, RequestState, TimelineEntry, What, Who};
use sea_orm::{
    ColumnTrait, ConnectionTrait, DbErr, EntityTrait, PaginatorTrait, QueryFilter, QueryOrder,
    QuerySelect, Set,
};

use crate::db::entity::{outbox, request_event as row};
use crate::db::now;

/// Who makes a change.
#[derive(Debug, Clone, Copy)]
pub enum Actor<'a> {
    /// The person whose request it is.
    Owner,
    /// Helpdesk or IT acting for the person, and why.
    Staff { email: &'a str, reason: &'a Reason },
    /// Helpdesk or IT looking at something that is recorded (a download), which needs no reason.
    StaffLooking { email: &'a str },
    /// A worker run, by its claim's name: its events apply only while it holds the request.
    Worker(&'a str),
    /// Fountain itself (recovering a request whose worker stopped answering).
    Fountain,
    /// Fountain's catch-ups after delivery moved (`jobs::cutover`): shown as Fountain.
    Cutover,
    /// A wave's schedule (by the wave's name): its turn, its window, IT-run requests.
    Wave(&'a str),
}

impl Actor<'_> {
    fn stored(&self) -> (&'static str, Option<&str>, Option<&str>) {
        match *self {
            Actor::Owner => ("owner", None, None),
            Actor::Staff { email, reason } => ("staff", Some(email), Some(reason.as_str())),
            Actor::StaffLooking { email } => ("staff", Some(email), None),
            Actor::Worker(name) => ("worker", Some(name), None),
            Actor::Fountain => ("fountain", None, None),
            Actor::Cutover => ("fountain", Some(CUTOVER), None),
            Actor::Wave(name) => ("wave", Some(name), None),
        }
    }
}

/// What is written in the log.
#[derive(Debug, Clone, Copy)]
pub enum Entry {
    Submitted,
    Changed {
        from: RequestState,
        to: RequestState,
    },
    /// A note: the staff actor's reason is its text.
    Note,
    AskedToReconnect,
    EmailResent,
    /// IT's decision for quarantined messages (the detail names them).
    Decided(DecisionKind),
    /// IT downloaded a quarantined message's bytes.
    Downloaded,
}

/// Writes one line of the log (on `db`, the transaction of the change it records).
/// How [`Actor::Cutover`] is stored (as the actor of kind `fountain`).
const CUTOVER: &str = "cutover";

/// Whether the request's latest run was asked for by the catch-ups after the switch; then, the
/// state it was in before (`done` or `needs_attention`).
pub async fn caught_up_from(
    db: &impl ConnectionTrait,
    request: RequestId,
) -> Result<Option<RequestState>, DbErr> {
    let latest = row::Entity::find()
        .filter(row::Column::RequestId.eq(request.get()))
        .filter(row::Column::Kind.eq("changed"))
        .filter(row::Column::ToState.is_in([
            RequestState::Queued.as_str(),
            RequestState::Scheduled.as_str(),
        ]))
        .order_by_desc(row::Column::Id)
        .one(db)
        .await?;
    Ok(latest
        .filter(|e| e.actor_kind == "fountain" && e.actor.as_deref() == Some(CUTOVER))
        .and_then(|e| e.from_state.as_deref().and_then(RequestState::parse)))
}

pub async fn record(
    db: &impl ConnectionTrait,
    request: RequestId,
    entry: Entry,
    actor: Actor<'_>,
    detail: Option<&str>,
) -> Result<(), DbErr> {
    let (kind, from, to) = match entry {
        Entry::Submitted => ("submitted", None, None),
        Entry::Changed { from, to } => ("changed", Some(from.as_str()), Some(to.as_str())),
        Entry::Note => ("note", None, None),
        Entry::AskedToReconnect => ("asked_to_reconnect", None, None),
        Entry::EmailResent => ("email_resent", None, None),
        // The decision rides in `from_state`: a line of this kind has no change of state.
        Entry::Decided(kind) => ("quarantine_decided", Some(kind.as_str()), None),
        Entry::Downloaded => ("downloaded", None, None),
    };
    let (actor_kind, actor, reason) = actor.stored();
    row::Entity::insert(row::ActiveModel {
        request_id: Set(request.get()),
        at: Set(now()),
        kind: Set(kind.to_owned()),
        from_state: Set(from.map(str::to_owned)),
        to_state: Set(to.map(str::to_owned)),
        actor_kind: Set(actor_kind.to_owned()),
        actor: Set(actor.map(str::to_owned)),
        reason: Set(reason.map(str::to_owned)),
        detail: Set(detail.map(str::to_owned)),
        ..Default::default()
    })
    .exec_without_returning(db)
    .await?;
    Ok(())
}

/// The newest `limit` entries of the request's timeline, oldest first, and how many older ones
/// were left out.
pub async fn read(
    db: &impl ConnectionTrait,
    request: RequestId,
    limit: u64,
) -> Result<(Vec<TimelineEntry>, u64), DbErr> {
    let events = row::Entity::find()
        .filter(row::Column::RequestId.eq(request.get()))
        .order_by_desc(row::Column::Id)
        .limit(limit)
        .all(db)
        .await?;
    let emails = outbox::Entity::find()
        .filter(outbox::Column::RequestId.eq(request.get()))
        .order_by_desc(outbox::Column::Id)
        .limit(limit)
        .all(db)
        .await?;
    let total = row::Entity::find()
        .filter(row::Column::RequestId.eq(request.get()))
        .count(db)
        .await?
        + outbox::Entity::find()
            .filter(outbox::Column::RequestId.eq(request.get()))
            .count(db)
            .await?;
    // Oldest first; at the same second the change comes before the email that tells of it.
    let mut entries: Vec<(i64, u8, i64, TimelineEntry)> = events
        .into_iter()
        .filter_map(|e| Some((e.at, 0, e.id, entry(e)?)))
        .chain(
            emails
                .into_iter()
                .map(|m| (m.created_at, 1, m.id, email(m))),
        )
        .collect();
    entries.sort_by_key(|(at, order, id, _)| (*at, *order, *id));
    let keep = entries.len().saturating_sub(limit as usize);
    let shown: Vec<TimelineEntry> = entries.drain(keep..).map(|(.., e)| e).collect();
    let omitted = total.saturating_sub(shown.len() as u64);
    Ok((shown, omitted))
}

/// A stored line as the timeline shows it; `None` for a line this version cannot read (a kind from a
/// newer version), which is left out rather than failing the page.
fn entry(mut e: row::Model) -> Option<TimelineEntry> {
    let state = |s: &Option<String>| s.as_deref().and_then(RequestState::parse);
    let what = match e.kind.as_str() {
        "submitted" => What::Submitted,
        "changed" => What::Changed {
            from: state(&e.from_state)?,
            to: state(&e.to_state)?,
        },
        "note" => What::Note {
            text: e.reason.take().unwrap_or_default(),
        },
        "asked_to_reconnect" => What::AskedToReconnect,
        "email_resent" => What::EmailResent,
        "quarantine_decided" => What::Decided {
            decision: e.from_state.as_deref().and_then(DecisionKind::parse)?,
        },
        "downloaded" => What::Downloaded,
        _ => return None,
    };
    let who = match (e.actor_kind.as_str(), e.actor) {
        ("owner", _) => Who::Owner,
        ("staff", Some(email)) => Who::Staff { email },
        ("worker", Some(name)) => Who::Worker { name },
        ("wave", Some(name)) => Who::Wave { name },
        _ => Who::Fountain,
    };
    Some(TimelineEntry {
        at: e.at,
        who,
        what,
        reason: e.reason,
        detail: e.detail,
    })
}

fn email(m: outbox::Model) -> TimelineEntry {
    TimelineEntry {
        at: m.created_at,
        who: Who::Fountain,
        what: What::Email {
            to: m.recipient,
            subject: m.subject,
            sent_at: m.sent_at,
            attempts: m.attempts,
            last_error: m.last_error,
            gave_up_at: m.gave_up_at,
        },
        reason: None,
        detail: None,
    }
}
