//! The email outbox: an email is a row written in the same transaction as the change it tells about
//! ([`enqueue`]); the sender sends due rows, retrying with the pauses [`retry_after`] gives, spread
//! at random. SMTP being down delays an email; it never loses one. An email the SMTP server refuses
//! for good (a 5xx reply, an address that is not one), or one tried [`MAX_ATTEMPTS`] times, is given
//! up on ([`after_failure`]): it stays in the outbox, marked, for the helpdesk to see.
use std::time::Duration;

use sea_orm::{ConnectionTrait, DbErr, EntityTrait, Set};

use app::dto::{RequestId, UserId};

use super::emails::Rendered;
use crate::db::entity::outbox as row;
use crate::db::now;

/// Who an email is to and what it is about.
#[derive(Debug, Clone, Copy)]
pub struct About<'a> {
    /// The person it is for (`None`: a team address, such as the helpdesk's).
    pub user_id: Option<UserId>,
    /// The request it tells about: its timeline shows the email.
    pub request_id: Option<RequestId>,
    pub recipient: &'a str,
}

/// Puts an email in the outbox (on `db`, which may be the transaction of the state change).
pub async fn enqueue(
    db: &impl ConnectionTrait,
    about: About<'_>,
    email: Rendered,
) -> Result<(), DbErr> {
    row::Entity::insert(new_row(about, email, None))
        .exec_without_returning(db)
        .await?;
    Ok(())
}

fn new_row(about: About<'_>, email: Rendered, once_key: Option<&str>) -> row::ActiveModel {
    let at = now();
    row::ActiveModel {
        user_id: Set(about.user_id.map(UserId::get)),
        request_id: Set(about.request_id.map(RequestId::get)),
        recipient: Set(about.recipient.to_owned()),
        subject: Set(email.subject),
        text_body: Set(email.text),
        html_body: Set(email.html),
        attempts: Set(0),
        next_attempt_at: Set(at),
        created_at: Set(at),
        once_key: Set(once_key.map(str::to_owned)),
        ..Default::default()
    }
}

/// Puts an email in the outbox unless one with `key` is there already (sent or not): for emails that
/// every worker decides again each round, so a restart or a second worker never sends one twice.
/// Whether it was put in now.
pub async fn enqueue_once(
    db: &impl ConnectionTrait,
    about: About<'_>,
    email: Rendered,
    key: &str,
) -> Result<bool, DbErr> {
    use sea_orm::sea_query::OnConflict;
    let inserted = row::Entity::insert(new_row(about, email, Some(key)))
        .on_conflict(
            OnConflict::column(row::Column::OnceKey)
                .do_nothing()
                .to_owned(),
        )
        .exec_without_returning(db)
        .await?;
    Ok(inserted > 0)
}

/// The keys of `prefix` the outbox has taken already.
pub async fn keys_taken(db: &impl ConnectionTrait, prefix: &str) -> Result<Vec<String>, DbErr> {
    use sea_orm::{ColumnTrait, QueryFilter, QuerySelect};
    let keys: Vec<Option<String>> = row::Entity::find()
        .select_only()
        .column(row::Column::OnceKey)
        .filter(row::Column::OnceKey.starts_with(prefix))
        .into_tuple()
        .all(db)
        .await?;
    Ok(keys.into_iter().flatten().collect())
}

/// The emails given up on, newest first, at most `limit`.
pub async fn given_up(
    db: &impl ConnectionTrait,
    limit: u64,
) -> Result<Vec<app::dto::UndeliveredEmail>, DbErr> {
    use sea_orm::{ColumnTrait, QueryFilter, QueryOrder, QuerySelect};
    let rows = row::Entity::find()
        .filter(row::Column::GaveUpAt.is_not_null())
        .order_by_desc(row::Column::GaveUpAt)
        .order_by_desc(row::Column::Id)
        .limit(limit)
        .all(db)
        .await?;
    Ok(rows
        .into_iter()
        .map(|r| app::dto::UndeliveredEmail {
            to: r.recipient,
            subject: r.subject,
            request_id: r.request_id.map(RequestId),
            written_at: r.created_at,
            gave_up_at: r.gave_up_at.unwrap_or_default(),
            attempts: r.attempts,
            why: r.last_error.unwrap_or_default(),
        })
        .collect())
}

