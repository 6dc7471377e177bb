//! The top bar: product name, the areas this person may open, and sign-out.
use leptos::prelude::*;

use crate::dto::{Role, Viewer};
use crate::shell::ViewerResource;

#[component]
pub fn Header() -> impl IntoView {
    let viewer = expect_context::<ViewerResource>();
    view! {
        <header class="topbar">
            <a class="brand" href="/" rel="external">
                <svg class="brand-mark" viewBox="0 0 24 24" width="22" height="22" aria-hidden="true">
                    <path d="M12 2C9 7 6 10.5 6 14a6 6 0 0 0 12 0c0-3.5-3-7-6-12z" fill="currentColor"></path>
                </svg>
                "Fountain"
            </a>
            <Suspense fallback=|| ()>
                {move || Suspend::new(async move {
                    match viewer.await {
                        Ok(Some(v)) => view! { <SignedInNav viewer=v /> }.into_any(),
                        _ => view! {
                            <nav class="nav">
                                <a class="button" href="/auth/login" rel="external">"Sign in"</a>
                            </nav>
                        }.into_any(),
                    }
                })}
            </Suspense>
        </header>
    }
}

#[component]
fn SignedInNav(viewer: Viewer) -> impl IntoView {
    // Full page loads (rel="external") so every area passes the server's role gate.
    let areas = [
        (Role::User, "/me", "My migration"),
        (Role::Helpdesk, "/helpdesk", "Helpdesk"),
        (Role::It, "/it", "IT"),
    ];
    let links = areas
        .into_iter()
        .filter(|(role, _, _)| viewer.has(*role))
        .map(|(_, href, label)| view! { <a href=href rel="external">{label}</a> })
        .collect_view();
    view! {
        <nav class="nav">
            {links}
            <span class="who" title=viewer.email.clone()>{viewer.display_name.clone()}</span>
            <form method="post" action="/auth/logout" class="inline">
                <button type="submit" class="link">"Sign out"</button>
            </form>
            <form method="post" action="/auth/logout-everywhere" class="inline">
                <button type="submit" class="link" title="Ends your sessions in every browser">"Sign out everywhere"</button>
            </form>
        </nav>
    }
}
