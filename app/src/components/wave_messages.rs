//! What a wave tells its people and when, a dry run on the IT page: the invitation (or an IT-run
//! wave's notice) and each reminder, to whom, when, and whether it went out already.
use leptos::prelude::*;

use crate::api::wave_mailing;
use crate::dto::WaveMessages;
use crate::format::format_unix;

#[component]
pub fn Mailing(name: String) -> impl IntoView {
    let shown = name.clone();
    let data = Resource::new(move || name.clone(), wave_mailing);
    view! {
        <div class="mailing" id="wave-messages" data-wave=shown>
            <Suspense fallback=|| view! { <p class="muted">"Reading the wave's emails…"</p> }>
                {move || Suspend::new(async move {
                    match data.await {
                        Ok(m) => view! { <MailingView m=m /> }.into_any(),
                        Err(e) => view! { <p class="error">{e.to_string()}</p> }.into_any(),
                    }
                })}
            </Suspense>
        </div>
    }
}

#[component]
fn MailingView(m: WaveMessages) -> impl IntoView {
    let note = if m.as_if_started_now {
        "The wave has not started: the times are as if it started now. Nothing is sent before it starts."
    } else {
        "Reminders go only to people who have not started by then; each email goes out once."
    };
    let rows = m
        .messages
        .into_iter()
        .map(|msg| {
            view! {
                <tr data-delivery=msg.delivery.as_str()>
                    <td>{format_unix(msg.due)}</td>
                    <td>{msg.email}</td>
                    <td>{msg.what.label()}</td>
                    <td>{msg.delivery.as_str()}</td>
                </tr>
            }
        })
        .collect_view();
    view! {
        <p class="muted" id="wave-messages-note">{note}</p>
        <div class="table-wrap">
            <table class="table" id="wave-messages-table">
                <thead><tr><th>"When (UTC)"</th><th>"To"</th><th>"What"</th><th>"Status"</th></tr></thead>
                <tbody>{rows}</tbody>
            </table>
        </div>
    }
}
