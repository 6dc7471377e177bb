//! The helpdesk's triage queue: counts per reason and failure class of the whole queue, then one
//! page of rows (each a request that needs someone, with why and what to do next), and the pager.
use leptos::prelude::*;

use super::pager::Pager;
use crate::dto::{Triage, TriageRow};
use crate::format::{format_unix, human_size, percent};

#[component]
pub fn TriageTable(triage: Triage, page: RwSignal<u32>) -> impl IntoView {
    if triage.rows.is_empty() {
        let what = if triage.buckets.is_empty() {
            "Nothing needs a look right now."
        } else {
            "Nothing of this kind: choose another reason or class."
        };
        return view! { <p class="empty" id="triage-empty">{what}</p> }.into_any();
    }
    let reasons = triage
        .buckets
        .iter()
        .map(|(bucket, n)| {
            view! {
                <li data-bucket=format!("{bucket:?}")>
                    <strong>{bucket.label()}</strong>" "<span class="num">{*n}</span>
                </li>
            }
        })
        .collect_view();
    let counts = triage
        .classes
        .iter()
        .map(|(class, n)| {
            view! {
                <li data-class=class.as_str()>
                    <strong>{class.label()}</strong>" "<span class="num">{*n}</span>
                </li>
            }
        })
        .collect_view();
    let pages = triage.pages();
    let at = triage.page;
    let (per_page, shown) = (triage.per_page, triage.rows.len());
    let rows = triage.rows.into_iter().map(row).collect_view();
    view! {
        <ul class="class-counts" id="triage-buckets">{reasons}</ul>
        <ul class="class-counts" id="triage-classes">{counts}</ul>
        <p><a href="/helpdesk/triage.csv" rel="external" download="triage.csv" id="triage-csv">"Export the whole queue as CSV"</a></p>
        <div class="table-wrap">
        <table class="table triage" id="triage">
            <thead>
                <tr>
                    <th>"Who"</th><th>"Why, and the next step"</th><th>"Since (UTC)"</th>
                    <th>"Copied"</th>
                </tr>
            </thead>
            <tbody>{rows}</tbody>
        </table>
        </div>
        <Pager id="triage" label="Pages of the queue" page=page at=at pages=pages
            per_page=per_page shown=shown total=triage.total />
    }
    .into_any()
}

/// One request, with its last error in a row of its own.
fn row(r: TriageRow) -> impl IntoView {
    let copied = if r.bytes_total > 0 {
        format!(
            "{} of {} ({} %)",
            human_size(r.bytes_done),
            human_size(r.bytes_total),
            percent(r.bytes_done, r.bytes_total)
        )
    } else {
        "–".to_owned()
    };
    let class = r.class.map(|c| c.label()).unwrap_or("");
    let next = r.next_step();
    // A request opens its page; someone who never started is found by their address.
    let (link, key) = match r.request_id {
        Some(id) => (format!("/helpdesk/requests/{id}"), id.to_string()),
        None => (
            format!("/helpdesk?q={}", query_escape(&r.email)),
            format!("person-{}", r.user_id),
        ),
    };
    view! {
        <tr data-request=key data-bucket=format!("{:?}", r.bucket)>
            <td>
                <a href=link>{r.person}</a><br />
                <span class="muted">{r.email}</span>
            </td>
            <td class="triage-why">
                <strong>{r.bucket.label()}</strong><br />{class}<br />
                <span class="muted">{next}</span>
            </td>
            <td class="num">{format_unix(r.since)}</td>
            <td class="num">{copied}</td>
        </tr>
        // The last error in full, under its request: it is often long.
        <tr class="triage-error">
            <td colspan="4">{r.last_error.unwrap_or_default()}</td>
        </tr>
    }
}

/// `text` for a URL's query string: letters, digits and `-._~` as they are, the rest %-escaped.
fn query_escape(text: &str) -> String {
    text.bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'.' | b'_' | b'~' => {
                (b as char).to_string()
            }
            _ => format!("%{b:02X}"),
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::query_escape;
    use proptest::prelude::*;

    #[test]
    fn addresses_are_escaped_for_a_query() {
        assert_eq!(query_escape("a.b+c@example.org"), "a.b%2Bc%40example.org");
        assert_eq!(query_escape("zoë"), "zo%C3%AB");
    }

    proptest! {
        #[test]
        fn nothing_but_safe_characters_come_out(text in "\\PC*") {
            let escaped = query_escape(&text);
            prop_assert!(escaped.bytes().all(|b| b.is_ascii_alphanumeric() || b"-._~%".contains(&b)));
        }
    }
}
