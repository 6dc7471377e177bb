//! The helpdesk area: the triage queue (requests that need someone, and why), and finding a person.
use std::time::Duration;

use leptos::prelude::*;
use leptos_router::components::Form;
use leptos_router::hooks::use_query_map;

use crate::api::{helpdesk_triage, people};
use crate::areas;
use crate::components::gate::Gate;
use crate::components::people_table::PeopleTable;
use crate::components::triage_table::TriageTable;

#[component]
pub fn Helpdesk() -> impl IntoView {
    view! {
        <Gate roles=areas::HELPDESK>
            <HelpdeskBody />
        </Gate>
    }
}

#[component]
fn HelpdeskBody() -> impl IntoView {
    let query = use_query_map();
    let q = move || query.read().get("q").unwrap_or_default();
    let found = Resource::new(q, people);
    let (version, set_version) = signal(0u32);
    let triage = Resource::new(move || version.get(), |_| helpdesk_triage());
    // Look again every five seconds while some request is queued or copying (in the browser only).
    Effect::new(move |_| {
        let handle = set_interval_with_handle(
            move || {
                let moving = triage
                    .get_untracked()
                    .and_then(Result::ok)
                    .is_some_and(|t| t.moving);
                if moving {
                    set_version.update(|v| *v += 1);
                }
            },
            Duration::from_secs(5),
        )
        .ok();
        on_cleanup(move || {
            if let Some(h) = handle {
                h.clear();
            }
        });
    });
    // Set once the page runs in the browser (tests wait for it).
    let (hydrated, set_hydrated) = signal(false);
    Effect::new(move |_| set_hydrated.set(true));
    view! {
        <h1 id="helpdesk" data-hydrated=move || hydrated.get().to_string()>"Helpdesk"</h1>
        <section class="card">
            <h2>"Needs a look"</h2>
            <Transition fallback=|| view! { <p class="muted">"Loading…"</p> }>
                {move || Suspend::new(async move {
                    match triage.await {
                        Ok(queue) => view! { <TriageTable triage=queue /> }.into_any(),
                        Err(e) => view! { <p class="error">{e.to_string()}</p> }.into_any(),
                    }
                })}
            </Transition>
        </section>
        <section class="card">
            <h2>"Find a person"</h2>
            <Form method="GET" action="">
                <input type="search" name="q" placeholder="Name or email" prop:value=q aria-label="Name or email" />
                <button type="submit" class="button">"Search"</button>
            </Form>
            <Suspense fallback=|| view! { <p class="muted">"Searching…"</p> }>
                {move || Suspend::new(async move {
                    match found.await {
                        Ok(list) => view! { <PeopleTable people=list /> }.into_any(),
                        Err(e) => view! { <p class="error">{e.to_string()}</p> }.into_any(),
                    }
                })}
            </Suspense>
        </section>
    }
}
