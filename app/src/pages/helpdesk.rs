//! The helpdesk area: the triage queue (requests that need someone, and why), and finding a person.
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
    let triage = Resource::new(|| (), |_| helpdesk_triage());
    view! {
        <h1>"Helpdesk"</h1>
        <section class="card">
            <h2>"Needs a look"</h2>
            <Suspense fallback=|| view! { <p class="muted">"Loading…"</p> }>
                {move || Suspend::new(async move {
                    match triage.await {
                        Ok(queue) => view! { <TriageTable triage=queue /> }.into_any(),
                        Err(e) => view! { <p class="error">{e.to_string()}</p> }.into_any(),
                    }
                })}
            </Suspense>
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
