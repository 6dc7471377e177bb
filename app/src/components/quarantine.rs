//! A request's quarantined messages: what each is, what the server said, and what IT decided. Division
//! IT picks messages and sends them again, repairs them (after a look at what the repair changes) or
//! accepts them as not migrated, always saying why; the helpdesk sees the same list read-only.
use std::collections::BTreeSet;

use leptos::prelude::*;

use crate::api::{DecideQuarantined, PreviewRepair};
use crate::components::gate::gated_viewer;
use crate::dto::{
    Change, DecisionKind, QuarantineId, QuarantinedItem, Reason, RepairPreview, RequestId, Role,
};
use crate::format::human_size;

#[component]
pub fn QuarantineList(
    request: RequestId,
    items: Vec<QuarantinedItem>,
    decide: ServerAction<DecideQuarantined>,
) -> impl IntoView {
    if items.is_empty() {
        return view! { <p class="muted" id="quarantine-empty">"Nothing from this mailbox is kept aside."</p> }
            .into_any();
    }
    let it = gated_viewer().has(Role::It);
    let picked = RwSignal::new(BTreeSet::<QuarantineId>::new());
    let reason = RwSignal::new(String::new());
    let preview = ServerAction::<PreviewRepair>::new();
    let previewing = RwSignal::new(None::<QuarantineId>);
    let send = move |decision: DecisionKind, ids: Vec<QuarantineId>| {
        decide.dispatch(DecideQuarantined {
            request_id: request,
            ids,
            decision,
            repairs: Vec::new(),
            reason: reason.get_untracked(),
        });
    };
    let rows = items
        .into_iter()
        .map(|q| {
            let id = q.id;
            let waiting = q.decision.is_none() && !q.repaired;
            let status = match (&q.decision, q.repaired) {
                (_, true) => "Sent with its repairs".to_owned(),
                (None, false) => "Waiting for IT".to_owned(),
                (Some(d), false) => format!("{} — {} ({})", d.kind.in_words(), d.by, d.reason),
            };
            let size = q.size.map(human_size).unwrap_or_else(|| "–".into());
            let kept = (!q.kept_whole).then_some(" (only its headers are kept; it stays on the old server)");
            let can_repair = it && waiting && !q.repairs.is_empty();
            let repairs = q.repairs.iter().map(|r| r.label()).collect::<Vec<_>>().join("; ");
            view! {
                <tr id=format!("q-{id}") data-status=if waiting { "waiting" } else { "decided" }>
                    {it.then(|| view! {
                        <td>
                            <input type="checkbox" id=format!("q-pick-{id}") disabled=!waiting
                                aria-label=format!("Pick message {}", q.uid)
                                prop:checked=move || picked.with(|p| p.contains(&id))
                                on:change=move |_| picked.update(|p| { if !p.remove(&id) { p.insert(id); } }) />
                        </td>
                    })}
                    <td>{q.folder.clone()}</td>
                    <td>{q.date.clone().unwrap_or_default()}</td>
                    <td>{q.from.clone().unwrap_or_default()}</td>
                    <td class="q-subject">{q.subject.clone().unwrap_or_else(|| "(no subject)".into())}</td>
                    <td class="num">{size}</td>
                    <td>{q.reason.clone()}{kept}</td>
                    <td class="q-status">{status}</td>
                    {it.then(|| view! {
                        <td>
                            <a id=format!("q-download-{id}") rel="external" download
                                href=format!("/it/requests/{request}/quarantine/{id}.eml")>"Download .eml"</a>
                            {can_repair.then(|| view! {
                                " · "
                                <button type="button" class="link" id=format!("q-preview-{id}") title=repairs.clone()
                                    on:click=move |_| {
                                        previewing.set(Some(id));
                                        preview.dispatch(PreviewRepair { request_id: request, id, repairs: Vec::new() });
                                    }>"Preview repair"</button>
                            })}
                        </td>
                    })}
                </tr>
            }
        })
        .collect_view();
    let picked_ids = move || picked.with(|p| p.iter().copied().collect::<Vec<_>>());
    let none_picked = move || picked.with(BTreeSet::is_empty) || decide.pending().get();
    view! {
        <table class="table" id="quarantine">
            <thead><tr>
                {it.then(|| view! { <th><span class="visually-hidden">"Pick"</span></th> })}
                <th>"Folder"</th><th>"Date"</th><th>"From"</th><th>"Subject"</th><th>"Size"</th>
                <th>"What the server said"</th><th>"Decision"</th>
                {it.then(|| view! { <th>"Look"</th> })}
            </tr></thead>
            <tbody>{rows}</tbody>
        </table>
        {move || {
            let id = previewing.get()?;
            preview.value().get().map(|result| match result {
                Ok(p) => view! { <RepairDiff id=id preview=p on_apply=move || send(DecisionKind::Repair, vec![id]) /> }.into_any(),
                Err(e) => view! { <p class="error" role="alert">{e.to_string()}</p> }.into_any(),
            })
        }}
        {it.then(|| view! {
            <div class="bulk" id="quarantine-decide">
                <input id="q-reason" type="text" placeholder="Why (recorded in the timeline)"
                    aria-label="Why" maxlength=Reason::MAX_CHARS prop:value=move || reason.get()
                    on:input=move |ev| reason.set(event_target_value(&ev)) />
                <button id="q-retry" type="button" class="button" disabled=none_picked
                    on:click=move |_| send(DecisionKind::Retry, picked_ids())>"Send again"</button>
                <button id="q-repair" type="button" class="button" disabled=none_picked
                    on:click=move |_| send(DecisionKind::Repair, picked_ids())>"Repair and send again"</button>
                <button id="q-accept" type="button" class="button" disabled=none_picked
                    on:click=move |_| send(DecisionKind::Accept, picked_ids())>"Accept as not migrated"</button>
            </div>
            <p class="muted">
                "The request runs again once every message has a decision. A repair changes a copy: the "
                "original stays here and on the old server. Accepted messages stay downloadable for the person."
            </p>
        })}
        {move || decide.value().get().map(|outcome| match outcome {
            Ok(o) => {
                let next = if o.queued {
                    "Every message has a decision: the request runs again now.".to_owned()
                } else {
                    format!("{} message(s) still wait for a decision.", o.pending)
                };
                view! { <p class="notice" id="q-outcome">{format!("Recorded for {} message(s). {next}", o.decided)}</p> }.into_any()
            }
            Err(e) => view! { <p class="error" role="alert" id="q-error">{e.to_string()}</p> }.into_any(),
        })}
    }
    .into_any()
}

/// What a repair changes in a message's headers (and its body, in a sentence), with the button that
/// applies it.
#[component]
fn RepairDiff(
    id: QuarantineId,
    preview: RepairPreview,
    on_apply: impl Fn() + Send + Sync + 'static,
) -> impl IntoView {
    let names = preview
        .repairs
        .iter()
        .map(|r| r.label())
        .collect::<Vec<_>>()
        .join("; ");
    let lines = preview
        .headers
        .into_iter()
        .map(|l| {
            let (mark, class) = match l.change {
                Change::Same => (" ", "diff-same"),
                Change::Removed => ("−", "diff-removed"),
                Change::Added => ("+", "diff-added"),
            };
            view! { <div class=class><span class="diff-mark">{mark}</span>{l.text}</div> }
        })
        .collect_view();
    view! {
        <div class="card diff" id="q-diff" data-message=id.to_string()>
            <h3>{format!("Repair of message {id}: {names}")}</h3>
            <div class="diff-lines">{lines}</div>
            <p id="q-diff-body">{preview.body}</p>
            <button id="q-repair-one" type="button" class="button primary" on:click=move |_| on_apply()>
                "Repair and send this one again"
            </button>
        </div>
    }
}
