//! The division IT area: who can use Fountain and with which roles.
use leptos::prelude::*;

use crate::api::people;
use crate::areas;
use crate::components::gate::Gate;
use crate::components::people_table::PeopleTable;

#[component]
pub fn It() -> impl IntoView {
    view! {
        <Gate roles=areas::IT>
            <ItBody />
        </Gate>
    }
}

#[component]
fn ItBody() -> impl IntoView {
    let everyone = Resource::new(|| (), |_| people(String::new()));
    view! {
        <h1>"Division IT"</h1>
        <section class="card">
            <h2>"People and roles"</h2>
            <p class="muted">
                "Roles come from your identity provider's groups at each sign-in; change them there."
            </p>
            <Suspense fallback=|| view! { <p class="muted">"Loading…"</p> }>
                {move || Suspend::new(async move {
                    match everyone.await {
                        Ok(list) => view! { <PeopleTable people=list /> }.into_any(),
                        Err(e) => view! { <p class="error">{e.to_string()}</p> }.into_any(),
                    }
                })}
            </Suspense>
        </section>
    }
}
