//! One request, for the helpdesk: whose it is, where it stands (progress, report, the last error with
//! its class and the next step), the person's buttons pressed for them with a reason, emails to them,
//! notes, the messages kept aside (division IT decides for them here), and the timeline of everything
//! that happened. The forms work before the page's script has
//! loaded (they post to the server functions); the page follows the server while the copy moves.
use std::time::Duration;

use leptos::form::ActionForm;
use leptos::prelude::*;
use leptos_router::hooks::use_params_map;

use crate::api::{load_request_detail, ActForPerson, AddNote, DecideQuarantined, EmailPerson};
use crate::areas;
use crate::components::gate::Gate;
use crate::components::live::{hydrated, poll_while};
use crate::components::progress::ProgressView;
use crate::components::protocol_summary::ProtocolSummaryView;
use crate::components::quarantine::QuarantineList;
use crate::components::report_table::ReportTable;
use crate::components::timeline::Timeline;
use crate::dto::{Reason, RequestDetail, RequestId};
use crate::error::AppError;

#[component]
pub fn RequestDetailPage() -> impl IntoView {
    view! {
        <Gate roles=areas::HELPDESK>
            <DetailBody />
        </Gate>
    }
}

/// The page's forms; any of them finishing makes the page look again.
#[derive(Clone, Copy)]
struct Forms {
    act: ServerAction<ActForPerson>,
    email: ServerAction<EmailPerson>,
    note: ServerAction<AddNote>,
    decide: ServerAction<DecideQuarantined>,
}

#[component]
fn DetailBody() -> impl IntoView {
    let params = use_params_map();
    let id = move || params.read().get("id").and_then(|s| s.parse::<i64>().ok());
    let (version, set_version) = signal(0u32);
    let data = Resource::new(
        move || (id(), version.get()),
        |(id, _)| async move {
            match id {
                Some(id) => load_request_detail(RequestId(id)).await,
                None => Err(AppError::NotFound("That is not a request number.".into())),
            }
        },
    );
    let forms = Forms {
        act: ServerAction::new(),
        email: ServerAction::new(),
        note: ServerAction::new(),
        decide: ServerAction::new(),
    };
    Effect::new(move |previous: Option<()>| {
        forms.act.version().track();
        forms.email.version().track();
        forms.note.version().track();
        forms.decide.version().track();
        if previous.is_some() {
            set_version.update(|v| *v += 1);
        }
    });
    poll_while(data, set_version, Duration::from_secs(3), |d| {
        d.request.state.is_active()
    });
    let live = hydrated();
    view! {
        <p><a href="/helpdesk">"← Helpdesk"</a></p>
        <div id="request-detail" data-hydrated=move || live.get().to_string()>
            <Transition fallback=|| view! { <p class="muted">"Loading…"</p> }>
                {move || Suspend::new(async move {
                    match data.await {
                        Ok(d) => view! { <Detail d=d forms=forms /> }.into_any(),
                        Err(e) => view! { <p class="error" role="alert">{e.to_string()}</p> }.into_any(),
                    }
                })}
            </Transition>
        </div>
    }
}

