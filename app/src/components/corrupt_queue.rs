//! Division IT's queue of corrupt mailboxes: requests waiting on quarantined messages, most waiting
//! first, each linked to its page where IT decides.
use leptos::prelude::*;

use crate::dto::CorruptMailbox;

#[component]
pub fn CorruptQueue(rows: Vec<CorruptMailbox>) -> impl IntoView {
    if rows.is_empty() {
        return view! { <p class="muted" id="corrupt-empty">"No mailbox is waiting on messages kept aside."</p> }
            .into_any();
    }
    let rows = rows
        .into_iter()
        .map(|r| {
            view! {
                <tr id=format!("corrupt-{}", r.request)>
                    <td><a href=format!("/helpdesk/requests/{}", r.request)>{format!("Request {}", r.request)}</a></td>
                    <td>{r.display_name}" "<span class="muted">{r.email}</span></td>
                    <td>{r.state.in_words()}</td>
                    <td class="num">{format!("{} of {}", r.pending, r.total)}</td>
                </tr>
            }
        })
        .collect_view();
    view! {
        <table class="table" id="corrupt-queue">
            <thead><tr><th>"Request"</th><th>"Person"</th><th>"State"</th><th>"Waiting for a decision"</th></tr></thead>
            <tbody>{rows}</tbody>
        </table>
    }
    .into_any()
}
