//! A table of people and their roles.
use leptos::prelude::*;

use crate::dto::Person;

#[component]
pub fn PeopleTable(people: Vec<Person>) -> impl IntoView {
    if people.is_empty() {
        return view! { <p class="empty">"Nobody matches."</p> }.into_any();
    }
    let rows = people
        .into_iter()
        .map(|p| {
            let roles = p
                .roles
                .iter()
                .map(|r| r.label())
                .collect::<Vec<_>>()
                .join(", ");
            view! {
                <tr>
                    <td>{p.display_name}</td>
                    <td>{p.email}</td>
                    <td>{roles}</td>
                    <td class="num">{format_unix(p.last_login_at)}</td>
                </tr>
            }
        })
        .collect_view();
    view! {
        <table class="table">
            <thead>
                <tr><th>"Name"</th><th>"Email"</th><th>"Roles"</th><th>"Last sign-in (UTC)"</th></tr>
            </thead>
            <tbody>{rows}</tbody>
        </table>
    }
    .into_any()
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

#[cfg(test)]
mod tests {
    use super::format_unix;

    #[test]
    fn formats_known_instants() {
        assert_eq!(format_unix(0), "1970-01-01 00:00");
        assert_eq!(format_unix(951_782_400), "2000-02-29 00:00");
        assert_eq!(format_unix(1_795_824_000), "2026-11-28 00:00");
        assert_eq!(format_unix(-1), "1969-12-31 23:59");
    }
}
