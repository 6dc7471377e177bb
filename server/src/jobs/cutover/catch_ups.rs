//! The catch-ups after the switch: every round a worker asks for those due (the person's finished
//! request runs again and copies only what is missing; the new server is only added to) and sets
//! the next one. A person whose copy is still running, stopped, or not started waits, and IT sees
//! why. Two workers never ask twice: the schedule moves only where it still says what was read.
use app::dto::RequestState;

use super::schedule::CatchUpSchedule;
use super::store;
use crate::db::entity::cutover;
use crate::db::people;
use crate::jobs::queue::{Queue, QueueError};
use crate::jobs::state::Event;
use crate::jobs::timeline::Actor;
use crate::jobs::Migrations;
use crate::notify::{emails, outbox};

/// What to do with a due catch-up, by the person's latest request. Pure.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Decision {
    /// Run the finished request again.
    CatchUp,
    /// Not now; the reason IT sees (`None`: nothing is wrong, a copy is under way and takes the new
    /// mail too).
    Wait(Option<&'static str>),
}

pub fn decide(latest: Option<RequestState>) -> Decision {
    use RequestState as S;
    match latest {
        Some(S::Done | S::NeedsAttention) => Decision::CatchUp,
        Some(S::Scheduled | S::Queued | S::Copying) => Decision::Wait(None),
        Some(S::Paused) => Decision::Wait(Some(
            "Their migration is paused: catch-ups wait until it is resumed.",
        )),
        Some(S::Failed) => Decision::Wait(Some(
            "Their migration stopped on a failure: a retry from the helpdesk copies what arrived too.",
        )),
        Some(S::Cancelled) => Decision::Wait(Some(
            "Their migration was cancelled: nothing is copied until they (or IT) start one again.",
        )),
        None => Decision::Wait(Some(
            "No copy yet: catch-ups start once their first copy is done.",
        )),
    }
}

const NO_PASSWORD: &str =
    "Fountain no longer holds their old password (it is forgotten once a copy is done): \
     they press “Catch-up sync” on their page, which asks for it.";

/// Asks for the catch-ups due at `now`; how many were asked for.
pub async fn run_due(m: &Migrations, now: i64) -> Result<usize, QueueError> {
    let schedule = m.settings.cutover.schedule();
    let mut asked = 0;
    for row in store::due(&m.db, now, 200).await? {
        match catch_up(m, &row, &schedule, now).await {
            Ok(true) => asked += 1,
            Ok(false) => {}
            // One person's trouble never holds up everyone else's catch-ups: theirs is tried again
            // a step later.
            Err(e) => {
                tracing::error!(person = %row.email, error = %e, "cannot ask for a catch-up");
                let later = now.saturating_add(schedule.every_secs);
                let why = "Fountain could not ask for this catch-up (see its log); it tries again.";
                if let Err(e) =
                    store::rescheduled(&m.db, &row, now, false, Some(later), Some(why)).await
                {
                    tracing::error!(person = %row.email, error = %e, "cannot put the catch-up off");
                }
            }
        }
    }
    Ok(asked)
}

async fn catch_up(
    m: &Migrations,
    row: &cutover::Model,
    schedule: &CatchUpSchedule,
    now: i64,
) -> Result<bool, QueueError> {
    let queue = Queue { db: &m.db };
    let person = people::by_email(&m.db, &row.email).await?;
    let latest = match &person {
        Some(person) => queue.latest_for(person.user_id).await?,
        None => None,
    };
    let next = schedule.after(row.switched_at, now);
    let mut decision = decide(latest.as_ref().map(|r| r.state));
    if let (Decision::CatchUp, Some(person)) = (&decision, &person) {
        // Where people type their old password, it may have been forgotten before the switch.
        if m.accounts.old_credentials(person.user_id).await.is_err() {
            decision = Decision::Wait(Some(NO_PASSWORD));
        }
    }
    let (Decision::CatchUp, Some(request)) = (&decision, &latest) else {
        let Decision::Wait(why) = decision else {
            unreachable!("a catch-up has its request")
        };
        // Waiting is checked again a step later; past the schedule's end it stops. The person is
        // asked for their password once, when the catch-ups first wait for it.
        let txn = crate::db::begin(&m.db).await?;
        let moved = store::rescheduled(&txn, row, now, false, next, why).await?;
        let ask = why == Some(NO_PASSWORD) && row.password_asked_at.is_none() && next.is_some();
        if let (true, true, Some(person)) = (moved, ask, &person) {
            ask_for_password(m, &txn, person).await?;
            store::password_asked(&txn, row.id, now).await?;
        }
        txn.commit().await?;
        return Ok(false);
    };
    // The schedule first: of two workers, only the one that moves it asks.
    if !store::rescheduled(&m.db, row, now, true, next, None).await? {
        return Ok(false);
    }
    match queue
        .apply(request.id, Event::CatchUp, Actor::Cutover, None)
        .await
    {
        Ok(_) => {
            tracing::info!(request = %request.id, person = %row.email, "catch-up after the switch");
            Ok(true)
        }
        // The person (or the helpdesk) acted meanwhile: the next round sees what they did.
        Err(QueueError::Changed { .. } | QueueError::NotAllowed(_)) => Ok(false),
        Err(e) => Err(e),
    }
}

/// The email asking for the old password, with the catch-up that waits for it.
async fn ask_for_password(
    m: &Migrations,
    txn: &impl sea_orm::ConnectionTrait,
    person: &app::dto::Person,
) -> Result<(), QueueError> {
    match emails::catch_up_password(&m.templates, &person.display_name, &m.portal_url()) {
        Ok(email) => {
            let about = outbox::About {
                user_id: Some(person.user_id),
                request_id: None,
                recipient: &person.email,
            };
            outbox::enqueue(txn, about, email).await?;
            tracing::info!(person = %person.email, "catch-ups wait for the old password: asked");
        }
        Err(e) => tracing::error!(error = %e, "the catch-up email's template is broken"),
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_a_finished_copy_is_caught_up() {
        use RequestState as S;
        assert_eq!(decide(Some(S::Done)), Decision::CatchUp);
        assert_eq!(decide(Some(S::NeedsAttention)), Decision::CatchUp);
        for running in [S::Scheduled, S::Queued, S::Copying] {
            assert_eq!(decide(Some(running)), Decision::Wait(None));
        }
        for stopped in [S::Paused, S::Failed, S::Cancelled] {
            assert!(matches!(decide(Some(stopped)), Decision::Wait(Some(_))));
        }
        assert!(matches!(decide(None), Decision::Wait(Some(_))));
    }
}
