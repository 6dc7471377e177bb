//! The helpdesk's triage queue: counts per failure class, then one row per request that needs
//! someone, with why and what to do next.
use leptos::prelude::*;

use super::people_table::format_unix;
use crate::dto::{Triage, TriageRow, TriageSelection};
use crate::format::{human_size, percent};

#[component]
pub fn TriageTable(triage: Triage, selection: RwSignal<TriageSelection>) -> impl IntoView {
    if triage.rows.is_empty() {
        return view! { <p class="empty" id="triage-empty">"Nothing needs a look right now."</p> }
            .into_any();
    }
    let counts = triage
        .classes
        .into_iter()
        .map(|(class, n)| {
            view! {
                <li data-class=class.as_str()>
                    <strong>{class.label()}</strong>" "<span class="num">{n}</span>
                </li>
            }
        })
        .collect_view();
    let rows = triage
        .rows
        .into_iter()
        .map(|r| row(r, selection))
        .collect_view();
    view! {
        <ul class="class-counts" id="triage-classes">{counts}</ul>
        <p><a href="/helpdesk/triage.csv" rel="external" download="triage.csv" id="triage-csv">"Export as CSV"</a></p>
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
    }
    .into_any()
}

/// One request; hidden while the filter leaves it out.
fn row(r: TriageRow, selection: RwSignal<TriageSelection>) -> impl IntoView {
    let shown = r.clone();
    let hidden = move || !selection.get().holds(&shown);
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
    // A stop's next step comes from its class; a stuck request says why it counts as stuck.
    let next = r
        .class
        .map(|c| c.suggested_action())
        .or(r.stall.map(|s| s.label()))
        .unwrap_or("");
    view! {
        <tr data-request=r.request_id.to_string() data-bucket=format!("{:?}", r.bucket) hidden=hidden.clone()>
            <td>
                <a href=format!("/helpdesk/requests/{}", r.request_id)>{r.person}</a><br />
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
        <tr class="triage-error" hidden=hidden>
            <td colspan="4">{r.last_error.unwrap_or_default()}</td>
        </tr>
    }
}
