//! What a wave tells its people and when, decided (pure): when the wave starts, an invitation (an
//! invitation wave) or a notice (an IT-run wave) to everyone who has not started; then, for an
//! invitation wave, a reminder some days before the window opens (`migration.wave_reminder_days`)
//! and one when it opens, each only to those who still have not started. What is due is sent once
//! per person and email (the outbox's key), at most one email per person per round, and of several
//! reminders due at once only the latest.
use std::collections::HashSet;

use app::dto::{WaveEmail, WaveMode};

pub const DAY: i64 = 86_400;

/// What the schedule needs of the wave.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Facts {
    pub mode: WaveMode,
    /// When it started (or now, for a dry run of a wave not started).
    pub started_at: i64,
    pub window_start: Option<i64>,
    pub window_end: Option<i64>,
}

/// A member, and whether they have started their migration (asked for a copy).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Person {
    pub member_id: i64,
    pub started: bool,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Planned {
    pub member_id: i64,
    pub what: WaveEmail,
    pub due: i64,
}

/// The outbox key of `what` to `member_id` of wave `wave_id`; a reminder's names the window's start
/// it reminds of, so moving the window lets its reminders go again.
pub fn key(wave_id: i64, member_id: i64, what: WaveEmail, opens: Option<i64>) -> String {
    let base = format!("{}{member_id}:{}", key_prefix(wave_id), what.key());
    match (what.is_reminder(), opens) {
        (true, Some(opens)) => format!("{base}@{opens}"),
        _ => base,
    }
}

/// What every key of the wave starts with.
pub fn key_prefix(wave_id: i64) -> String {
    format!("wave:{wave_id}:")
}

/// Every email the wave will send to those who have not started, by time.
pub fn schedule(f: Facts, reminder_days: &[u32], people: &[Person]) -> Vec<Planned> {
    let mut reminders: Vec<(WaveEmail, i64)> = Vec::new();
    if let (WaveMode::Invite, Some(opens)) = (f.mode, f.window_start) {
        let mut days: Vec<u32> = reminder_days.iter().copied().filter(|d| *d > 0).collect();
        days.sort_unstable();
        days.dedup();
        reminders.extend(
            days.into_iter()
                .map(|d| (WaveEmail::ReminderDaysBefore(d), opens - i64::from(d) * DAY)),
        );
        reminders.push((WaveEmail::ReminderWindowOpens, opens));
    }
    // A reminder before the wave started, or after its window closed, has no point.
    reminders.retain(|(_, due)| *due > f.started_at && f.window_end.is_none_or(|end| *due < end));
    let first = match f.mode {
        WaveMode::Invite => WaveEmail::Invitation,
        WaveMode::ItRun => WaveEmail::Notice,
    };
    let mut out: Vec<Planned> = people
        .iter()
        .filter(|p| !p.started)
        .flat_map(|p| {
            std::iter::once(Planned {
                member_id: p.member_id,
                what: first,
                due: f.started_at,
            })
            .chain(reminders.iter().map(|(what, due)| Planned {
                member_id: p.member_id,
                what: *what,
                due: *due,
            }))
        })
        .collect();
    out.sort_by_key(|p| (p.due, p.member_id));
    out
}

/// A reminder this late (workers stopped, say) is not sent any more: it would remind of a moment past.
pub const REMINDER_LATE_SECS: i64 = DAY;

