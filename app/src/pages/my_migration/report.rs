//! The finished migration: per folder, old against new (messages and bytes), what was kept aside and
//! why, how to set up the mail program, and the catch-up sync.
use leptos::prelude::*;

use super::connect::Connect;
use super::request::Controls;
use super::Actions;
use crate::dto::{MigrationReport, MigrationView};
use crate::format::human_size;

#[component]
pub fn Finished(v: MigrationView, actions: Actions) -> impl IntoView {
    let r = v.request.clone().expect("a finished request");
    let usable = v.account.as_ref().is_some_and(|a| a.usable);
    let report = r.report.clone();
    view! {
        <section class="card" id="report">
            <h2>"Your mail has been copied"</h2>
            <p class="state"><span id="request-state" data-state="done">"Done"</span></p>
            {report.clone().map(|report| view! { <ReportTable report=report /> })}
            {report.map(|report| view! {
                <h3>"What to do now"</h3>
                <pre id="instructions" class="instructions">{report.instructions}</pre>
            })}
            <h3>"Mail still arriving in the old mailbox?"</h3>
            <p>"Once delivery has moved to the new server, a catch-up sync copies what arrived in between (only that)."</p>
            {if usable {
                view! { <Controls request_id=r.id offered=r.actions.clone() actions=actions /> }.into_any()
            } else {
                view! { <Connect v=v actions=actions /> }.into_any()
            }}
        </section>
    }
}

#[component]
pub fn ReportTable(report: MigrationReport) -> impl IntoView {
    let rows = report
        .folders
        .iter()
        .map(|f| {
            let new_messages = f.destination_messages.map(|n| n.to_string()).unwrap_or_else(|| "–".into());
            let new_bytes = f.destination_bytes.map(human_size).unwrap_or_else(|| "–".into());
            let quarantined = f
                .quarantined
                .iter()
                .map(|q| {
                    let kept = if q.kept_whole {
                        "kept aside whole for IT"
                    } else {
                        "kept aside by its headers; the message stays on the old server for IT"
                    };
                    view! { <li>{format!("message {}: {} ({kept})", q.uid, q.reason)}</li> }
                })
                .collect_view();
            let notes = f.notes.join(" ");
            let complete = f.copied == f.source_messages;
            view! {
                <tr class:incomplete=!complete>
                    <td>{f.source.clone()}</td>
                    <td>{f.destination.clone()}</td>
                    <td class="num">{f.source_messages}" / "{human_size(f.source_bytes)}</td>
                    <td class="num">{new_messages}" / "{new_bytes}</td>
                    <td>
                        {(!notes.is_empty()).then(|| view! { <div class="note">{notes}</div> })}
                        {(!f.quarantined.is_empty()).then(|| view! { <ul class="quarantine">{quarantined}</ul> })}
                    </td>
                </tr>
            }
        })
        .collect_view();
    view! {
        <table class="table" id="report-table">
            <thead>
                <tr>
                    <th>"Old folder"</th><th>"New folder"</th>
                    <th class="num">"Old: messages / size"</th><th class="num">"New: messages / size"</th>
                    <th>"Notes"</th>
                </tr>
            </thead>
            <tbody>{rows}</tbody>
        </table>
    }
}
