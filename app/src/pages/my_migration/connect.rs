//! Step 1: connect the old account. In password mode the person types their old login and password,
//! checked at once by the old server; in administrator mode one click checks the mailbox exists.
use leptos::form::ActionForm;
use leptos::prelude::*;

use super::{ActionError, Actions};
use crate::dto::MigrationView;

#[component]
pub fn Connect(v: MigrationView, actions: Actions) -> impl IntoView {
    let again = v.account.is_some();
    let after_done = v
        .request
        .as_ref()
        .is_some_and(|r| r.state == crate::dto::RequestState::Done);
    let login = v
        .account
        .map(|a| a.login)
        .unwrap_or_else(|| v.login_hint.clone());
    let intro = if after_done {
        "To copy what reached your old mailbox since, connect it again: its password was forgotten when your copy finished."
    } else if again {
        "Fountain no longer holds the password of your old mailbox (it is forgotten when a migration ends). Connect it again to go on."
    } else {
        "First, connect your old mailbox. Fountain checks the login with the old server right away and keeps the password encrypted, only until your migration is done."
    };
    let form = if v.asks_password {
        view! {
            <ActionForm action=actions.connect attr:id="connect-form" attr:class="stacked">
                <label for="connect-login">"Old mailbox login"</label>
                <input id="connect-login" name="login" type="text" autocomplete="username" required value=login />
                <label for="connect-password">"Old mailbox password"</label>
                <input id="connect-password" name="password" type="password" autocomplete="current-password" required />
                <button
                    id="connect-submit"
                    type="submit"
                    class="button primary"
                    disabled=move || actions.connect.pending().get()
                >
                    {move || if actions.connect.pending().get() { "Checking with the old server…" } else { "Connect" }}
                </button>
            </ActionForm>
        }
        .into_any()
    } else {
        view! {
            <ActionForm action=actions.connect attr:id="connect-form">
                <input type="hidden" name="login" value=login />
                <p>"Your IT team connects to your old mailbox for you: no password is needed."</p>
                <button id="connect-submit" type="submit" class="button primary">
                    "Check my old mailbox"
                </button>
            </ActionForm>
        }
        .into_any()
    };
    view! {
        <section class="card" id="connect">
            <p class="step-label">"Step 1 of 3"</p>
            <h2>"Connect your old mailbox"</h2>
            <p>{intro}</p>
            {form}
            <div id="connect-error"><ActionError value=move || actions.connect.value().get() /></div>
        </section>
    }
}
