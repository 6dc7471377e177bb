//! Delivery switched to the new server, on the IT page: the switch (a wave, or people by address),
//! everyone switched with their catch-ups and the mail still reaching the old server by address
//! (those not quiet first), and the old addresses people confirmed, with conflicts and the routing
//! maps to download.
use std::time::Duration;

use leptos::prelude::*;

use crate::api::{cutover_board, old_addresses, waves, SwitchDelivery};
use crate::components::live::poll_while;
use crate::dto::{AddressDecision, CutoverBoard, CutoverPerson, PersonAddresses, Quietness};
use crate::format::format_unix;

fn quietness_key(q: Quietness) -> &'static str {
    match q {
        Quietness::NotReadYet => "not-read",
        Quietness::Listening { .. } => "listening",
        Quietness::StillArriving { .. } => "arriving",
        Quietness::Quiet { .. } => "quiet",
    }
}

#[component]
pub fn Cutover() -> impl IntoView {
    let switch = ServerAction::<SwitchDelivery>::new();
    let (version, set_version) = signal(0u32);
    let board = Resource::new(
        move || (switch.version().get(), version.get()),
        |_| cutover_board(),
    );
    // Catch-ups and arrivals come in on their own: look again while someone is not quiet yet.
    poll_while(
        board,
        set_version,
        Duration::from_secs(5),
        |b: &CutoverBoard| b.quiet < b.people.len() as u64,
    );
    let answer = move || {
        switch.value().get().map(|done| match done {
            Ok(o) => view! {
                <p class="notice" id="switch-done">{format!(
                    "Delivery switched for {} (switched before: {}). The first catch-up runs now; the list below follows them.",
                    o.switched, o.already
                )}</p>
            }
            .into_any(),
            Err(e) => view! { <p class="error" role="alert" id="switch-refused">{e.to_string()}</p> }.into_any(),
        })
    };
    view! {
        <ActionForm action=switch attr:id="switch-form" attr:class="stacked">
            <label for="switch-wave">"Switch a whole wave"</label>
            <WaveSelect id="switch-wave" />
            <label for="switch-people">"… or people, by new address (spaces, commas or lines between them)"</label>
            <textarea id="switch-people" name="people" rows="2"></textarea>
            <button id="switch-submit" type="submit" class="button primary">"Delivery has moved: start the catch-ups"</button>
        </ActionForm>
        {answer}
        <Transition fallback=|| view! { <p class="muted">"Loading…"</p> }>
            {move || Suspend::new(async move {
                match board.await {
                    Ok(b) => view! { <Board b=b /> }.into_any(),
                    Err(e) => view! { <p class="error">{e.to_string()}</p> }.into_any(),
                }
            })}
        </Transition>
    }
}

/// A form's choice of a wave (field `wave`), or none: the people typed beside it.
#[component]
pub fn WaveSelect(id: &'static str) -> impl IntoView {
    let known = Resource::new(|| (), |_| waves());
    view! {
        <select id=id name="wave">
            <option value="">"(no wave: the people typed below)"</option>
            <Suspense fallback=|| ()>
                {move || Suspend::new(async move {
                    known.await.unwrap_or_default().into_iter().map(|w| {
                        let name = w.name.as_str().to_owned();
                        view! { <option value=name.clone()>{name.clone()}</option> }
                    }).collect_view()
                })}
            </Suspense>
        </select>
    }
}

#[component]
fn Board(b: CutoverBoard) -> impl IntoView {
    if b.people.is_empty() {
        return view! { <p class="muted" id="cutover-empty">"Nobody's delivery has been switched yet."</p> }.into_any();
    }
    let summary = format!("{} switched, {} quiet.", b.people.len(), b.quiet);
    let rows = b
        .people
        .into_iter()
        .map(|p| view! { <PersonRow p=p /> })
        .collect_view();
    view! {
        <p id="cutover-summary">{summary}</p>
        <div class="table-wrap">
            <table class="table" id="cutover-table">
                <thead><tr>
                    <th>"Person"</th><th>"Switched (UTC)"</th><th>"Catch-ups"</th>
                    <th>"Arrived at the old server since"</th><th>"Quiet?"</th>
                </tr></thead>
                <tbody>{rows}</tbody>
            </table>
        </div>
    }
    .into_any()
}

