//! Per-person destinations, on the IT page: the servers configured besides the default new one,
//! sending a wave or people to one (or back to the default), and everyone sent elsewhere (those
//! whose migration started can no longer move).
use leptos::prelude::*;

use crate::api::{destination_board, SetDestination};
use crate::components::cutover::WaveSelect;
use crate::dto::{DestinationBoard, PersonDestination};
use crate::format::format_unix;

#[component]
pub fn Destinations() -> impl IntoView {
    let set = ServerAction::<SetDestination>::new();
    let board = Resource::new(move || set.version().get(), |_| destination_board());
    let answer = move || {
        set.value().get().map(|done| match done {
            Ok(o) => {
                let refused = o
                    .refused
                    .into_iter()
                    .map(|(email, why)| view! { <li data-email=email.clone()>{format!("{email}: {why}")}</li> })
                    .collect_view();
                view! {
                    <p class="notice" id="destination-done">{format!("Destination set for {}.", o.set)}</p>
                    <ul class="error" id="destination-refused">{refused}</ul>
                }
                .into_any()
            }
            Err(e) => view! { <p class="error" role="alert" id="destination-error">{e.to_string()}</p> }.into_any(),
        })
    };
    view! {
        <Transition fallback=|| view! { <p class="muted">"Loading…"</p> }>
            {move || Suspend::new(async move {
                match board.await {
                    Ok(b) if b.configured.is_empty() => view! {
                        <p class="muted" id="destinations-none">
                            "Everyone goes to the new server: no other destination is configured ([migration.destinations.NAME])."
                        </p>
                    }
                    .into_any(),
                    Ok(b) => view! { <Board b=b set=set /> }.into_any(),
                    Err(e) => view! { <p class="error">{e.to_string()}</p> }.into_any(),
                }
            })}
        </Transition>
        {answer}
    }
}

#[component]
fn Board(b: DestinationBoard, set: ServerAction<SetDestination>) -> impl IntoView {
    let options = b
        .configured
        .iter()
        .map(|n| view! { <option value=n.as_str().to_owned()>{n.as_str().to_owned()}</option> })
        .collect_view();
    let rows = b
        .people
        .into_iter()
        .map(|p| view! { <PersonRow p=p /> })
        .collect_view();
    view! {
        <ActionForm action=set attr:id="destination-form" attr:class="stacked">
            <label for="destination-wave">"Send a whole wave"</label>
            <WaveSelect id="destination-wave" />
            <label for="destination-people">"… or people, by new address (spaces, commas or lines between them)"</label>
            <textarea id="destination-people" name="people" rows="2"></textarea>
            <label for="destination-to">"To"</label>
            <select id="destination-to" name="destination">
                <option value="default">"the default new server"</option>
                {options}
            </select>
            <button id="destination-submit" type="submit" class="button primary">"Send them there"</button>
        </ActionForm>
        <div class="table-wrap">
            <table class="table" id="destinations-table">
                <thead><tr><th>"Person"</th><th>"Goes to"</th><th>"Set by"</th><th>"When (UTC)"</th><th>"Started?"</th></tr></thead>
                <tbody>{rows}</tbody>
            </table>
        </div>
    }
}

#[component]
fn PersonRow(p: PersonDestination) -> impl IntoView {
    let email = p.email.clone();
    view! {
        <tr data-email=email data-destination=p.destination.as_str().to_owned()>
            <td>{p.email}</td>
            <td><code>{p.destination.as_str().to_owned()}</code></td>
            <td>{p.set_by}</td>
            <td>{format_unix(p.set_at)}</td>
            <td>{if p.started { "yes: it stays" } else { "not yet" }}</td>
        </tr>
    }
}
