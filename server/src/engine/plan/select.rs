//! Which source folders to copy: `--folder` / `--exclude` patterns (and the user's ticks in the portal).
//! `*` matches anything, `%` anything but the hierarchy separator (as in IMAP LIST); INBOX is
//! case-insensitive. An exclusion wins over an inclusion; no inclusion means every folder.

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
            if s.len() >= 5
                && s[..5].eq_ignore_ascii_case("INBOX")
                && s[5..].chars().next().is_none_or(|c| c == separator)
            {
                format!("INBOX{}", &s[5..]).chars().collect()
            } else {
                s.chars().collect()
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
