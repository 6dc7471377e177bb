//! The finished migration: per folder, old against new (messages and bytes), what was kept aside and
//! why, how to set up the mail program, and the catch-up sync.
use leptos::prelude::*;

use super::connect::Connect;
use super::request::Controls;
use super::Actions;
use crate::components::report_table::ReportTable;
use crate::dto::MigrationView;

#[component]
pub fn Finished(v: MigrationView, actions: Actions) -> impl IntoView {
    let r = v.request.clone().expect("a finished request");
    let usable = v.account.as_ref().is_some_and(|a| a.usable);
    let report = r.report.clone();
    view! {
        <section class="card" id="report">
            <h2>"Your mail has been copied"</h2>
            <p class="state"><span id="request-state" data-state="done">"Done"</span></p>
            {report.clone().map(|report| view! { <ReportTable report=report downloads=true /> })}
            {report.map(|report| view! {
                <h3>"What to do now"</h3>
                <pre id="instructions" class="instructions">{report.instructions}</pre>
            })}
            <h3>"Mail still arriving in the old mailbox?"</h3>
            <p>"Once delivery has moved to the new server, a catch-up sync copies what arrived in between (only that)."</p>
            {if usable {
                view! { <Controls request_id=r.id offered=r.actions.clone() actions=actions /> }.into_any()
            } else {
                view! { <Connect v=v actions=actions /> }.into_any()
            }}
        </section>
    }
}
