//! The report of a run: per folder, old against new (messages and bytes), notes, and the messages
//! kept aside and why.
use leptos::prelude::*;

use crate::dto::MigrationReport;
use crate::format::human_size;

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
