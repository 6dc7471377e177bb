//! "My migration": the signed-in user's own migration.
use leptos::prelude::*;

use crate::areas;
use crate::components::gate::{gated_viewer, Gate};

#[component]
pub fn MyMigration() -> impl IntoView {
    view! {
        <Gate roles=areas::MY_MIGRATION>
            <MyMigrationBody />
        </Gate>
    }
}

#[component]
fn MyMigrationBody() -> impl IntoView {
    let viewer = gated_viewer();
    let (explained, set_explained) = signal(false);
    view! {
        <h1>"My migration"</h1>
        <p class="who-line">
            "Signed in as " <strong id="viewer-name">{viewer.display_name}</strong>
            " (" <span id="viewer-email">{viewer.email}</span> ")"
        </p>
        <section class="card empty-state">
            <h2>"You have not started a migration yet"</h2>
            <p>
                "When your division opens migrations, you will connect your old mailbox here, "
                "choose which folders to bring along, and start the copy."
            </p>
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
        </section>
    }
}
