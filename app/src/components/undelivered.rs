//! Emails Fountain gave up sending (refused for good, or failed too often), for the helpdesk: whom
//! they were for, what the mail server said, and the request to send them again from.
use leptos::prelude::*;

use crate::dto::UndeliveredEmail;
use crate::format::format_unix;

#[component]
pub fn UndeliveredEmails(emails: Vec<UndeliveredEmail>) -> impl IntoView {
    if emails.is_empty() {
        return ().into_any();
    }
    view! {
        <h3 id="undelivered">"Emails not delivered"</h3>
        <p class="muted">
            "The mail server refused these for good, or they failed too often: nobody got them and "
            "Fountain will not try again. Check the address with the person, then open the request "
            "and send the email again."
        </p>
        <table class="undelivered">
            <thead>
                <tr>
                    <th>"To"</th>
                    <th>"Email"</th>
                    <th>"Given up"</th>
                    <th>"Why"</th>
                </tr>
            </thead>
            <tbody>{emails.into_iter().map(row).collect_view()}</tbody>
        </table>
    }
    .into_any()
}

fn row(e: UndeliveredEmail) -> impl IntoView {
    let subject = match e.request_id {
        Some(id) => view! { <a href=format!("/helpdesk/requests/{id}")>{e.subject}</a> }.into_any(),
        None => view! { <span>{e.subject}</span> }.into_any(),
    };
    view! {
        <tr>
            <td>{e.to}</td>
            <td>{subject}</td>
            <td class="num">{format_unix(e.gave_up_at)}<br />
                <span class="muted">{format!("after {} attempt(s)", e.attempts)}</span></td>
            <td>{e.why}</td>
        </tr>
    }
}