#[component]
fn PersonRow(p: CutoverPerson) -> impl IntoView {
    let arrived = if p.arrived.is_empty() {
        view! { <span class="muted">"nothing"</span> }.into_any()
    } else {
        p.arrived
            .iter()
            .map(|a| {
                let to = if a.address.is_empty() { "(address not said)".to_owned() } else { a.address.clone() };
                view! {
                    <div class="arrived" data-address=a.address.clone() data-messages=a.messages.to_string()>
                        {format!("{to}: {} message(s), last {}", a.messages, format_unix(a.last))}
                    </div>
                }
            })
            .collect_view()
            .into_any()
    };
    let catch_ups = match (p.last_catch_up_at, p.next_catch_up_at) {
        (_, Some(next)) => format!("{} so far; next {}", p.catch_ups, format_unix(next)),
        (Some(last), None) => format!(
            "{}, the last {}; none left on the schedule",
            p.catch_ups,
            format_unix(last)
        ),
        (None, None) => "none; the schedule has ended".to_owned(),
    };
    view! {
        <tr data-email=p.email.as_str().to_owned() data-quiet=quietness_key(p.quietness)>
            <td>{p.email.as_str().to_owned()}{p.wave.map(|w| view! { <div class="muted">{format!("wave {w}")}</div> })}</td>
            <td>{format_unix(p.switched_at)}</td>
            <td>{catch_ups}{p.trouble.map(|t| view! { <div class="error">{t}</div> })}</td>
            <td>{arrived}</td>
            <td>{p.quietness.in_words()}</td>
        </tr>
    }
}

/// Everyone's old addresses, conflicts first, and the routing maps of those confirmed.
#[component]
pub fn OldAddressBook() -> impl IntoView {
    let data = Resource::new(|| (), |_| old_addresses());
    view! {
        <p>
            "Routing maps of the confirmed addresses (an address two people confirmed is left out until one of them declines it): "
            <a href="/it/addresses/export?format=postfix" rel="external" id="export-postfix">"Postfix virtual"</a>", "
            <a href="/it/addresses/export?format=csv" rel="external" id="export-csv">"CSV"</a>", "
            <a href="/it/addresses/export?format=ldif" rel="external" id="export-ldif">"LDIF"</a>"."
        </p>
        <Suspense fallback=|| view! { <p class="muted">"Loading…"</p> }>
            {move || Suspend::new(async move {
                match data.await {
                    Ok(people) if people.is_empty() => view! {
                        <p class="muted" id="addresses-empty">"No old addresses found yet: they are read from each person's mail once their copy is done (set migration.cutover.old_domains)."</p>
                    }.into_any(),
                    Ok(people) => view! { <AddressTable people=people /> }.into_any(),
                    Err(e) => view! { <p class="error">{e.to_string()}</p> }.into_any(),
                }
            })}
        </Suspense>
    }
}

#[component]
fn AddressTable(people: Vec<PersonAddresses>) -> impl IntoView {
    let rows =
        people
            .into_iter()
            .flat_map(|p| {
                let person = p.email.as_str().to_owned();
                p.addresses.into_iter().map(move |a| {
                let conflict = a.contested.then(|| {
                    let others: Vec<&str> = a.also_claimed_by.iter().map(|e| e.as_str()).collect();
                    format!("Conflict: also confirmed by {}", others.join(", "))
                });
                let decision = match a.decision {
                    AddressDecision::Suggested => "not answered yet",
                    AddressDecision::Confirmed => "theirs",
                    AddressDecision::Declined => "not theirs",
                };
                let conflicted = conflict.is_some().to_string();
                view! {
                    <tr data-person=person.clone() data-address=a.address.as_str().to_owned()
                        data-conflict=conflicted>
                        <td>{person.clone()}</td>
                        <td>{a.address.as_str().to_owned()}</td>
                        <td>{decision}</td>
                        <td>{a.messages}</td>
                        <td class="error">{conflict}</td>
                    </tr>
                }
            }).collect::<Vec<_>>()
            })
            .collect_view();
    view! {
        <div class="table-wrap">
            <table class="table" id="addresses-table">
                <thead><tr><th>"Person"</th><th>"Old address"</th><th>"They say"</th><th>"Messages"</th><th></th></tr></thead>
                <tbody>{rows}</tbody>
            </table>
        </div>
    }
}
