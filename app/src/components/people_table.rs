//! A table of people and their roles.
use leptos::prelude::*;

use crate::dto::Person;
use crate::format::format_unix;

#[component]
pub fn PeopleTable(people: Vec<Person>) -> impl IntoView {
    if people.is_empty() {
        return view! { <p class="empty">"Nobody matches."</p> }.into_any();
    }
    let rows = people
        .into_iter()
        .map(|p| {
            let roles = p
                .roles
                .iter()
                .map(|r| r.label())
                .collect::<Vec<_>>()
                .join(", ");
            view! {
                <tr>
                    <td>{p.display_name}</td>
                    <td>{p.email}</td>
                    <td>{roles}</td>
                    <td class="num">{format_unix(p.last_login_at)}</td>
                </tr>
            }
        })
        .collect_view();
    view! {
        <table class="table">
            <thead>
                <tr><th>"Name"</th><th>"Email"</th><th>"Roles"</th><th>"Last sign-in (UTC)"</th></tr>
            </thead>
            <tbody>{rows}</tbody>
        </table>
    }
    .into_any()
}
