//! Whether mail still reaches a person's old mailbox after the switch. Pure.
//!
//! A person is quiet once the old mailbox was read at least `quiet_secs` after the last thing that
//! arrived (or after the switch, if nothing did) and nothing newer was there: only a look taken that
//! late can say the old address has gone silent.
use app::dto::Quietness;

pub fn quietness(
    switched_at: i64,
    last_arrival: Option<i64>,
    probed_at: Option<i64>,
    quiet_secs: i64,
) -> Quietness {
    let since = last_arrival.unwrap_or(switched_at).max(switched_at);
    let quiet_at = since.saturating_add(quiet_secs);
    match (probed_at, last_arrival) {
        (Some(probed), _) if probed >= quiet_at => Quietness::Quiet { since },
        (_, Some(last)) => Quietness::StillArriving { last, quiet_at },
        (None, None) => Quietness::NotReadYet,
        (Some(_), None) => Quietness::Listening { quiet_at },
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    const DAY: i64 = 86_400;

    #[test]
    fn quiet_only_when_read_late_enough() {
        let q = |last, probed| quietness(0, last, probed, 3 * DAY);
        assert_eq!(q(None, None), Quietness::NotReadYet);
        assert_eq!(
            q(None, Some(DAY)),
            Quietness::Listening { quiet_at: 3 * DAY }
        );
        assert_eq!(q(None, Some(3 * DAY)), Quietness::Quiet { since: 0 });
        assert_eq!(
            q(Some(2 * DAY), Some(4 * DAY)),
            Quietness::StillArriving {
                last: 2 * DAY,
                quiet_at: 5 * DAY
            }
        );
        assert_eq!(
            q(Some(2 * DAY), Some(5 * DAY)),
            Quietness::Quiet { since: 2 * DAY }
        );
    }

    proptest! {
        #[test]
        fn never_quiet_before_its_time(
            switched in -1_000_000i64..1_000_000, last in proptest::option::of(-1_000_000i64..5_000_000),
            probed in proptest::option::of(-1_000_000i64..5_000_000), quiet in 0i64..1_000_000,
        ) {
            if let Quietness::Quiet { since } = quietness(switched, last, probed, quiet) {
                prop_assert!(probed.unwrap() >= since + quiet);
                prop_assert!(last.is_none_or(|l| l <= since));
            }
        }
    }
}
