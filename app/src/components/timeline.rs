//! A request's timeline: every state change with who made it and why, workers, emails (and whether
//! they have left), notes. Oldest first, as a log is read.
use leptos::prelude::*;

use crate::dto::{TimelineEntry, What};
use crate::format::format_unix;

#[component]
pub fn Timeline(entries: Vec<TimelineEntry>, omitted: u64, owner: String) -> impl IntoView {
    let rows = entries.into_iter().map(|e| row(e, &owner)).collect_view();
    view! {
        {(omitted > 0).then(|| view! {
            <p class="muted">{format!("{omitted} older entries are not shown.")}</p>
        })}
        <div class="table-wrap">
            <table class="table timeline" id="timeline">
                <thead>
                    <tr><th>"When (UTC)"</th><th>"Who"</th><th>"What"</th><th>"Why, and details"</th></tr>
                </thead>
                <tbody>{rows}</tbody>
            </table>
        </div>
    }
}

fn row(e: TimelineEntry, owner: &str) -> impl IntoView {
    let when = format!("{}:{:02}", format_unix(e.at), e.at.rem_euclid(60));
    let (kind, who) = (e.who.kind(), e.who.in_words(owner));
    let what = e.what.in_words();
    let why = e
        .lines()
        .into_iter()
        .map(|line| view! { <div class="why">{line}</div> })
        .collect_view();
    view! {
        <tr data-who=kind data-what=what_kind(&e.what)>
            <td class="num">{when}</td>
            <td>{who}</td>
            <td>{what}</td>
            <td>{why}</td>
        </tr>
    }
}

/// A stable name of the entry's kind, for styles and tests.
fn what_kind(what: &What) -> &'static str {
    match what {
        What::Submitted => "submitted",
        What::Changed { .. } => "changed",
        What::Note { .. } => "note",
        What::AskedToReconnect => "asked_to_reconnect",
        What::EmailResent => "email_resent",
        What::Email { .. } => "email",
        What::Decided { .. } => "decided",
        What::Downloaded => "downloaded",
    }
}
