//! Previous / where we are / next, for a list paged on the server. `id` names its parts
//! (`{id}-prev`, `{id}-page`, `{id}-next`) for tests and labels.
use leptos::prelude::*;

/// `shown` rows of `total` on page `at` (from 0) of `pages`, `per_page` to a page; pressing a button
/// sets `page`.
#[component]
pub fn Pager(
    id: &'static str,
    label: &'static str,
    page: RwSignal<u32>,
    at: u32,
    pages: u32,
    per_page: u32,
    shown: usize,
    total: u64,
) -> impl IntoView {
    let first = u64::from(at) * u64::from(per_page) + 1;
    let last = (first + shown as u64).saturating_sub(1);
    view! {
        <nav class="pager" aria-label=label>
            <button id=format!("{id}-prev") type="button" class="button" disabled={at == 0}
                on:click=move |_| page.set(at.saturating_sub(1))>"Previous"</button>
            <span id=format!("{id}-page") data-page=at.to_string() data-pages=pages.to_string()>
                {format!("{first}–{last} of {total} · page {} of {pages}", at + 1)}
            </span>
            <button id=format!("{id}-next") type="button" class="button" disabled={at + 1 >= pages}
                on:click=move |_| page.set(at + 1)>"Next"</button>
        </nav>
    }
}
