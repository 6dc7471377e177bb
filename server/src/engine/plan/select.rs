//! Which source folders to copy: `--folder` / `--exclude` patterns (and the user's ticks in the portal).
//! `*` matches anything, `%` anything but the hierarchy separator (as in IMAP LIST); INBOX is
//! case-insensitive. An exclusion wins over an inclusion; no inclusion means every folder.

use super::folders::strip_prefix_ignore_ascii_case;

/// A folder pattern, matched against the decoded (Unicode) source name.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Pattern {
    text: String,
    /// The text is a folder name, wildcards and all (what a person ticked in the portal).
    exact: bool,
}

impl Pattern {
    pub fn new(pattern: &str) -> Self {
        Pattern {
            text: pattern.to_owned(),
            exact: false,
        }
    }

    /// Matches this one folder only, even if its name holds `*` or `%`.
    pub fn exact(name: &str) -> Self {
        Pattern {
            text: name.to_owned(),
            exact: true,
        }
    }

    pub fn matches(&self, name: &str, separator: char) -> bool {
        let normalise = |s: &str| -> Vec<char> {
            match strip_prefix_ignore_ascii_case(s, "INBOX") {
                Some(rest) if rest.chars().next().is_none_or(|c| c == separator) => {
                    format!("INBOX{rest}").chars().collect()
                }
                _ => s.chars().collect(),
            }
        };
        if self.exact {
            return normalise(&self.text) == normalise(name);
        }
        glob(&normalise(&self.text), &normalise(name), separator)
    }
}

fn glob(pattern: &[char], name: &[char], separator: char) -> bool {
    match pattern.split_first() {
        None => name.is_empty(),
        Some(('*', rest)) => (0..=name.len()).any(|i| glob(rest, &name[i..], separator)),
        Some(('%', rest)) => {
            let limit = name
                .iter()
                .position(|&c| c == separator)
                .unwrap_or(name.len());
            (0..=limit).any(|i| glob(rest, &name[i..], separator))
        }
        Some((&p, rest)) => name.first() == Some(&p) && glob(rest, &name[1..], separator),
    }
}

/// Whether a folder is selected by the include and exclude patterns.
pub fn selected(name: &str, separator: char, include: &[Pattern], exclude: &[Pattern]) -> bool {
    let included = include.is_empty() || include.iter().any(|p| p.matches(name, separator));
    included && !exclude.iter().any(|p| p.matches(name, separator))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn p(s: &str) -> Pattern {
        Pattern::new(s)
    }

    #[test]
    fn exact_names_take_wildcards_literally() {
        let star = Pattern::exact("Odd*Name");
        assert!(star.matches("Odd*Name", '/'));
        assert!(!star.matches("OddXName", '/'));
        assert!(Pattern::exact("inbox").matches("INBOX", '/'));
        assert!(!Pattern::exact("INBOX").matches("INBOX/Sub", '/'));
    }

    #[test]
    fn star_and_percent() {
        assert!(p("INBOX.*").matches("INBOX.Projects.Fountain", '.'));
        assert!(p("INBOX.%").matches("INBOX.Projects", '.'));
        assert!(!p("INBOX.%").matches("INBOX.Projects.Fountain", '.'));
        assert!(p("*Trash*").matches("INBOX.Trash", '.'));
        assert!(p("Réunions").matches("Réunions", '/'));
        assert!(!p("Projects").matches("Projects2", '/'));
    }

    #[test]
    fn inbox_is_case_insensitive_but_nothing_else_is() {
        assert!(p("inbox").matches("INBOX", '.'));
        assert!(p("Inbox.Sent").matches("INBOX.Sent", '.'));
        assert!(!p("inbox.sent").matches("INBOX.Sent", '.'));
        assert!(!p("INBOXES").matches("inboxes", '.'));
    }

    #[test]
    fn names_in_any_script_match() {
        // Each of these once panicked: a byte slice at 5 fell inside a character.
        for name in [
            "Entwürfe",
            "Корзина",
            "已发送",
            "Éléments envoyés",
            "INBOXé",
            "INBOé",
        ] {
            assert!(Pattern::exact(name).matches(name, '/'), "{name}");
            assert!(Pattern::new(name).matches(name, '.'), "{name}");
            assert!(!Pattern::exact(name).matches("INBOX", '/'), "{name}");
        }
        assert!(p("inbox.Корзина").matches("INBOX.Корзина", '.'));
        assert!(p("*").matches("已发送/子", '/'));
        assert!(!p("%").matches("已发送/子", '/'));
    }

    #[test]
    fn exclusion_wins() {
        let include = [p("INBOX.*")];
        let exclude = [p("INBOX.Trash"), p("INBOX.Junk*")];
        assert!(selected("INBOX.Projects", '.', &include, &exclude));
        assert!(!selected("INBOX.Trash", '.', &include, &exclude));
        assert!(!selected("INBOX.Junk.2019", '.', &include, &exclude));
        assert!(!selected("Shared.x", '.', &include, &exclude));
        assert!(
            selected("Shared.x", '.', &[], &exclude),
            "no inclusion means everything"
        );
    }
}

#[cfg(test)]
mod properties {
    use super::*;
    use proptest::prelude::*;

    /// Any Unicode, with a bias to the characters that matter here: INBOX, separators, wildcards.
    fn name() -> impl Strategy<Value = String> {
        prop_oneof![
            "\\PC{0,24}",
            "(INBOX|inbox|Inbox|İNBOX)?[./*%éЖ已]?\\PC{0,12}",
            "(Entwürfe|Корзина|已发送|Éléments envoyés|INBOX)([./][\\PC]{0,8}){0,3}",
        ]
    }

    fn separator() -> impl Strategy<Value = char> {
        prop_oneof![Just('.'), Just('/'), any::<char>()]
    }

    proptest! {
        #[test]
        fn any_name_and_separator_is_matched_without_panicking(
            pattern in name(), folder in name(), sep in separator()
        ) {
            let _ = Pattern::new(&pattern).matches(&folder, sep);
            let _ = Pattern::exact(&pattern).matches(&folder, sep);
            let _ = selected(&folder, sep, &[Pattern::new(&pattern)], &[Pattern::exact(&pattern)]);
        }

        #[test]
        fn a_ticked_folder_always_selects_itself(folder in name(), sep in separator()) {
            prop_assert!(Pattern::exact(&folder).matches(&folder, sep));
            prop_assert!(selected(&folder, sep, &[Pattern::exact(&folder)], &[]));
            prop_assert!(!selected(&folder, sep, &[], &[Pattern::exact(&folder)]));
        }

        #[test]
        fn a_name_without_wildcards_is_its_own_pattern(folder in "[^*%]{0,24}", sep in separator()) {
            prop_assert!(Pattern::new(&folder).matches(&folder, sep));
        }
    }
}
