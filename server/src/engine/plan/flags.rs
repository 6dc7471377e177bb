//! Flag updates on a delta run: the destination gets what changed on the source since the message was
//! copied (three-way, against the flags journalled then), so a flag the user changed on the new server
//! is not overwritten by the old server's stale state. `\Deleted` and `\Recent` are never touched.

/// Flags to add and to remove on the destination.
#[derive(Debug, Clone, Default, PartialEq, Eq, PartialOrd, Ord)]
pub struct FlagChange {
    pub add: Vec<String>,
    pub remove: Vec<String>,
}

impl FlagChange {
    pub fn is_empty(&self) -> bool {
        self.add.is_empty() && self.remove.is_empty()
    }
}

/// Flags are case-insensitive atoms (RFC 3501 §2.3.2).
fn contains(flags: &[String], flag: &str) -> bool {
    flags.iter().any(|f| f.eq_ignore_ascii_case(flag))
}

/// Flags the engine may carry across.
pub fn carried(flag: &str) -> bool {
    !flag.eq_ignore_ascii_case("\\Deleted") && !flag.eq_ignore_ascii_case("\\Recent")
}

/// What changed from `copied` (the source's flags when the message was copied) to `now`.
pub fn flag_changes(copied: &[String], now: &[String]) -> FlagChange {
    let mut change = FlagChange::default();
    for flag in now.iter().filter(|f| carried(f)) {
        if !contains(copied, flag) && !contains(&change.add, flag) {
            change.add.push(flag.clone());
        }
    }
    for flag in copied.iter().filter(|f| carried(f)) {
        if !contains(now, flag) && !contains(&change.remove, flag) {
            change.remove.push(flag.clone());
        }
    }
    change
}

/// The journal's form of a flag list: atoms separated by spaces.
pub fn join(flags: &[String]) -> String {
    flags.join(" ")
}

pub fn split(stored: &str) -> Vec<String> {
    stored.split_whitespace().map(str::to_owned).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn v(flags: &[&str]) -> Vec<String> {
        flags.iter().map(|f| f.to_string()).collect()
    }

    #[test]
    fn changes_since_the_copy() {
        let change = flag_changes(&v(&["\\Seen", "$Work"]), &v(&["\\seen", "\\Flagged"]));
        assert_eq!(change.add, v(&["\\Flagged"]));
        assert_eq!(change.remove, v(&["$Work"]));
        assert!(flag_changes(&v(&["\\Seen"]), &v(&["\\SEEN"])).is_empty());
    }

    #[test]
    fn deleted_and_recent_are_never_carried() {
        let change = flag_changes(&v(&["\\Recent"]), &v(&["\\Deleted", "\\Seen"]));
        assert_eq!(change.add, v(&["\\Seen"]));
        assert!(change.remove.is_empty());
        let change = flag_changes(&v(&["\\Deleted"]), &v(&[]));
        assert!(change.is_empty());
    }

    #[test]
    fn journal_form_round_trips() {
        let flags = v(&["\\Seen", "$Label1", "NonJunk"]);
        assert_eq!(split(&join(&flags)), flags);
        assert!(split("").is_empty());
    }
}
