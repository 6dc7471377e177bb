//! The report of a run: per folder, old against new (messages and bytes), notes, and the messages
//! kept aside and why.
use leptos::prelude::*;

use crate::dto::MigrationReport;
use crate::format::human_size;

#[component]
pub fn ReportTable(
    report: MigrationReport,
    /// The viewer owns the mailbox: messages left behind link to their download.
    #[prop(optional)]
    downloads: bool,
) -> impl IntoView {
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
            let subject = |s: &Option<String>| {
                s.as_deref().map_or("(no subject)".to_owned(), |s| format!("“{s}”"))
            };
            let left_behind = f
                .left_behind
                .iter()
                .map(|m| {
                    let from = m.from.as_deref().map(|f| format!(" from {f}")).unwrap_or_default();
                    let text = format!("Not migrated: {}{from} — IT: {}", subject(&m.subject), m.reason);
                    let link = downloads.then(|| view! {
                        " " <a rel="external" download id=format!("left-behind-{}", m.id)
                            href=format!("/me/left-behind/{}.eml", m.id)>"Download it"</a>
                    });
                    view! { <li class="left-behind">{text}{link}</li> }
                })
                .collect_view();
            let repaired = f
                .repaired
                .iter()
                .map(|m| {
                    let how = m.repairs.iter().map(|r| r.label()).collect::<Vec<_>>().join("; ");
                    view! { <li class="repaired">{format!("Repaired by IT, then copied: {} ({how})", subject(&m.subject))}</li> }
                })
                .collect_view();
            let notes = f.notes.join(" ");
            let complete = f.copied + f.left_behind.len() as u64 == f.source_messages;
            let exceptions = !f.left_behind.is_empty() || !f.repaired.is_empty();
            view! {
                <tr class:incomplete=!complete>
                    <td>{f.source.clone()}</td>
                    <td>{f.destination.clone()}</td>
                    <td class="num">{f.source_messages}" / "{human_size(f.source_bytes)}</td>
                    <td class="num">{new_messages}" / "{new_bytes}</td>
                    <td>
                        {(!notes.is_empty()).then(|| view! { <div class="note">{notes}</div> })}
                        {(!f.quarantined.is_empty()).then(|| view! { <ul class="quarantine">{quarantined}</ul> })}
                        {exceptions.then(|| view! { <ul class="exceptions">{left_behind}{repaired}</ul> })}
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