#[component]
fn Detail(d: RequestDetail, forms: Forms) -> impl IntoView {
    let r = d.request;
    let id = r.id;
    let person = d.person;
    let class = d.class.map(|c| {
        view! {
            <p id="request-class" data-class=c.as_str()>
                <strong>{c.label()}</strong>" — " {c.suggested_action()}
            </p>
        }
    });
    let problem = r.state.is_trouble().then(|| {
        view! {
            <div class="notice" role="alert" id="request-problem">
                <p>{r.last_error.clone().unwrap_or_else(|| "The copy stopped short of done.".into())}</p>
            </div>
        }
    });
    let folders = r.folders.join(", ");
    let worker = d.worker.map(|w| format!(" · held by worker {w}"));
    view! {
        <h1>{format!("Request {id}: {}", person.display_name)}</h1>
        <p class="who-line">
            <span id="request-person">{person.email.clone()}</span>
            " · " <span id="request-state" data-state=r.state.as_str()>{r.state.in_words()}</span>
            {format!(" · {} run(s)", d.attempts)}
            {worker}
        </p>
        <section class="card" id="where-it-stands">
            <h2>"Where it stands"</h2>
            {class}
            {problem}
            {(!d.account_usable).then(|| view! {
                <p class="notice" id="needs-reconnect">
                    "Fountain does not hold this person's old password any more: ask them to reconnect before trying again."
                </p>
            })}
            <p><strong>"Folders picked: "</strong>{folders}</p>
            // Live progress while a worker has it; once it has ended, the report says what happened.
            {r.progress.filter(|_| r.state.is_active()).map(|p| view! { <ProgressView p=p /> })}
            {r.report.map(|report| view! {
                <h3>"Last run"</h3>
                <ReportTable report=report />
                <p><a href=format!("/helpdesk/requests/{id}/report.csv") rel="external"
                    download=format!("request-{id}-report.csv") id="report-csv">"Export the report as CSV"</a></p>
            })}
        </section>
        <section class="card" id="protocol">
            <h2>"What the last run said to the servers"</h2>
            <ProtocolSummaryView summary=d.protocol />
        </section>
        <section class="card" id="kept-aside">
            <h2>"Messages kept aside"</h2>
            {(!d.quarantined.is_empty()).then(|| view! {
                <p><a href=format!("/helpdesk/requests/{id}/quarantine.csv") rel="external"
                    download=format!("request-{id}-quarantine.csv") id="quarantine-csv">"Export the list as CSV"</a></p>
            })}
            <QuarantineList request=id items=d.quarantined decide=forms.decide />
        </section>
        <section class="card" id="act">
            <h2>"Act for the person"</h2>
            <ActFor id=id actions=r.actions forms=forms />
            <EmailFor id=id forms=forms />
        </section>
        <section class="card" id="notes">
            <h2>"Add a note"</h2>
            <ActionForm action=forms.note attr:id="note-form" attr:class="stacked">
                <input type="hidden" name="request_id" value=id.to_string() />
                <label for="note-text">"Note (shown in the timeline, not to the person)"</label>
                <textarea id="note-text" name="text" rows="2" required maxlength=Reason::MAX_CHARS></textarea>
                <button id="note-submit" type="submit" class="button">"Add the note"</button>
            </ActionForm>
            <FormError value=move || forms.note.value().get() />
        </section>
        <section class="card" id="history">
            <h2>"Timeline"</h2>
            <Timeline entries=d.timeline omitted=d.timeline_omitted owner=person.display_name />
            <p><a href=format!("/helpdesk/requests/{id}/timeline.csv") rel="external"
                download=format!("request-{id}-timeline.csv") id="timeline-csv">"Export the whole audit log as CSV"</a></p>
        </section>
    }
}

/// The person's own buttons, with the reason every action for someone else needs.
#[component]
fn ActFor(id: RequestId, actions: Vec<crate::dto::RequestAction>, forms: Forms) -> impl IntoView {
    if actions.is_empty() {
        return view! { <p class="muted">"Nothing can be done to a request in this state."</p> }
            .into_any();
    }
    let options = actions
        .into_iter()
        .map(|a| {
            let (_, text) = a.button();
            view! { <option value=format!("{a:?}")>{text}</option> }
        })
        .collect_view();
    view! {
        <ActionForm action=forms.act attr:id="act-form" attr:class="stacked">
            <input type="hidden" name="request_id" value=id.to_string() />
            <label for="act-action">"Action"</label>
            <select id="act-action" name="action">{options}</select>
            <label for="act-reason">"Why (recorded in the timeline)"</label>
            <textarea id="act-reason" name="reason" rows="2" required maxlength=Reason::MAX_CHARS></textarea>
            <button id="act-submit" type="submit" class="button primary" disabled=move || forms.act.pending().get()>
                "Do it"
            </button>
        </ActionForm>
        <FormError value=move || forms.act.value().get() />
    }
    .into_any()
}

#[component]
fn EmailFor(id: RequestId, forms: Forms) -> impl IntoView {
    view! {
        <h3>"Email the person"</h3>
        <ActionForm action=forms.email attr:id="email-form" attr:class="stacked">
            <input type="hidden" name="request_id" value=id.to_string() />
            <label for="email-which">"Email"</label>
            <select id="email-which" name="which">
                <option value="AskToReconnect">"Ask them to connect their old mailbox again"</option>
                <option value="ResendLast">"Send the last email again"</option>
            </select>
            <label for="email-reason">"Why (recorded in the timeline, not sent)"</label>
            <textarea id="email-reason" name="reason" rows="2" required maxlength=Reason::MAX_CHARS></textarea>
            <button id="email-submit" type="submit" class="button" disabled=move || forms.email.pending().get()>
                "Send"
            </button>
        </ActionForm>
        <FormError value=move || forms.email.value().get() />
    }
}

/// The error of a form's last post, if it failed.
#[component]
fn FormError(
    value: impl Fn() -> Option<Result<RequestDetail, AppError>> + Send + Sync + 'static,
) -> impl IntoView {
    move || {
        value().and_then(Result::err).map(|e| {
            view! { <p class="error" role="alert">{e.to_string()}</p> }
        })
    }
}
