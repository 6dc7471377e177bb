//! Step 3: pick the folders to bring along. A tree (indented by depth) with counts and sizes, where
//! each folder lands, the running total of what is ticked, and one button to start.
use leptos::prelude::*;

use super::{ActionError, Actions};
use crate::api::StartMigration;
use crate::dto::{MigrationView, ScannedFolder};
use crate::format::human_size;

/// The hierarchy separator the mailbox's names use: '.' for Cyrus-like `INBOX.` names, else '/'.
fn separator(all: &[ScannedFolder]) -> char {
    if all.iter().any(|f| f.name.starts_with("INBOX.")) {
        '.'
    } else {
        '/'
    }
}

/// The deepest indentation the stylesheet has (`.depth-0` … `.depth-8`); deeper folders stay there.
const MAX_DEPTH: usize = 8;

/// How deep a folder sits under the other listed folders (`INBOX.Projects.Fountain` is 2 below INBOX).
pub fn depth(name: &str, all: &[ScannedFolder]) -> usize {
    let sep = separator(all);
    all.iter()
        .filter(|f| f.name != name && name.starts_with(&format!("{}{sep}", f.name)))
        .count()
}

/// What the tree shows for a folder: its own name below its listed parent (`Fountain` under
/// `INBOX.Projects`), or the whole name at the top.
pub fn label(name: &str, all: &[ScannedFolder]) -> String {
    let sep = separator(all);
    // The nearest listed parent leaves the shortest rest.
    all.iter()
        .filter(|f| f.name != name)
        .filter_map(|parent| name.strip_prefix(parent.name.as_str())?.strip_prefix(sep))
        .min_by_key(|rest| rest.len())
        .unwrap_or(name)
        .to_owned()
}

#[component]
pub fn Picker(v: MigrationView, actions: Actions) -> impl IntoView {
    let result = v
        .scan
        .and_then(|s| s.result)
        .unwrap_or(crate::dto::ScanResult { folders: vec![] });
    let defaults: Vec<String> = result
        .folders
        .iter()
        .filter(|f| f.selected_by_default)
        .map(|f| f.name.clone())
        .collect();
    let picked = actions.picked;
    let chosen = {
        let defaults = defaults.clone();
        move || picked.get().unwrap_or_else(|| defaults.clone())
    };
    let folders = StoredValue::new(result.folders.clone());
    let totals = {
        let chosen = chosen.clone();
        move || {
            let now = chosen();
            let (messages, bytes) = folders.with_value(|all| {
                crate::dto::ScanResult {
                    folders: all.clone(),
                }
                .totals(|name| now.iter().any(|n| n == name))
            });
            (now.len(), messages, bytes)
        }
    };
    let toggle = {
        let defaults = defaults.clone();
        move |name: String, on: bool| {
            picked.update(|p| {
                let list = p.get_or_insert_with(|| defaults.clone());
                list.retain(|n| n != &name);
                if on {
                    list.push(name);
                }
            })
        }
    };
    let rows = result
        .folders
        .iter()
        .map(|f| {
            let name = f.name.clone();
            // A class, not a style attribute: the page's Content-Security-Policy allows no inline style.
            let indent = format!("depth-{}", depth(&f.name, &result.folders).min(MAX_DEPTH));
            let checked = {
                let chosen = chosen.clone();
                let name = name.clone();
                move || chosen().contains(&name)
            };
            let toggle = toggle.clone();
            let on_change = {
                let name = name.clone();
                move |ev: leptos::ev::Event| toggle(name.clone(), event_target_checked(&ev))
            };
            let notes = f.notes.join(" ");
            view! {
                <tr>
                    <td class=indent>
                        <label class="folder">
                            <input type="checkbox" class="folder-pick" data-folder=name.clone() prop:checked=checked on:change=on_change />
                            " " <span title=name.clone()>{label(&name, &result.folders)}</span>
                        </label>
                    </td>
                    <td class="num">{f.messages}</td>
                    <td class="num">{human_size(f.bytes)}</td>
                    <td>{f.destination.clone()} {(!notes.is_empty()).then(|| view! { <div class="note">{notes}</div> })}</td>
                </tr>
            }
        })
        .collect_view();
    let start = {
        let chosen = chosen.clone();
        move |_| {
            actions.start.dispatch(StartMigration { folders: chosen() });
        }
    };
    let totals_text = {
        let totals = totals.clone();
        move || {
            let (n, messages, bytes) = totals();
            format!(
                "{n} folders selected: {messages} messages, {}",
                human_size(bytes)
            )
        }
    };
    let nothing = move || totals().0 == 0;
    view! {
        <section class="card" id="pick">
            <p class="step-label">"Step 3 of 3"</p>
            <h2>"Choose what to bring along"</h2>
            <p>"Everything is ticked except trash and junk. Untick what you want to leave behind; nothing is ever deleted from your old mailbox."</p>
            <table class="table" id="folder-picker">
                <thead>
                    <tr><th>"Old folder"</th><th class="num">"Messages"</th><th class="num">"Size"</th><th>"Lands in"</th></tr>
                </thead>
                <tbody>{rows}</tbody>
            </table>
            <p id="selected-total" class="total" aria-live="polite">{totals_text}</p>
            <button
                type="button"
                id="start-migration"
                class="button primary"
                disabled=move || nothing() || actions.start.pending().get()
                on:click=start
            >
                "Start copying"
            </button>
            <ActionError value=move || actions.start.value().get() />
        </section>
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn f(name: &str) -> ScannedFolder {
        ScannedFolder {
            name: name.into(),
            destination: name.into(),
            messages: 0,
            bytes: 0,
            notes: vec![],
            selected_by_default: true,
        }
    }

    #[test]
    fn folders_nest_by_their_separator() {
        let cyrus = [
            f("INBOX"),
            f("INBOX.Projects"),
            f("INBOX.Projects.Fountain"),
        ];
        assert_eq!(depth("INBOX", &cyrus), 0);
        assert_eq!(depth("INBOX.Projects", &cyrus), 1);
        assert_eq!(depth("INBOX.Projects.Fountain", &cyrus), 2);
        let dovecot = [f("INBOX"), f("Work"), f("Work/2024")];
        assert_eq!(depth("Work/2024", &dovecot), 1);
        assert_eq!(depth("Work", &dovecot), 0);
        assert_eq!(label("INBOX.Projects.Fountain", &cyrus), "Fountain");
        assert_eq!(label("INBOX", &cyrus), "INBOX");
        assert_eq!(label("Work/2024", &dovecot), "2024");
        let german = [f("INBOX"), f("INBOX.Entwürfe"), f("INBOX.Entwürfe.Alt")];
        assert_eq!(label("INBOX.Entwürfe.Alt", &german), "Alt");
        assert_eq!(depth("INBOX.Entwürfe.Alt", &german), 2);
        // A folder whose parent is not listed keeps its whole name.
        assert_eq!(label("Archive/2019", &dovecot), "Archive/2019");
    }

    proptest::proptest! {
        #[test]
        fn any_names_label_as_a_suffix_without_panicking(
            names in proptest::collection::vec("(INBOX[./])?\\PC{0,12}([./]\\PC{0,6}){0,2}", 1..8)
        ) {
            let all: Vec<ScannedFolder> = names.iter().map(|n| f(n)).collect();
            for name in &names {
                let shown = label(name, &all);
                proptest::prop_assert!(name.ends_with(&shown));
                proptest::prop_assert!(depth(name, &all) < all.len());
            }
        }
    }
}
