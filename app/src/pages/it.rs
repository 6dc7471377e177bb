//! The division IT area: corrupt mailboxes to work through, the servers and their limits, what
//! Fountain sends (templates, previews, test sends), and who can use Fountain with which roles.
use leptos::prelude::*;

use crate::api::{corrupt_mailboxes, people, DecideForQueue};
use crate::areas;
use crate::components::corrupt_queue::{CorruptMailboxes, QueueDecisionBar, QueueDecisionState};
use crate::components::cutover::{Cutover, OldAddressBook};
use crate::components::destinations::Destinations;
use crate::components::email_templates::EmailTemplates;
use crate::components::gate::Gate;
use crate::components::live::hydrated;
use crate::components::people_table::PeopleTable;
use crate::components::servers::Servers;
use crate::components::waves::Waves;

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
    let page = RwSignal::new(0u32);
    let (version, set_version) = signal(0u32);
    let corrupt = Resource::new(
        move || (version.get(), page.get()),
        |(_, page)| corrupt_mailboxes(page),
    );
    let decide = ServerAction::<DecideForQueue>::new();
    let decision = QueueDecisionState::default();
    // After a decision for the queue, look again at once.
    Effect::new(move |previous: Option<()>| {
        decide.version().track();
        if previous.is_some() {
            set_version.update(|v| *v += 1);
        }
    });
    let live = hydrated();
    view! {
        <h1 id="it" data-hydrated=move || live.get().to_string()>"Division IT"</h1>
        <section class="card" id="corrupt">
            <h2>"Corrupt mailboxes"</h2>
            <p class="muted">
                "Messages the new server refused (or the old one could not give) are kept aside, never lost. "
                "Open a request to see each message, download it, and send it again, repair it or accept it as not migrated."
            </p>
            <p><a href="/it/corrupt.csv" rel="external" download="corrupt-mailboxes.csv" id="corrupt-csv">"Export the whole queue as CSV"</a></p>
            <Transition fallback=|| view! { <p class="muted">"Loading…"</p> }>
                {move || Suspend::new(async move {
                    match corrupt.await {
                        // Shown while messages wait, and after a decision to say what it did.
                        Ok(queue) => view! {
                            {(queue.pending > 0 || decide.value().get_untracked().is_some()).then(|| view! {
                                <QueueDecisionBar pending=queue.pending act=decide state=decision />
                            })}
                            <CorruptMailboxes queue=queue page=page />
                        }
                        .into_any(),
                        Err(e) => view! { <p class="error">{e.to_string()}</p> }.into_any(),
                    }
                })}
            </Transition>
        </section>
        <section class="card" id="waves-card">
            <h2>"Waves"</h2>
            <p class="muted">
                "Groups of people migrated together. Import them from a CSV file (or with fountain waves import); "
                "here, start, pause and resume each wave, and see its plan: largest mailbox first, with when it should end at the typical and the slow rate. "
                "A running wave gives each copy its turn, inside its window, never more at once than it may."
            </p>
            <Waves />
        </section>
        <section class="card" id="destinations">
            <h2>"Destinations"</h2>
            <p class="muted">
                "Most people's mail goes to the new server; IT may send some to another configured server (with its own limits and client instructions), "
                "by the wave file's destination column or here. Once someone's migration has started, their destination stays."
            </p>
            <Destinations />
        </section>
        <section class="card" id="cutover">
            <h2>"Cutover: delivery on the new server"</h2>
            <p class="muted">
                "Once mail for a wave (or a person) is delivered to the new server, say so here. Fountain then catches each person up "
                "(at once, then on a schedule: often for the first hours, daily after), copying only what still reaches the old server and "
                "never touching the new mailbox, and shows what arrived for which address. Turn the old server off when everyone is quiet."
            </p>
            <Cutover />
        </section>
        <section class="card" id="addresses">
            <h2>"Old addresses"</h2>
            <p class="muted">
                "The addresses of the old domains found in each person's mail, and whether they said each is theirs."
            </p>
            <OldAddressBook />
        </section>
        <section class="card" id="servers">
            <h2>"Servers and limits"</h2>
            <p class="muted">
                "What each Fountain process may take from each server. A change holds at once here and on "
                "the other workers within a few seconds, without a restart: a lowered connection limit from the "
                "next connection (those open finish their work), a paused server gets no new scans or copies. "
                "Live figures are this portal's own."
            </p>
            <Servers />
        </section>
        <section class="card" id="emails">
            <h2>"What people receive"</h2>
            <p class="muted">
                "Every email and the mail-program instructions come from templates: the built-in ones, or "
                "files in migration.templates_dir, checked when Fountain starts (a misspelt or missing "
                "placeholder is refused with its line). Preview one with a real person's data before anyone gets it."
            </p>
            <EmailTemplates />
        </section>
        <section class="card">
            <h2>"People and roles"</h2>
            <p class="muted">
                "Roles come from your identity provider's groups at each sign-in; change them there. "
                "The 100 most recent sign-ins are shown."
            </p>
            <p><a href="/it/people.csv" rel="external" download="people.csv" id="people-csv">"Export everyone as CSV"</a></p>
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
