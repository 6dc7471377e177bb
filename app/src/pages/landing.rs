//! The front door: what Fountain is and how to sign in.
use leptos::prelude::*;

use crate::shell::ViewerResource;

#[component]
pub fn Landing() -> impl IntoView {
    let viewer = expect_context::<ViewerResource>();
    view! {
        <section class="hero">
            <h1>"Move your mailbox at your own pace"</h1>
            <p class="lead">
                "Fountain copies your mail from the old server to the new one, on the servers themselves: "
                "you choose the folders to keep, start the copy, and follow it here. Nothing is ever "
                "deleted, and you can stop and resume at any time."
            </p>
            <Suspense fallback=|| ()>
                {move || Suspend::new(async move {
                    match viewer.await {
                        Ok(Some(v)) => view! {
                            <p>"Welcome back, " <strong>{v.display_name}</strong> "."</p>
                            <a class="button primary" href="/me" rel="external">"Go to my migration"</a>
                        }.into_any(),
                        _ => view! {
                            <a class="button primary" href="/auth/login" rel="external">
                                "Sign in with your organisation account"
                            </a>
                        }.into_any(),
                    }
                })}
            </Suspense>
        </section>
        <section class="steps">
            <div class="step"><h3>"1. Connect"</h3><p>"Link your old mailbox."</p></div>
            <div class="step"><h3>"2. Choose"</h3><p>"See every folder with its size; leave behind what you don't need."</p></div>
            <div class="step"><h3>"3. Copy"</h3><p>"The servers copy your mail while you work. You get an email when it is done."</p></div>
        </section>
    }
}