/// Of `planned`, what to send now given the keys the outbox has taken (`sent`, as [`key`] makes
/// them for `wave_id` and its window's start `opens`): due and not sent; per person one email a
/// round, the first email before any reminder, and of the reminders due only the latest (none
/// older than one already sent, none more than [`REMINDER_LATE_SECS`] late).
pub fn due_now(
    wave_id: i64,
    opens: Option<i64>,
    planned: &[Planned],
    now: i64,
    sent: &HashSet<String>,
) -> Vec<Planned> {
    let was_sent = |p: &Planned| sent.contains(&key(wave_id, p.member_id, p.what, opens));
    let mut by_member: std::collections::BTreeMap<i64, Vec<&Planned>> = Default::default();
    for p in planned {
        by_member.entry(p.member_id).or_default().push(p);
    }
    let mut out: Vec<Planned> = Vec::new();
    for theirs in by_member.into_values() {
        let first = theirs.iter().find(|p| !p.what.is_reminder());
        if let Some(first) = first {
            if !was_sent(first) {
                if first.due <= now {
                    out.push(**first);
                }
                continue;
            }
        }
        let latest_sent = theirs
            .iter()
            .filter(|p| p.what.is_reminder() && was_sent(p))
            .map(|p| p.due)
            .max();
        let latest_due = theirs
            .iter()
            .filter(|p| p.what.is_reminder() && p.due <= now)
            .max_by_key(|p| p.due);
        if let Some(due) = latest_due {
            let in_time = now - due.due <= REMINDER_LATE_SECS;
            if in_time && !was_sent(due) && latest_sent.is_none_or(|s| due.due > s) {
                out.push(**due);
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn invite(started_at: i64, opens: Option<i64>) -> Facts {
        Facts {
            mode: WaveMode::Invite,
            started_at,
            window_start: opens,
            window_end: None,
        }
    }

    fn people(started: &[bool]) -> Vec<Person> {
        started
            .iter()
            .enumerate()
            .map(|(i, s)| Person {
                member_id: i as i64,
                started: *s,
            })
            .collect()
    }

    #[test]
    fn an_invitation_then_reminders_before_and_when_the_window_opens_to_those_not_started() {
        let opens = 10 * DAY;
        let s = schedule(
            invite(0, Some(opens)),
            &[7, 1, 7, 0],
            &people(&[false, true]),
        );
        let what: Vec<(i64, WaveEmail, i64)> =
            s.iter().map(|p| (p.member_id, p.what, p.due)).collect();
        assert_eq!(
            what,
            [
                (0, WaveEmail::Invitation, 0),
                (0, WaveEmail::ReminderDaysBefore(7), 3 * DAY),
                (0, WaveEmail::ReminderDaysBefore(1), 9 * DAY),
                (0, WaveEmail::ReminderWindowOpens, opens),
            ]
        );
    }

    #[test]
    fn reminders_already_past_at_the_start_or_after_the_window_are_not_planned() {
        let mut f = invite(5 * DAY, Some(6 * DAY));
        f.window_end = Some(6 * DAY);
        let s = schedule(f, &[7, 1], &people(&[false]));
        assert_eq!(s.len(), 1, "{s:?}");
        // Without a window, only the invitation.
        assert_eq!(schedule(invite(0, None), &[7], &people(&[false])).len(), 1);
    }

    #[test]
    fn an_it_run_wave_sends_its_notice_and_no_reminders() {
        let f = Facts {
            mode: WaveMode::ItRun,
            ..invite(0, Some(10 * DAY))
        };
        let s = schedule(f, &[7, 1], &people(&[false, false, true]));
        assert!(s.iter().all(|p| p.what == WaveEmail::Notice && p.due == 0));
        assert_eq!(s.len(), 2);
    }

    #[test]
    fn the_first_email_goes_before_any_reminder_and_only_the_latest_reminder_due() {
        let opens = 10 * DAY;
        let s = schedule(invite(0, Some(opens)), &[7, 1], &people(&[false]));
        let mut sent = HashSet::new();
        // Workers were down until the window opened: the invitation first, alone.
        let now = opens + 1;
        let first = due_now(3, Some(opens), &s, now, &sent);
        assert_eq!(
            first.iter().map(|p| p.what).collect::<Vec<_>>(),
            [WaveEmail::Invitation]
        );
        sent.insert(key(3, 0, WaveEmail::Invitation, Some(opens)));
        let next = due_now(3, Some(opens), &s, now, &sent);
        assert_eq!(
            next.iter().map(|p| p.what).collect::<Vec<_>>(),
            [WaveEmail::ReminderWindowOpens]
        );
        sent.insert(key(3, 0, WaveEmail::ReminderWindowOpens, Some(opens)));
        assert!(due_now(3, Some(opens), &s, now, &sent).is_empty());
        // Two days late, the reminder is not sent at all.
        let mut invited = HashSet::new();
        invited.insert(key(3, 0, WaveEmail::Invitation, Some(opens)));
        assert!(due_now(3, Some(opens), &s, opens + 2 * DAY, &invited).is_empty());
    }

    #[test]
    fn a_moved_window_gets_its_own_reminders() {
        let r = WaveEmail::ReminderDaysBefore(1);
        assert_ne!(key(1, 2, r, Some(100)), key(1, 2, r, Some(200)));
        assert_eq!(
            key(1, 2, WaveEmail::Invitation, Some(100)),
            key(1, 2, WaveEmail::Invitation, Some(200))
        );
    }

    proptest! {
        #[test]
        fn nothing_goes_twice_nor_to_those_who_started(
            started in proptest::collection::vec(any::<bool>(), 0..8),
            days in proptest::collection::vec(0u32..15, 0..4),
            opens in proptest::option::of(0i64..20 * DAY),
            steps in proptest::collection::vec(0i64..3 * DAY, 1..20),
        ) {
            let people = people(&started);
            let s = schedule(invite(0, opens), &days, &people);
            let mut sent: HashSet<String> = HashSet::new();
            let mut now = 0;
            for step in steps {
                now += step;
                for p in due_now(9, opens, &s, now, &sent) {
                    prop_assert!(!started[p.member_id as usize], "to someone who started");
                    prop_assert!(p.due <= now);
                    prop_assert!(sent.insert(key(9, p.member_id, p.what, opens)), "twice: {:?}", p);
                }
            }
            // Everyone not started got the invitation once the rounds ran.
            for (i, s) in started.iter().enumerate() {
                prop_assert_eq!(sent.contains(&key(9, i as i64, WaveEmail::Invitation, opens)), !s);
            }
        }
    }
}
