//! Numbers as people read them, the same in pages and emails.

/// `1.5 MB`, `320 kB`, `12 bytes` (powers of 1000, like mail programs).
pub fn human_size(bytes: u64) -> String {
    const UNITS: [&str; 4] = ["kB", "MB", "GB", "TB"];
    if bytes < 1000 {
        return format!("{bytes} bytes");
    }
    let mut value = bytes as f64 / 1000.0;
    let mut unit = 0;
    while value >= 1000.0 && unit + 1 < UNITS.len() {
        value /= 1000.0;
        unit += 1;
    }
    if value < 10.0 {
        format!("{value:.1} {}", UNITS[unit])
    } else {
        format!("{value:.0} {}", UNITS[unit])
    }
}

/// `about 3 h 20 min`, `about 5 min`, `under a minute`.
pub fn human_duration(secs: u64) -> String {
    match secs {
        0..=59 => "under a minute".into(),
        60..=3599 => format!("about {} min", secs.div_ceil(60)),
        _ => {
            let minutes = secs.div_ceil(60);
            format!("about {} h {} min", minutes / 60, minutes % 60)
        }
    }
}

/// `12 %` of `done` out of `total` (100 % when there is nothing to do).
pub fn percent(done: u64, total: u64) -> u64 {
    (done.min(total) * 100).checked_div(total).unwrap_or(100)
}

/// `YYYY-MM-DD HH:MM` in UTC, without a date library in the browser bundle.
pub fn format_unix(secs: i64) -> String {
    let days = secs.div_euclid(86_400);
    let rem = secs.rem_euclid(86_400);
    // Civil-from-days (Howard Hinnant's algorithm).
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = doy - (153 * mp + 2) / 5 + 1;
    let m = if mp < 10 { mp + 3 } else { mp - 9 };
    let y = yoe + era * 400 + i64::from(m <= 2);
    format!(
        "{y:04}-{m:02}-{d:02} {:02}:{:02}",
        rem / 3600,
        rem % 3600 / 60
    )
}

/// `YYYY-MM-DD HH:MM:SS` in UTC: [`format_unix`] to the second, which [`parse_utc`] reads back.
pub fn format_unix_seconds(secs: i64) -> String {
    format!("{}:{:02}", format_unix(secs), secs.rem_euclid(60))
}

/// A window's start or end as typed: empty or `none` clears it (`Some(None)`), a time in UTC as
/// [`parse_utc`] reads it sets it; `None` for anything else.
pub fn parse_window_time(typed: &str) -> Option<Option<i64>> {
    match typed.trim() {
        "" | "none" => Some(None),
        t => parse_utc(t).map(Some),
    }
}

/// `YYYY-MM-DD HH:MM` (or with a `T`, optionally seconds and a trailing `Z`) in UTC, as
/// [`format_unix`] writes it, to Unix seconds; `None` for anything else.
pub fn parse_utc(typed: &str) -> Option<i64> {
    let text = typed.trim().trim_end_matches(['Z', 'z']);
    let (date, time) = text.split_once(['T', 't', ' '])?;
    let mut d = date.splitn(3, '-');
    let number = |part: Option<&str>, len: usize| -> Option<i64> {
        let part = part?;
        (part.len() == len && part.bytes().all(|b| b.is_ascii_digit()))
            .then(|| part.parse().ok())
            .flatten()
    };
    let (y, m, day) = (
        number(d.next(), 4)?,
        number(d.next(), 2)?,
        number(d.next(), 2)?,
    );
    let mut t = time.trim().splitn(3, ':');
    let (hh, mm) = (number(t.next(), 2)?, number(t.next(), 2)?);
    let ss = match t.next() {
        Some(s) => number(Some(s), 2)?,
        None => 0,
    };
    let month_days = [
        31,
        28 + i64::from(y % 4 == 0 && (y % 100 != 0 || y % 400 == 0)),
        31,
        30,
        31,
        30,
        31,
        31,
        30,
        31,
        30,
        31,
    ];
    if !(1..=12).contains(&m)
        || day < 1
        || day > month_days[(m - 1) as usize]
        || hh > 23
        || mm > 59
        || ss > 59
    {
        return None;
    }
    // Days-from-civil (Howard Hinnant's algorithm), the inverse of `format_unix`'s.
    let y = if m <= 2 { y - 1 } else { y };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let mp = (m + 9) % 12;
    let doy = (153 * mp + 2) / 5 + day - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    let days = era * 146_097 + doe - 719_468;
    Some(days * 86_400 + hh * 3600 + mm * 60 + ss)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sizes_read_like_a_mail_program() {
        assert_eq!(human_size(12), "12 bytes");
        assert_eq!(human_size(34_000), "34 kB");
        assert_eq!(human_size(2_500_000), "2.5 MB");
        assert_eq!(human_size(7_300_000_000), "7.3 GB");
    }

    #[test]
    fn durations_are_rounded_up_and_approximate() {
        assert_eq!(human_duration(5), "under a minute");
        assert_eq!(human_duration(61), "about 2 min");
        assert_eq!(human_duration(3 * 3600 + 20 * 60), "about 3 h 20 min");
    }

    #[test]
    fn percentages_never_exceed_100() {
        assert_eq!(percent(0, 0), 100);
        assert_eq!(percent(1, 3), 33);
        assert_eq!(percent(5, 3), 100);
    }

    #[test]
    fn formats_known_instants() {
        assert_eq!(format_unix(0), "1970-01-01 00:00");
        assert_eq!(format_unix(951_782_400), "2000-02-29 00:00");
        assert_eq!(format_unix(1_795_824_000), "2026-11-28 00:00");
        assert_eq!(format_unix(-1), "1969-12-31 23:59");
    }

    #[test]
    fn reads_what_people_type_for_a_window() {
        assert_eq!(parse_utc("1970-01-01 00:00"), Some(0));
        assert_eq!(parse_utc("2026-11-28T00:00Z"), Some(1_795_824_000));
        assert_eq!(parse_utc(" 2000-02-29 00:00:30 "), Some(951_782_430));
        for bad in [
            "",
            "2026-02-29 10:00",
            "2026-13-01 10:00",
            "2026-1-01 10:00",
            "tomorrow",
            "2026-12-01",
            "2026-12-01 24:00",
        ] {
            assert_eq!(parse_utc(bad), None, "{bad:?}");
        }
    }

    proptest::proptest! {
        #[test]
        fn what_format_unix_writes_reads_back(minutes in -50_000_000i64..50_000_000) {
            let secs = minutes * 60;
            proptest::prop_assert_eq!(parse_utc(&format_unix(secs)), Some(secs));
        }

        #[test]
        fn to_the_second_reads_back(secs in -3_000_000_000i64..3_000_000_000) {
            proptest::prop_assert_eq!(parse_utc(&format_unix_seconds(secs)), Some(secs));
        }

        #[test]
        fn any_text_reads_or_is_refused(typed in proptest::prelude::any::<String>()) {
            let _ = parse_utc(&typed);
        }
    }
}
