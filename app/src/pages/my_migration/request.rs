//! A request on its way: state (with the queue position), live progress per folder and in total, the
//! current rate and an ETA from the bytes left, and pause / resume / cancel / retry.
use leptos::prelude::*;

use super::connect::Connect;
use super::{ActionError, Actions};
use crate::api::ControlRequest;
use crate::components::progress::ProgressView;
use crate::components::report_table::ReportTable;
use crate::dto::{MigrationView, RequestAction, RequestId, RequestState, RequestView};

/// The state in words.
pub fn state_label(r: &RequestView) -> String {
    match r.state {
        // IT migrates people in phases (waves); the wave's schedule gives each copy its turn.
        RequestState::Scheduled => "Scheduled: waiting for your group's turn".into(),
        RequestState::Queued => match r.position {
            Some(0) | None => "Waiting: you are next in line".into(),
            Some(n) => format!("Waiting: {n} ahead of you in line"),
        },
        // Everything is across; the engine is checking counts and sizes on the new server.
        RequestState::Copying
            if r.progress
                .as_ref()
                .is_some_and(|p| p.bytes_total > 0 && p.bytes_done >= p.bytes_total) =>
        {
            "Verifying".into()
        }
        RequestState::Copying => "Copying".into(),
        RequestState::Paused => "Paused".into(),
        RequestState::NeedsAttention => "Needs attention".into(),
        RequestState::Failed => "Stopped".into(),
        RequestState::Done => "Done".into(),
        RequestState::Cancelled => "Cancelled".into(),
    }
}

#[component]
pub fn Controls(
    request_id: RequestId,
    offered: Vec<RequestAction>,
    actions: Actions,
) -> impl IntoView {
    let buttons = offered
        .into_iter()
        .map(|action| {
            let (id, text) = action.button();
            view! {
                <button
                    type="button"
                    id=id
                    class=if action == RequestAction::Cancel { "button" } else { "button primary" }
                    disabled=move || actions.control.pending().get()
                    on:click=move |_| {
                        actions.control.dispatch(ControlRequest { request_id, action });
                    }
                >
                    {text}
                </button>
            }
        })
        .collect_view();
    view! {
        <div class="controls">{buttons}</div>
        <ActionError value=move || actions.control.value().get() />
    }
}

#[component]
pub fn Active(v: MigrationView, actions: Actions) -> impl IntoView {
    // The password can be gone (or unreadable after a key change): connecting again is the way on.
    let reconnect = !v.account.as_ref().is_some_and(|a| a.usable)
        && v.request
            .as_ref()
            .is_some_and(|r| r.state == RequestState::Paused || r.state.is_trouble());
    let connect_view = reconnect.then(|| view! { <Connect v=v.clone() actions=actions /> });
    let r = v.request.expect("an active request");
    let label = state_label(&r);
    let progress = r.progress.clone();
    let trouble = r.state.is_trouble();
    view! {
        <section class="card" id="request">
            <h2>"Your migration"</h2>
            <p class="state"><span id="request-state" data-state=r.state.as_str()>{label}</span></p>
            {trouble.then(|| view! {
                <div class="notice" role="alert" id="request-problem">
                    <p>{r.last_error.clone().unwrap_or_else(|| "The copy stopped short of done.".into())}</p>
                    <p>"Nothing has been lost: your old mailbox is untouched and what was copied stays. IT has been told."</p>
                </div>
            })}
            {progress.map(|p| view! { <ProgressView p=p /> })}
            <Controls request_id=r.id offered=r.actions.clone() actions=actions />
            {connect_view}
            {r.report.map(|report| view! { <h3>"Last run"</h3> <ReportTable report=report downloads=true /> })}
        </section>
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn request(state: &str, position: Option<u64>) -> RequestView {
        RequestView {
            id: RequestId(1),
            state: RequestState::parse(state).unwrap(),
            actions: vec![],
            position,
            folders: vec![],
            progress: None,
            report: None,
            last_error: None,
        }
    }

    #[test]
    fn the_queue_position_is_told() {
        assert_eq!(
            state_label(&request("queued", Some(0))),
            "Waiting: you are next in line"
        );
        assert_eq!(
            state_label(&request("queued", Some(3))),
            "Waiting: 3 ahead of you in line"
        );
        assert_eq!(
            state_label(&request("needs_attention", None)),
            "Needs attention"
        );
    }

    #[test]
    fn all_bytes_across_means_verifying() {
        let mut copying = request("copying", None);
        copying.progress = Some(crate::dto::Progress {
            bytes_done: 10,
            bytes_total: 20,
            ..Default::default()
        });
        assert_eq!(state_label(&copying), "Copying");
        copying.progress.as_mut().unwrap().bytes_done = 20;
        assert_eq!(state_label(&copying), "Verifying");
    }
}
