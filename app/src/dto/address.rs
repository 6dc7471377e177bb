//! An email address as IT types or imports it (a wave's people): parsed once, kept lowercase, so two
//! spellings of one person are one person. Not the full RFC 5322 grammar (quoted local parts and
//! comments do not come from a directory export); what a mail system would refuse, this refuses.
use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(transparent)]
pub struct EmailAddress(String);

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum AddressError {
    #[error("no email address")]
    Missing,
    #[error("{0:?} is not an email address (it needs one @ with a name before it and a domain after it)")]
    NotAnAddress(String),
    #[error("{0:?} holds spaces or control characters, which no email address has")]
    Unprintable(String),
    #[error("that address is over 254 characters, longer than mail allows")]
    TooLong,
}

impl EmailAddress {
    /// RFC 5321's limit on a path.
    pub const MAX_CHARS: usize = 254;

    pub fn parse(typed: &str) -> Result<EmailAddress, AddressError> {
        // Lowercase first: the checks hold for what is kept (a letter may lowercase to two).
        let shown = typed.trim();
        let lowered = shown.to_lowercase();
        let text = lowered.as_str();
        if text.is_empty() {
            return Err(AddressError::Missing);
        }
        if text.chars().count() > Self::MAX_CHARS {
            return Err(AddressError::TooLong);
        }
        if text.chars().any(|c| c.is_whitespace() || c.is_control()) {
            return Err(AddressError::Unprintable(shown.to_owned()));
        }
        let not_one = || AddressError::NotAnAddress(shown.to_owned());
        let (local, domain) = text.split_once('@').ok_or_else(not_one)?;
        let labels_fine = domain
            .split('.')
            .all(|l| !l.is_empty() && !l.starts_with('-') && !l.ends_with('-'));
        if local.is_empty()
            || local.starts_with('.')
            || local.ends_with('.')
            || local.contains("..")
            || domain.contains('@')
            || !domain.contains('.')
            || !labels_fine
            || text.contains(['<', '>', ',', ';', '"', '(', ')', '[', ']', '\\'])
        {
            return Err(not_one());
        }
        Ok(EmailAddress(lowered))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl std::fmt::Display for EmailAddress {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn directory_exports_read_as_people() {
        let a = EmailAddress::parse("  Ann.Example@Example.ORG ").unwrap();
        assert_eq!(a.as_str(), "ann.example@example.org");
        assert_eq!(
            EmailAddress::parse("josé.garcía@universidad.es")
                .unwrap()
                .as_str(),
            "josé.garcía@universidad.es"
        );
        for bad in [
            "",
            "ann",
            "@example.org",
            "ann@",
            "ann@localhost",
            "ann@@example.org",
            "ann@exa mple.org",
            "Ann <ann@example.org>",
            "ann@example..org",
            "ann.@example.org",
            "ann@-example.org",
            "a,b@example.org",
        ] {
            assert!(EmailAddress::parse(bad).is_err(), "{bad:?}");
        }
    }

    proptest! {
        #[test]
        fn any_text_parses_or_is_refused_and_what_parses_is_stable(typed in any::<String>()) {
            if let Ok(address) = EmailAddress::parse(&typed) {
                prop_assert_eq!(EmailAddress::parse(address.as_str()), Ok(address.clone()));
                prop_assert!(address.as_str().chars().count() <= EmailAddress::MAX_CHARS);
                prop_assert_eq!(address.as_str().matches('@').count(), 1);
                prop_assert!(!address.as_str().chars().any(char::is_whitespace));
            }
        }

        #[test]
        fn case_and_spaces_around_never_make_two_people(
            local in "[a-zA-Z0-9._%+-]{1,20}",
            domain in "[a-zA-Z0-9]{1,10}\\.[a-zA-Z]{2,6}",
        ) {
            prop_assume!(!local.starts_with('.') && !local.ends_with('.') && !local.contains(".."));
            let plain = EmailAddress::parse(&format!("{local}@{domain}")).unwrap();
            let loud = EmailAddress::parse(&format!("  {}@{} ", local.to_uppercase(), domain.to_uppercase())).unwrap();
            prop_assert_eq!(plain, loud);
        }
    }
}
