//! The engine's protocol summary of a request's last run, as the helpdesk reads it: IMAP commands
//! by kind on each server, and the errors met. Never message bodies or passwords.
use std::collections::BTreeMap;

use leptos::prelude::*;

use crate::dto::{ProtocolSide, ProtocolSummary};
use crate::format::format_unix;

/// Each command with its count on the old and the new server, by name.
pub fn command_rows(summary: &ProtocolSummary) -> Vec<(String, u64, u64)> {
    let mut rows: BTreeMap<&str, (u64, u64)> = BTreeMap::new();
    for (name, n) in &summary.old_server.commands {
        rows.entry(name).or_default().0 += n;
    }
    for (name, n) in &summary.new_server.commands {
        rows.entry(name).or_default().1 += n;
    }
    rows.into_iter()
        .map(|(name, (old, new))| (name.to_owned(), old, new))
        .collect()
}

#[component]
pub fn ProtocolSummaryView(summary: Option<ProtocolSummary>) -> impl IntoView {
    let Some(summary) = summary else {
        return view! { <p class="muted" id="protocol-none">"No run yet."</p> }.into_any();
    };
    let rows = command_rows(&summary)
        .into_iter()
        .map(|(name, old, new)| {
            let shown = name.clone();
            view! {
                <tr data-command=name>
                    <td><code>{shown}</code></td>
                    <td class="number">{old}</td>
                    <td class="number">{new}</td>
                </tr>
            }
        })
        .collect_view();
    let errors = |id: &'static str, label: &'static str, side: ProtocolSide| {
        let list = side
            .last_errors
            .into_iter()
            .map(|e| view! { <li>{e}</li> })
            .collect_view();
        view! {
            <p id=id data-errors=side.errors.to_string()>
                <strong>{label}</strong>{format!(": {} error(s)", side.errors)}
            </p>
            <ul class="exceptions">{list}</ul>
        }
    };
    view! {
        <p class="muted">
            {format!("Written by the run at {} UTC (every second while it runs). ", format_unix(summary.updated_at))}
            "Errors count the servers' refusals (NO, BAD), timeouts and dropped connections; some are expected, "
            "such as creating a folder that exists."
        </p>
        <div class="table-wrap">
            <table class="table" id="protocol-commands">
                <thead><tr><th>"Command"</th><th>"Old server"</th><th>"New server"</th></tr></thead>
                <tbody>{rows}</tbody>
            </table>
        </div>
        {errors("protocol-old-errors", "Old server", summary.old_server)}
        {errors("protocol-new-errors", "New server", summary.new_server)}
    }
    .into_any()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn both_servers_share_one_row_per_command() {
        let summary = ProtocolSummary {
            updated_at: 0,
            old_server: ProtocolSide {
                commands: vec![("SELECT".into(), 3), ("UID FETCH".into(), 9)],
                ..Default::default()
            },
            new_server: ProtocolSide {
                commands: vec![("APPEND".into(), 9), ("SELECT".into(), 2)],
                ..Default::default()
            },
        };
        assert_eq!(
            command_rows(&summary),
            [
                ("APPEND".to_owned(), 0, 9),
                ("SELECT".to_owned(), 3, 2),
                ("UID FETCH".to_owned(), 9, 0),
            ]
        );
    }
}
