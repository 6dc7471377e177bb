//! Division IT's queue of corrupt mailboxes: requests waiting on quarantined messages, most waiting
//! first, a page at a time, each linked to its page where IT decides message by message; and one
//! decision for every waiting message of the queue (send them all again after the new server's
//! limits changed, or repair and send every one a repair fixes), confirmed with how many, with why.
use leptos::prelude::*;

use super::pager::Pager;
use crate::api::DecideForQueue;
use crate::dto::{CorruptQueue, QueueDecision};

#[component]
pub fn CorruptMailboxes(queue: CorruptQueue, page: RwSignal<u32>) -> impl IntoView {
    if queue.rows.is_empty() {
        return view! { <p class="muted" id="corrupt-empty">"No mailbox is waiting on messages kept aside."</p> }
            .into_any();
    }
    let (at, pages, per_page, shown, total) = (
        queue.page,
        queue.pages(),
        queue.per_page,
        queue.rows.len(),
        queue.total,
    );
    let rows = queue
        .rows
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
        <div class="table-wrap">
            <table class="table" id="corrupt-queue">
                <thead><tr><th>"Request"</th><th>"Person"</th><th>"State"</th><th>"Waiting for a decision"</th></tr></thead>
                <tbody>{rows}</tbody>
            </table>
        </div>
        <Pager id="corrupt" label="Pages of the corrupt mailboxes" page=page at=at pages=pages
            per_page=per_page shown=shown total=total />
    }
    .into_any()
}

/// What the queue's decision bar holds between renders (the queue is read again after each).
#[derive(Debug, Clone, Copy)]
pub struct QueueDecisionState {
    pub decision: RwSignal<QueueDecision>,
    pub reason: RwSignal<String>,
    pub confirming: RwSignal<bool>,
}

impl Default for QueueDecisionState {
    fn default() -> Self {
        QueueDecisionState {
            decision: RwSignal::new(QueueDecision::Retry),
            reason: RwSignal::new(String::new()),
            confirming: RwSignal::new(false),
        }
    }
}

fn in_words(decision: QueueDecision, count: u64) -> String {
    match decision {
        QueueDecision::Retry => format!("Yes: send all {count} waiting message(s) again"),
        QueueDecision::Repair => {
            format!("Yes: repair and send those of the {count} waiting message(s) a repair fixes")
        }
    }
}

/// One decision for the `pending` waiting messages of the whole queue.
#[component]
pub fn QueueDecisionBar(
    pending: u64,
    act: ServerAction<DecideForQueue>,
    state: QueueDecisionState,
) -> impl IntoView {
    let QueueDecisionState {
        decision,
        reason,
        confirming,
    } = state;
    view! {
        <div class="bulk" id="queue-decision">
            <select id="queue-decision-kind" aria-label="Decision for every waiting message" on:change=move |ev| {
                let chosen = match event_target_value(&ev).as_str() {
                    "repair" => QueueDecision::Repair,
                    _ => QueueDecision::Retry,
                };
                decision.set(chosen);
                confirming.set(false);
            }>
                <option value="retry" selected=move || decision.get() == QueueDecision::Retry>"Send again (the new server's limits changed)"</option>
                <option value="repair" selected=move || decision.get() == QueueDecision::Repair>"Repair and send those a repair fixes"</option>
            </select>
            <input id="queue-decision-reason" type="text" placeholder="Why (recorded for each request)"
                aria-label="Why" prop:value=move || reason.get()
                on:input=move |ev| reason.set(event_target_value(&ev)) />
            <Show
                when=move || confirming.get()
                fallback=move || view! {
                    <button id="queue-decision-start" type="button" class="button" disabled={pending == 0}
                        on:click=move |_| confirming.set(true)>
                        {format!("For all {pending} waiting message(s)…")}
                    </button>
                }
            >
                <button id="queue-decision-confirm" type="button" class="button primary"
                    disabled=move || act.pending().get()
                    on:click=move |_| {
                        act.dispatch(DecideForQueue {
                            decision: decision.get_untracked(),
                            expected: pending,
                            reason: reason.get_untracked(),
                        });
                        confirming.set(false);
                    }>
                    {move || in_words(decision.get(), pending)}
                </button>
                <button type="button" class="button" on:click=move |_| confirming.set(false)>"Back"</button>
            </Show>
        </div>
        {move || act.value().get().map(|outcome| match outcome {
            Ok(o) => {
                let refused = o.refused.iter()
                    .map(|(id, why)| view! { <li>{format!("Request {id}: {why}")}</li> })
                    .collect_view();
                view! {
                    <div class="notice" id="queue-decision-outcome">
                        <p>{format!(
                            "Decided for {} message(s); {} request(s) run again.",
                            o.decided,
                            o.queued.len()
                        )}</p>
                        {(o.skipped > 0).then(|| view! {
                            <p>{format!(
                                "{} message(s) need another decision (no repair fixes them, or only their headers are held): decide them on their request's page.",
                                o.skipped
                            )}</p>
                        })}
                        <ul>{refused}</ul>
                    </div>
                }.into_any()
            }
            Err(e) => view! { <p class="error" role="alert">{e.to_string()}</p> }.into_any(),
        })}
    }
}
