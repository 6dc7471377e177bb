//! Where a person's mail goes: most people to the default new server, some to another one IT
//! configured by name (an Exchange-like server for one division, say).
use serde::{Deserialize, Serialize};

/// A destination server's name as configured (`[migration.destinations.NAME]`) and as typed in a
/// wave file or a form: 1 to 32 lowercase ASCII letters, digits, `-` or `_`, starting with a
/// letter; never `old`, `new` or `default`, which name the other servers.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct DestinationName(String);

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error(
    "{0:?} is not a destination's name: use 1 to 32 lowercase letters, digits, - or _, starting \
     with a letter (old, new and default are taken)."
)]
pub struct DestinationNameError(pub String);

impl DestinationName {
    pub const MAX_CHARS: usize = 32;
    /// Names that mean the other servers.
    const TAKEN: [&'static str; 3] = ["old", "new", "default"];

    pub fn parse(typed: &str) -> Result<DestinationName, DestinationNameError> {
        let text = typed.trim();
        let fits = text.len() <= Self::MAX_CHARS
            && text.starts_with(|c: char| c.is_ascii_lowercase())
            && text
                .chars()
                .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-' || c == '_')
            && !Self::TAKEN.contains(&text);
        if fits {
            Ok(DestinationName(text.to_owned()))
        } else {
            // Shown back to IT: cut, so a pasted paragraph does not fill the page.
            Err(DestinationNameError(text.chars().take(40).collect()))
        }
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl TryFrom<String> for DestinationName {
    type Error = DestinationNameError;
    fn try_from(s: String) -> Result<Self, Self::Error> {
        DestinationName::parse(&s)
    }
}

impl From<DestinationName> for String {
    fn from(n: DestinationName) -> String {
        n.0
    }
}

impl std::fmt::Display for DestinationName {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

/// A person IT sent to a destination other than the default.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PersonDestination {
    pub email: String,
    pub destination: DestinationName,
    /// Who set it: an IT person, or `wave import <name>`.
    pub set_by: String,
    /// Unix seconds.
    pub set_at: i64,
    /// Their migration has started: the destination can no longer change.
    pub started: bool,
}

/// IT's view of destinations: the servers configured besides the default, and who goes where.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct DestinationBoard {
    pub configured: Vec<DestinationName>,
    pub people: Vec<PersonDestination>,
}

/// What setting destinations did.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct DestinationOutcome {
    /// People whose destination is now the one asked for.
    pub set: u64,
    /// (address, why) of people left as they were.
    pub refused: Vec<(String, String)>,
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn names_are_short_lowercase_words() {
        for good in ["exchange", "zimbra-2", "ex_online", "a"] {
            assert_eq!(DestinationName::parse(good).unwrap().as_str(), good);
        }
        assert_eq!(
            DestinationName::parse("  exchange ").unwrap().as_str(),
            "exchange"
        );
        for bad in [
            "",
            "Exchange",
            "2nd",
            "-x",
            "ex change",
            "old",
            "new",
            "default",
            "échange",
            "a23456789012345678901234567890123",
        ] {
            assert!(DestinationName::parse(bad).is_err(), "{bad:?}");
        }
    }

    #[test]
    fn forms_and_json_carry_the_name_and_refuse_a_bad_one() {
        let name: DestinationName = serde_json::from_str("\"exchange\"").unwrap();
        assert_eq!(serde_json::to_string(&name).unwrap(), "\"exchange\"");
        assert!(serde_json::from_str::<DestinationName>("\"New\"").is_err());
    }

    proptest! {
        #[test]
        fn anything_typed_parses_to_a_safe_name_or_is_refused(typed in any::<String>()) {
            match DestinationName::parse(&typed) {
                Ok(name) => {
                    let s = name.as_str();
                    prop_assert!(!s.is_empty() && s.len() <= DestinationName::MAX_CHARS);
                    prop_assert!(s.bytes().all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-' || b == b'_'));
                    prop_assert_eq!(DestinationName::parse(s), Ok(name.clone()));
                }
                Err(e) => prop_assert!(e.0.chars().count() <= 40),
            }
        }
    }
}
