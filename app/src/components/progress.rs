//! Live progress of a copy: in total (bytes, messages, rate, time left) and per folder.
use leptos::prelude::*;

use crate::dto::Progress;
use crate::format::{human_duration, human_size, percent};

/// `12 / 40`, or `…` while a folder is sized but not listed yet.
fn messages_text(f: &crate::dto::FolderProgress) -> String {
    if f.messages_total == 0 && f.bytes_total > 0 {
        "…".into()
    } else {
        format!("{} / {}", f.messages_done, f.messages_total)
    }
}

/// `1.2 MB/s`, or `measuring…` in the first moments.
fn rate_text(bytes_per_second: f64) -> String {
    if bytes_per_second < 1.0 {
        "measuring…".into()
    } else {
        format!("{}/s", human_size(bytes_per_second as u64))
    }
}

#[component]
pub fn ProgressView(p: Progress) -> impl IntoView {
    let pct = percent(p.bytes_done, p.bytes_total);
    let eta = p
        .eta_seconds
        .map(human_duration)
        .unwrap_or_else(|| "working it out…".into());
    let rows = p
        .folders
        .iter()
        .map(|f| {
            view! {
                <tr>
                    <td>{f.name.clone()}</td>
                    <td class="num">{messages_text(f)}</td>
                    <td class="num">{format!("{} / {}", human_size(f.bytes_done), human_size(f.bytes_total))}</td>
                </tr>
            }
        })
        .collect_view();
    view! {
        <div id="progress">
            <progress max="100" value=pct.to_string() aria-label="Copied so far"></progress>
            <p id="progress-total" class="total">
                {format!(
                    "{} of {} ({pct} %), {} of {} messages",
                    human_size(p.bytes_done),
                    human_size(p.bytes_total),
                    p.messages_done,
                    p.messages_total
                )}
            </p>
            <p class="muted">
                <span id="rate">{rate_text(p.bytes_per_second)}</span>
                " · time left: " <span id="eta">{eta}</span>
            </p>
            <table class="table">
                <thead><tr><th>"Folder"</th><th class="num">"Messages"</th><th class="num">"Copied"</th></tr></thead>
                <tbody>{rows}</tbody>
            </table>
        </div>
    }
}
