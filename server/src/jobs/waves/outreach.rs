//! A wave's emails carried out: every worker round, each running wave's schedule ([`super::comms`])
//! is read against who has started and what the outbox has taken, and what is due goes into the
//! outbox once (its key). The same reading, without sending, is IT's dry run ([`messages`]).
use std::collections::{HashMap, HashSet};

use app::dto::{Delivery, WaveEmail, WaveMessage, WaveMessages, WaveMode, WaveState};
use sea_orm::{ColumnTrait, DatabaseConnection, DbErr, EntityTrait, QueryFilter, QuerySelect};

use super::comms::{self, Facts, Person, Planned};
use crate::db::entity::{migration_request as request, user, wave, wave_member};
use crate::db::VALUES_PER_QUERY;
use crate::jobs::Migrations;
use crate::notify::emails::{self, Kind, TemplateError, WaveWords};
use crate::notify::outbox::{self, About};

#[derive(Debug, thiserror::Error)]
pub enum OutreachError {
    #[error("the database failed: {0}")]
    Db(#[from] DbErr),
    #[error("a wave's email cannot be made: {0}")]
    Template(#[from] TemplateError),
}

/// When the wave runs, in words for its emails.
pub fn window_in_words(start: Option<i64>, end: Option<i64>) -> String {
    use app::format::format_unix;
    match (start, end) {
        (Some(s), Some(e)) => format!("from {} to {} (UTC)", format_unix(s), format_unix(e)),
        (Some(s), None) => format!("from {} (UTC)", format_unix(s)),
        (None, Some(e)) => format!("from now until {} (UTC)", format_unix(e)),
        (None, None) => "from now on".to_owned(),
    }
}

/// How soon the window opening at `opens` is, seen at `now`, as a few words and as a sentence
/// (from the time left, so a late reminder never names a day already past).
fn when(opens: Option<i64>, now: i64) -> (String, String) {
    let left = opens.map_or(0, |o| o - now);
    // Whole days, rounded: 20 hours ahead is "tomorrow".
    match (left + comms::DAY / 2).div_euclid(comms::DAY) {
        days if left <= 0 || days == 0 => ("now".into(), "The time to do it has started.".into()),
        1 => (
            "tomorrow".into(),
            "The time to do it starts tomorrow.".into(),
        ),
        days => (
            format!("in {days} days"),
            format!("The time to do it starts in {days} days."),
        ),
    }
}

/// A member as the schedule and the emails need them.
struct Member {
    id: i64,
    email: String,
    name: String,
    user_id: Option<i64>,
    started: bool,
}

async fn members(db: &DatabaseConnection, w: &wave::Model) -> Result<Vec<Member>, DbErr> {
    let rows: Vec<wave_member::Model> = super::store::members(db, w).await?;
    let users = super::preview::users_of(db, &rows).await?;
    let ids: Vec<i64> = users.values().copied().collect();
    let mut names: HashMap<i64, String> = HashMap::new();
    // In an IT-run wave the wave's own requests are Fountain's doing, not the person starting.
    let it_run = WaveMode::parse(&w.mode) == Some(WaveMode::ItRun);
    let mut started: HashSet<i64> = HashSet::new();
    for chunk in ids.chunks(VALUES_PER_QUERY) {
        let found: Vec<(i64, String)> = user::Entity::find()
            .select_only()
            .column(user::Column::Id)
            .column(user::Column::DisplayName)
            .filter(user::Column::Id.is_in(chunk.iter().copied()))
            .into_tuple()
            .all(db)
            .await?;
        names.extend(found);
        let asked: Vec<(i64, Option<i64>)> = request::Entity::find()
            .select_only()
            .column(request::Column::UserId)
            .column(request::Column::WaveId)
            .filter(request::Column::UserId.is_in(chunk.iter().copied()))
            .into_tuple()
            .all(db)
            .await?;
        started.extend(
            asked
                .into_iter()
                .filter(|(_, wave)| !(it_run && *wave == Some(w.id)))
                .map(|(user, _)| user),
        );
    }
    Ok(rows
        .into_iter()
        .map(|row| {
            let user_id = users.get(&row.email).copied();
            let local = row.email.split('@').next().unwrap_or_default().to_owned();
            Member {
                id: row.id,
                name: user_id
                    .and_then(|u| names.get(&u).cloned())
                    .filter(|n| !n.trim().is_empty())
                    .unwrap_or(local),
                email: row.email,
                user_id,
                started: user_id.is_some_and(|u| started.contains(&u)),
            }
        })
        .collect())
}

fn facts(w: &wave::Model, now: i64) -> Facts {
    Facts {
        mode: WaveMode::parse(&w.mode).unwrap_or(WaveMode::Invite),
        started_at: w.started_at.unwrap_or(now),
        window_start: w.window_start,
        window_end: w.window_end,
    }
}

/// The dry run: who gets what and when (sent already, due now, or planned), as if the wave started
/// now when it has not; `reminder_days` as `migration.wave_reminder_days` says.
pub async fn messages(
    db: &DatabaseConnection,
    reminder_days: &[u32],
    w: &wave::Model,
    now: i64,
) -> Result<WaveMessages, DbErr> {
    let people = members(db, w).await?;
    let taken: HashSet<String> = outbox::keys_taken(db, &comms::key_prefix(w.id))
        .await?
        .into_iter()
        .collect();
    let f = facts(w, now);
    let schedule = comms::schedule(f, reminder_days, &persons(&people));
    let running = WaveState::parse(&w.state) == Some(WaveState::Running);
    let due: HashSet<Planned> = if running {
        comms::due_now(w.id, w.window_start, &schedule, now, &taken)
            .into_iter()
            .collect()
    } else {
        HashSet::new()
    };
    let email: HashMap<i64, &str> = people.iter().map(|p| (p.id, p.email.as_str())).collect();
    let all_emails = [
        WaveEmail::Invitation,
        WaveEmail::Notice,
        WaveEmail::ReminderWindowOpens,
    ]
    .into_iter()
    .chain(
        reminder_days
            .iter()
            .map(|d| WaveEmail::ReminderDaysBefore(*d)),
    );
    let all_emails: Vec<WaveEmail> = all_emails.collect();
    let mut out: Vec<WaveMessage> = Vec::new();
    // What went out already, to anyone (those who started since included).
    for p in &people {
        for what in &all_emails {
            if taken.contains(&comms::key(w.id, p.id, *what, w.window_start)) {
                let planned = schedule
                    .iter()
                    .find(|s| s.member_id == p.id && s.what == *what);
                out.push(WaveMessage {
                    email: p.email.clone(),
                    what: *what,
                    due: planned.map_or(f.started_at, |s| s.due),
                    delivery: Delivery::Sent,
                });
            }
        }
    }
    for s in &schedule {
        if taken.contains(&comms::key(w.id, s.member_id, s.what, w.window_start)) {
            continue;
        }
        out.push(WaveMessage {
            email: email
                .get(&s.member_id)
                .copied()
                .unwrap_or_default()
                .to_owned(),
            what: s.what,
            due: s.due,
            delivery: if due.contains(s) {
                Delivery::Due
            } else {
                Delivery::Later
            },
        });
    }
    out.sort_by(|a, b| (a.due, &a.email, a.what).cmp(&(b.due, &b.email, b.what)));
    Ok(WaveMessages {
        as_if_started_now: w.started_at.is_none(),
        messages: out,
    })
}

fn persons(people: &[Member]) -> Vec<Person> {
    people
        .iter()
        .map(|p| Person {
            member_id: p.id,
            started: p.started,
        })
        .collect()
}

/// Puts what is due of every running wave into the outbox, each once; how many went in.
pub async fn send_due(m: &Migrations, now: i64) -> Result<usize, OutreachError> {
    let waves = wave::Entity::find()
        .filter(wave::Column::State.eq(WaveState::Running.as_str()))
        .all(&m.db)
        .await?;
    let mut sent = 0;
    for w in waves {
        let people = members(&m.db, &w).await?;
        let f = facts(&w, now);
        let schedule = comms::schedule(f, &m.settings.wave_reminder_days, &persons(&people));
        if schedule.iter().all(|p| p.due > now) {
            continue;
        }
        let taken: HashSet<String> = outbox::keys_taken(&m.db, &comms::key_prefix(w.id))
            .await?
            .into_iter()
            .collect();
        let by_id: HashMap<i64, &Member> = people.iter().map(|p| (p.id, p)).collect();
        let window = window_in_words(w.window_start, w.window_end);
        let portal_url = m.portal_url();
        let words = WaveWords {
            wave: &w.name,
            window: &window,
            portal_url: &portal_url,
        };
        for due in comms::due_now(w.id, w.window_start, &schedule, now, &taken) {
            let Some(person) = by_id.get(&due.member_id) else {
                continue;
            };
            let email = match due.what {
                WaveEmail::Invitation => {
                    emails::wave_email(&m.templates, Kind::Invitation, &person.name, words)?
                }
                WaveEmail::Notice => {
                    emails::wave_email(&m.templates, Kind::Notice, &person.name, words)?
                }
                _ => {
                    let (soon, sentence) = when(w.window_start, now);
                    emails::reminder(&m.templates, &person.name, words, &soon, &sentence)?
                }
            };
            let about = About {
                user_id: person.user_id.map(app::dto::UserId),
                request_id: None,
                recipient: &person.email,
            };
            let key = comms::key(w.id, due.member_id, due.what, w.window_start);
            if outbox::enqueue_once(&m.db, about, email, &key).await? {
                tracing::info!(wave = %w.name, email = %person.email, what = %due.what.key(), "wave email");
                sent += 1;
            }
        }
    }
    Ok(sent)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_window_and_how_soon_in_words() {
        assert_eq!(window_in_words(None, None), "from now on");
        assert!(window_in_words(Some(0), Some(3_600)).starts_with("from 1970-01-01 00:00 to "));
        let day = comms::DAY;
        assert_eq!(when(Some(day), 0).0, "tomorrow");
        assert_eq!(when(Some(7 * day), 0).0, "in 7 days");
        // A reminder for "7 days before" sent late says how long it really is.
        assert_eq!(when(Some(7 * day), 5 * day).0, "in 2 days");
        assert_eq!(when(Some(day), day + 5).0, "now");
        assert_eq!(when(None, 0).0, "now");
    }
}
