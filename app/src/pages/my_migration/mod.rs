//! "My migration": the signed-in person's own migration, step by step: connect the old account, scan
//! it, pick folders, start, follow the progress, read the report. The page follows the server live
//! (it looks again every two seconds while a scan or a copy is moving).
mod addresses;
mod connect;
mod picker;
mod report;
mod request;
pub mod stage;

use std::time::Duration;

use leptos::prelude::*;

use crate::api::{my_migration, ConnectOldAccount, ControlRequest, StartMigration, StartScan};
use crate::areas;
use crate::components::gate::{gated_viewer, Gate};
use crate::components::live::{hydrated, poll_while};
use crate::dto::MigrationView;
use stage::{busy, stage, Stage};

#[component]
pub fn MyMigration() -> impl IntoView {
    view! {
        <Gate roles=areas::MY_MIGRATION>
            <MyMigrationBody />
        </Gate>
    }
}

/// The page's server actions, shared by its steps; any of them finishing makes the page look again.
#[derive(Clone, Copy)]
pub struct Actions {
    pub connect: ServerAction<ConnectOldAccount>,
    pub scan: ServerAction<StartScan>,
    pub start: ServerAction<StartMigration>,
    pub control: ServerAction<ControlRequest>,
    /// The folders ticked so far (`None`: the scan's defaults), kept across refreshes.
    pub picked: RwSignal<Option<Vec<String>>>,
}

#[component]
fn MyMigrationBody() -> impl IntoView {
    let viewer = gated_viewer();
    let (version, set_version) = signal(0u32);
    let data = Resource::new(move || version.get(), |_| my_migration());
    let actions = Actions {
        connect: ServerAction::new(),
        scan: ServerAction::new(),
        start: ServerAction::new(),
        control: ServerAction::new(),
        picked: RwSignal::new(None),
    };
    // Look again when an action has finished.
    Effect::new(move |previous: Option<()>| {
        actions.connect.version().track();
        actions.scan.version().track();
        actions.start.version().track();
        actions.control.version().track();
        if previous.is_some() {
            set_version.update(|v| *v += 1);
        }
    });
    poll_while(data, set_version, Duration::from_secs(2), busy);
    let live = hydrated();
    view! {
        <h1 id="my-migration" data-hydrated=move || live.get().to_string()>"My migration"</h1>
        <p class="who-line">
            "Signed in as " <strong id="viewer-name">{viewer.display_name}</strong>
            " (" <span id="viewer-email">{viewer.email}</span> ")"
        </p>
        <Transition fallback=|| view! { <p class="muted">"Loading…"</p> }>
            {move || Suspend::new(async move {
                match data.await {
                    Ok(v) => view! { <Step v=v actions=actions /> }.into_any(),
                    Err(e) => view! { <p class="error" role="alert">{e.to_string()}</p> }.into_any(),
                }
            })}
        </Transition>
        // Outside the polled steps: a catch-up runs the finished request again (the step shows the
        // copy, then the report), and a decision half made must not go with a re-render.
        <addresses::OldAddresses />
    }
}

#[component]
fn Step(v: MigrationView, actions: Actions) -> impl IntoView {
    match stage(&v) {
        Stage::Closed => view! {
            <section class="card empty-state" id="closed">
                <h2>"Migrations are not open yet"</h2>
                <p>"Your IT team has not opened mailbox migrations. You will be told when they do."</p>
                <HowItWorks />
            </section>
        }
        .into_any(),
        Stage::Connect => view! { <connect::Connect v=v actions=actions /> }.into_any(),
        Stage::Scan | Stage::Scanning => view! { <Scan v=v actions=actions /> }.into_any(),
        Stage::Pick => view! { <picker::Picker v=v actions=actions /> }.into_any(),
        Stage::Active => view! { <request::Active v=v actions=actions /> }.into_any(),
        Stage::Finished => view! { <report::Finished v=v actions=actions /> }.into_any(),
    }
}

/// Step 2: scanning the old mailbox.
#[component]
fn Scan(v: MigrationView, actions: Actions) -> impl IntoView {
    let scan = v.scan.clone();
    let running = scan.as_ref().is_some_and(|s| {
        matches!(
            s.state,
            crate::dto::ScanState::Queued | crate::dto::ScanState::Running
        )
    });
    let failed = scan.and_then(|s| s.error);
    let login = v.account.map(|a| a.login).unwrap_or_default();
    view! {
        <section class="card" id="scan">
            <p class="step-label">"Step 2 of 3"</p>
            <h2>"Scan your old mailbox"</h2>
            <p>
                "Connected to your old mailbox as " <strong>{login}</strong>
                ". Fountain now lists its folders with how many messages and how much mail each holds, "
                "and where each will land in your new mailbox."
            </p>
            {failed.map(|e| view! {
                <p class="error" role="alert" id="scan-error">"The last scan did not finish: " {e}</p>
            })}
            {if running {
                view! {
                    <p id="scan-status" class="status" aria-live="polite">
                        <span class="spinner" aria-hidden="true"></span>
                        "Scanning your old mailbox… this page updates by itself."
                    </p>
                }
                .into_any()
            } else {
                view! {
                    <button
                        type="button"
                        id="scan-start"
                        class="button primary"
                        disabled=move || actions.scan.pending().get()
                        on:click=move |_| {
                            actions.scan.dispatch(StartScan {});
                        }
                    >
                        "Scan my old mailbox"
                    </button>
                }
                .into_any()
            }}
            <ActionError value=move || actions.scan.value().get() />
        </section>
    }
}

/// The error of an action's last run, if it failed.
#[component]
pub fn ActionError(
    value: impl Fn() -> Option<Result<MigrationView, crate::error::AppError>> + Send + Sync + 'static,
) -> impl IntoView {
    move || {
        value().and_then(Result::err).map(|e| {
            view! { <p class="error" role="alert">{e.to_string()}</p> }
        })
    }
}

#[component]
fn HowItWorks() -> impl IntoView {
    let (explained, set_explained) = signal(false);
    view! {
        <button
            type="button"
            id="how-it-works"
            class="button"
            aria-expanded=move || explained.get().to_string()
            on:click=move |_| set_explained.update(|open| *open = !*open)
        >
            {move || if explained.get() { "Hide how it works" } else { "How does it work?" }}
        </button>
        <Show when=move || explained.get()>
            <ol id="how-it-works-steps" class="how">
                <li>"Connect: sign in to your old mailbox once; Fountain checks it right away."</li>
                <li>"Scan: Fountain lists your folders with message counts and sizes."</li>
                <li>"Choose: untick what you want to leave behind (old Trash, say)."</li>
                <li>"Copy: the servers copy your mail; close this page whenever you like."</li>
                <li>"Done: you get an email with a report and how to set up your mail program."</li>
            </ol>
        </Show>
    }
}
