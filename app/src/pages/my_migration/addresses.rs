//! The old addresses found in the person's mail: they say which are theirs, so mail still sent to
//! those goes to the new mailbox once IT routes them.
use leptos::prelude::*;

use crate::api::{my_old_addresses, DecideOldAddress};
use crate::components::live::hydrated;
use crate::dto::{AddressDecision, OldAddress, PersonAddresses};
use crate::format::format_unix;

#[component]
pub fn OldAddresses() -> impl IntoView {
    let decide = ServerAction::<DecideOldAddress>::new();
    let data = Resource::new(move || decide.version().get(), |_| my_old_addresses());
    let refused = move || {
        decide.value().get().and_then(Result::err).map(|e| {
            view! { <p class="error" role="alert" id="addresses-refused">{e.to_string()}</p> }
        })
    };
    view! {
        <Suspense fallback=|| ()>
            {move || Suspend::new(async move {
                match data.await {
                    Ok(PersonAddresses { addresses, .. }) if !addresses.is_empty() => view! {
                        <section class="card" id="old-addresses">
                            <h2>"Your old addresses"</h2>
                            <p class="muted">
                                "These addresses of the old mail system reached your mailbox. Say which are yours: "
                                "IT sends mail still written to them to your new mailbox. A shared or list address is not yours alone."
                            </p>
                            {refused}
                            <ul class="addresses">
                                {addresses.into_iter().map(|a| view! { <AddressRow a=a decide=decide /> }).collect_view()}
                            </ul>
                        </section>
                    }.into_any(),
                    Ok(_) => ().into_any(),
                    Err(e) => view! { <p class="error">{e.to_string()}</p> }.into_any(),
                }
            })}
        </Suspense>
    }
}

#[component]
fn AddressRow(a: OldAddress, decide: ServerAction<DecideOldAddress>) -> impl IntoView {
    let address = a.address.as_str().to_owned();
    let seen = match a.last_seen {
        Some(at) => format!("{} message(s), the last {}", a.messages, format_unix(at)),
        None => format!("{} message(s)", a.messages),
    };
    let said = match a.decision {
        AddressDecision::Suggested => "Not answered yet",
        AddressDecision::Confirmed => "Yours",
        AddressDecision::Declined => "Not yours",
    };
    let button = |decision: AddressDecision, words: &'static str, primary: bool| {
        let address = address.clone();
        let class = if primary { "button primary" } else { "button" };
        view! {
            <button type="button" class=class
                disabled=move || decide.pending().get() || a.decision == decision
                on:click=move |_| {
                    decide.dispatch(DecideOldAddress {
                        address: address.clone(),
                        decision: decision.as_str().to_owned(),
                    });
                }>{words}</button>
            " "
        }
    };
    // Its buttons work once it runs in the browser (tests wait for this).
    let live = hydrated();
    let conflict = a.contested.then(|| view! {
        <p class="error">"Someone else says this address is theirs too: IT will ask which of you it belongs to."</p>
    });
    view! {
        <li data-address=address.clone() data-decision=a.decision.as_str()
            data-hydrated=move || live.get().to_string()>
            <strong>{address.clone()}</strong>" "
            <span class="muted">{seen}</span>" · "
            <span class="decision">{said}</span>
            <div>
                {button(AddressDecision::Confirmed, "It is mine", true)}
                {button(AddressDecision::Declined, "Not mine", false)}
            </div>
            {conflict}
        </li>
    }
}
