//! Shows its children only to a signed-in person with one of the roles. The server gates full page
//! loads too (302 to sign-in, 403); this covers navigation inside the app.
use leptos::prelude::*;

use crate::dto::{Role, Viewer};
use crate::shell::ViewerResource;

#[component]
pub fn Gate(roles: &'static [Role], children: ChildrenFn) -> impl IntoView {
    let viewer = expect_context::<ViewerResource>();
    let children = StoredValue::new(children);
    view! {
        <Suspense fallback=|| view! { <p class="muted">"Loading…"</p> }>
            {move || Suspend::new(async move {
                match viewer.await {
                    Ok(Some(v)) if roles.iter().any(|r| v.has(*r)) => {
                        provide_context(v);
                        children.with_value(|c| c()).into_any()
                    }
                    Ok(Some(v)) => view! { <Forbidden viewer=v roles /> }.into_any(),
                    Ok(None) => view! {
                        <section class="card">
                            <h1>"Please sign in"</h1>
                            <p>"Your session has ended or you have not signed in yet."</p>
                            <a class="button" href="/auth/login" rel="external">"Sign in"</a>
                        </section>
                    }.into_any(),
                    Err(e) => view! { <p class="error">{e.to_string()}</p> }.into_any(),
                }
            })}
        </Suspense>
    }
}

#[component]
fn Forbidden(viewer: Viewer, roles: &'static [Role]) -> impl IntoView {
    let needed = Role::any_of(roles);
    view! {
        <section class="card">
            <h1>"Not available to your account"</h1>
            <p>
                "This area needs the " <strong>{needed}</strong> " role. You are signed in as "
                {viewer.email} "."
            </p>
            <p>"If you think you should have access, ask your division IT team."</p>
            <a class="button" href="/" rel="external">"Back to Fountain"</a>
        </section>
    }
}

/// The viewer, inside a [`Gate`].
pub fn gated_viewer() -> Viewer {
    expect_context::<Viewer>()
}