/// The pause after the `attempts`-th failure: 30 s, doubling, at most an hour.
pub fn retry_after(attempts: i32) -> Duration {
    let exp = attempts.clamp(1, 8) as u32 - 1;
    Duration::from_secs((30u64 << exp).min(3600))
}

/// Whether an SMTP refusal (`permanent`: a 5xx reply) is about this email's recipient, so trying it
/// again cannot help: an enhanced status code of a bad destination address (RFC 3463: 5.1.1 no such
/// mailbox, 5.1.2 no such domain, 5.1.3 a bad address, 5.1.6 moved, 5.1.10 a null MX). A 5xx about
/// anything else (relaying refused, authentication, a sender the relay rejects, the relay's own
/// greeting) would refuse every email alike: those are retried until the attempt cap, so a relay
/// set up wrongly delays email instead of losing it.
pub fn refused_for_this_recipient(permanent: bool, reply: &str) -> bool {
    const ABOUT_THE_RECIPIENT: [&str; 5] = ["5.1.1", "5.1.2", "5.1.3", "5.1.6", "5.1.10"];
    permanent
        && reply
            .split(|c: char| !(c.is_ascii_digit() || c == '.'))
            .any(|word| ABOUT_THE_RECIPIENT.contains(&word))
}

/// Attempts before an email is given up on: about a day of an SMTP server refusing it for a while.
pub const MAX_ATTEMPTS: i32 = 30;

/// What becomes of an email after a failed attempt.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AfterFailure {
    /// Try again at this time (Unix seconds).
    RetryAt(i64),
    /// Never try again: refused for good, or tried too often.
    GiveUp,
}

/// After the `attempts`-th failed attempt at `at` (Unix seconds): a refusal for good, or the last
/// allowed attempt, gives up; else the pause of [`retry_after`], spread by `jitter` in `[0, 1)` so
/// many emails held up by one outage do not all go again in the same second.
pub fn after_failure(attempts: i32, permanent: bool, at: i64, jitter: f64) -> AfterFailure {
    if permanent || attempts >= MAX_ATTEMPTS {
        return AfterFailure::GiveUp;
    }
    let pause = crate::backoff::spread(retry_after(attempts), jitter);
    AfterFailure::RetryAt(at + pause.as_secs().max(1) as i64)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_a_refusal_of_the_recipient_is_for_good() {
        let unknown =
            "permanent error (550): 5.1.1 <nobody@example.org>: Recipient address rejected";
        assert!(refused_for_this_recipient(true, unknown));
        assert!(
            !refused_for_this_recipient(false, unknown),
            "a 4xx is never for good"
        );
        for reply in [
            "permanent error (554): 5.7.1 <a@example.org>: Relay access denied",
            "permanent error (535): 5.7.8 Authentication credentials invalid",
            "permanent error (550): 5.1.7 bad sender's mailbox address syntax",
            "permanent error (550): mailbox unavailable",
            "permanent error (554): 5.1.100 not a code",
        ] {
            assert!(!refused_for_this_recipient(true, reply), "{reply}");
        }
        assert!(refused_for_this_recipient(true, "550 5.1.10 null MX"));
    }

    proptest::proptest! {
        #[test]
        fn any_reply_is_classified_without_panicking(reply in ".*", permanent in proptest::bool::ANY) {
            let _ = refused_for_this_recipient(permanent, &reply);
        }
    }

    #[test]
    fn refusals_for_good_and_the_last_attempt_give_up() {
        assert_eq!(after_failure(1, true, 100, 0.5), AfterFailure::GiveUp);
        assert_eq!(
            after_failure(MAX_ATTEMPTS, false, 100, 0.5),
            AfterFailure::GiveUp
        );
        assert_eq!(
            after_failure(1, false, 100, 0.5),
            AfterFailure::RetryAt(130)
        );
        // Spread from half the pause to one and a half times it.
        assert_eq!(after_failure(2, false, 0, 0.0), AfterFailure::RetryAt(30));
        assert_eq!(
            after_failure(2, false, 0, 0.999_999),
            AfterFailure::RetryAt(89)
        );
    }

    #[test]
    fn retries_back_off_to_an_hour() {
        assert_eq!(retry_after(1), Duration::from_secs(30));
        assert_eq!(retry_after(2), Duration::from_secs(60));
        assert_eq!(retry_after(5), Duration::from_secs(480));
        assert_eq!(retry_after(50), Duration::from_secs(3600));
    }
}
