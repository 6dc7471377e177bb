//! Narrowing the triage queue (by why it is there and by class), ordering it, and pressing one
//! action for every request it holds (on every page) — "retry every throttled request" — after a confirmation that says how many, with
//! the reason every action for someone else needs.
use leptos::prelude::*;

use crate::api::ActOnSelection;
use crate::dto::{FailureClass, RequestAction, TriageBucket, TriageSelection, TriageSort};

/// The filter and order controls; `selection` and `sort` are what they choose.
#[component]
pub fn TriageFilter(
    selection: RwSignal<TriageSelection>,
    sort: RwSignal<TriageSort>,
) -> impl IntoView {
    let buckets = TriageBucket::ALL
        .into_iter()
        .map(|b| view! { <option value=format!("{b:?}")>{b.label()}</option> })
        .collect_view();
    let classes = FailureClass::ALL
        .into_iter()
        .map(|c| view! { <option value=c.as_str()>{c.label()}</option> })
        .collect_view();
    let orders = TriageSort::ALL
        .into_iter()
        .map(|o| view! { <option value=o.as_str()>{o.label()}</option> })
        .collect_view();
    view! {
        <div class="filters">
            <label for="filter-bucket">"Show"</label>
            <select id="filter-bucket" on:change=move |ev| {
                let value = event_target_value(&ev);
                let bucket = TriageBucket::ALL.into_iter().find(|b| format!("{b:?}") == value);
                selection.update(|s| s.bucket = bucket);
            }>
                <option value="">"Every reason"</option>
                {buckets}
            </select>
            <select id="filter-class" aria-label="Failure class" on:change=move |ev| {
                let class = FailureClass::parse(&event_target_value(&ev));
                selection.update(|s| s.class = class);
            }>
                <option value="">"Every class"</option>
                {classes}
            </select>
            <select id="triage-sort" aria-label="Order" on:change=move |ev| {
                sort.set(TriageSort::parse(&event_target_value(&ev)).unwrap_or_default());
            }>
                {orders}
            </select>
        </div>
    }
}

/// What the bulk bar holds between renders (the page renders it again each time the queue is
/// read): the action chosen, the reason typed, and whether it asks for confirmation.
#[derive(Debug, Clone, Copy)]
pub struct BulkState {
    pub action: RwSignal<RequestAction>,
    pub reason: RwSignal<String>,
    pub confirming: RwSignal<bool>,
}

impl BulkState {
    pub fn new() -> Self {
        BulkState {
            action: RwSignal::new(RequestAction::Retry),
            reason: RwSignal::new(String::new()),
            confirming: RwSignal::new(false),
        }
    }
}

impl Default for BulkState {
    fn default() -> Self {
        Self::new()
    }
}

/// One action for the `count` requests the selection holds, confirmed, with a reason.
#[component]
pub fn BulkBar(
    selection: RwSignal<TriageSelection>,
    count: u64,
    act: ServerAction<ActOnSelection>,
    state: BulkState,
) -> impl IntoView {
    let BulkState {
        action,
        reason,
        confirming,
    } = state;
    let verb = move || action.get().button().1.to_lowercase();
    view! {
        <div class="bulk" id="bulk">
            <select id="bulk-action" aria-label="Action for every request shown" on:change=move |ev| {
                let chosen = match event_target_value(&ev).as_str() {
                    "Pause" => RequestAction::Pause,
                    "Resume" => RequestAction::Resume,
                    "Cancel" => RequestAction::Cancel,
                    _ => RequestAction::Retry,
                };
                action.set(chosen);
                confirming.set(false);
            }>
                <option value="Retry" selected=move || action.get() == RequestAction::Retry>"Try again"</option>
                <option value="Resume" selected=move || action.get() == RequestAction::Resume>"Resume"</option>
                <option value="Pause" selected=move || action.get() == RequestAction::Pause>"Pause"</option>
                <option value="Cancel" selected=move || action.get() == RequestAction::Cancel>"Cancel (keeps what is copied)"</option>
            </select>
            <input id="bulk-reason" type="text" placeholder="Why (recorded for each request)"
                aria-label="Why" prop:value=move || reason.get()
                on:input=move |ev| reason.set(event_target_value(&ev)) />
            <Show
                when=move || confirming.get()
                fallback=move || view! {
                    <button id="bulk-start" type="button" class="button" disabled=move || count == 0
                        on:click=move |_| confirming.set(true)>
                        {move || format!("For all {} of them…", count)}
                    </button>
                }
            >
                <button id="bulk-confirm" type="button" class="button primary"
                    disabled=move || act.pending().get()
                    on:click=move |_| {
                        act.dispatch(ActOnSelection {
                            selection: selection.get_untracked(),
                            action: action.get_untracked(),
                            reason: reason.get_untracked(),
                            expected: count,
                        });
                        confirming.set(false);
                    }>
                    {move || format!("Yes: {} {} request(s)", verb(), count)}
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
                    <div class="notice" id="bulk-outcome">
                        <p>{format!("Done for {} request(s); {} refused.", o.done.len(), o.refused.len())}</p>
                        {(o.not_started > 0).then(|| view! {
                            <p>{format!("{} never started: there is no request to act on; email them instead.", o.not_started)}</p>
                        })}
                        <ul>{refused}</ul>
                    </div>
                }.into_any()
            }
            Err(e) => view! { <p class="error" role="alert">{e.to_string()}</p> }.into_any(),
        })}
    }
}
