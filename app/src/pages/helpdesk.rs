//! The helpdesk area: the triage queue (requests that need someone, and why), and finding a person.
use std::time::Duration;

use leptos::prelude::*;
use leptos_router::components::Form;
use leptos_router::hooks::use_query_map;

use crate::api::{helpdesk_triage, people, ActOnSelection};
use crate::areas;
use crate::components::bulk_bar::{BulkBar, BulkState, TriageFilter};
use crate::components::gate::Gate;
use crate::components::live::{hydrated, poll_while};
use crate::components::people_table::PeopleTable;
use crate::components::triage_table::TriageTable;
use crate::components::undelivered::UndeliveredEmails;
use crate::dto::{TriageQuery, TriageSelection, TriageSort};

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
    let selection = RwSignal::new(TriageSelection::default());
    let sort = RwSignal::new(TriageSort::default());
    let page = RwSignal::new(0u32);
    let bulk = BulkState::new();
    // A new narrowing or order starts at the first page, and needs a new confirmation.
    Effect::new(move |previous: Option<()>| {
        selection.track();
        sort.track();
        if previous.is_some() {
            page.set(0);
            bulk.confirming.set(false);
        }
    });
    let triage = Resource::new(
        move || {
            let query = TriageQuery {
                selection: selection.get(),
                sort: sort.get(),
                page: page.get(),
            };
            (version.get(), query)
        },
        |(_, query)| helpdesk_triage(query),
    );
    poll_while(triage, set_version, Duration::from_secs(5), |t| t.moving);
    let act = ServerAction::<ActOnSelection>::new();
    // After a bulk action, look again at once.
    Effect::new(move |previous: Option<()>| {
        act.version().track();
        if previous.is_some() {
            set_version.update(|v| *v += 1);
        }
    });
    let live = hydrated();
    view! {
        <h1 id="helpdesk" data-hydrated=move || live.get().to_string()>"Helpdesk"</h1>
        <section class="card">
            <h2>"Needs a look"</h2>
            <TriageFilter selection=selection sort=sort />
            <Transition fallback=|| view! { <p class="muted">"Loading…"</p> }>
                {move || Suspend::new(async move {
                    match triage.await {
                        // Every request the selection holds, on all pages: what a bulk action acts on.
                        Ok(mut queue) => {
                            let undelivered = std::mem::take(&mut queue.undelivered);
                            view! {
                                <BulkBar selection=selection count=queue.total act=act state=bulk />
                                <TriageTable triage=queue page=page />
                                <UndeliveredEmails emails=undelivered />
                            }
                            .into_any()
                        }
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
