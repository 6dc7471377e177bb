//! Why a helpdesk or IT person acted for someone else, or a note they left: free text that goes into
//! the request's audit log, parsed once so the log holds only text a page can show.
use serde::{Deserialize, Serialize};

/// A reason (or note) as typed: trimmed, 3 to [`Reason::MAX_CHARS`] characters, no control
/// characters but line breaks and tabs.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(transparent)]
pub struct Reason(String);

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ReasonError {
    #[error(
        "Say why in a few words: everything done for someone else is recorded with its reason."
    )]
    Missing,
    #[error("That is too long: use at most {} characters.", Reason::MAX_CHARS)]
    TooLong,
    #[error("That text holds control characters that cannot be shown; type it again.")]
    Unprintable,
}

impl Reason {
    pub const MAX_CHARS: usize = 2000;
    const MIN_CHARS: usize = 3;

    pub fn parse(typed: &str) -> Result<Reason, ReasonError> {
        // One kind of line break in the log, whatever the browser sent.
        let text = typed.replace("\r\n", "\n");
        let text = text.trim();
        let chars = text.chars().count();
        if chars < Self::MIN_CHARS {
            return Err(ReasonError::Missing);
        }
        if chars > Self::MAX_CHARS {
            return Err(ReasonError::TooLong);
        }
        if text
            .chars()
            .any(|c| c.is_control() && c != '\n' && c != '\t')
        {
            return Err(ReasonError::Unprintable);
        }
        Ok(Reason(text.to_owned()))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl std::fmt::Display for Reason {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn a_reason_is_trimmed_and_needs_a_few_words() {
        assert_eq!(
            Reason::parse("  raised the quota \r\n").unwrap().as_str(),
            "raised the quota"
        );
        assert_eq!(Reason::parse(" ok "), Err(ReasonError::Missing));
        assert_eq!(Reason::parse(""), Err(ReasonError::Missing));
        assert_eq!(Reason::parse("a\u{0}b c"), Err(ReasonError::Unprintable));
        assert_eq!(
            Reason::parse(&"é".repeat(Reason::MAX_CHARS + 1)),
            Err(ReasonError::TooLong)
        );
        assert_eq!(
            Reason::parse("line one\r\nline two").unwrap().as_str(),
            "line one\nline two"
        );
        assert!(Reason::parse("Postfach voll — Kontingent erhöht, 再試行").is_ok());
    }

    proptest! {
        /// Whatever is typed: either a clear refusal, or text within the limits with no control
        /// characters but line breaks and tabs, that parses again to itself.
        #[test]
        fn any_text_parses_to_showable_text_or_is_refused(typed in any::<String>()) {
            if let Ok(reason) = Reason::parse(&typed) {
                let s = reason.as_str();
                prop_assert!(s.chars().count() >= 3 && s.chars().count() <= Reason::MAX_CHARS);
                prop_assert!(!s.chars().any(|c| c.is_control() && c != '\n' && c != '\t'));
                prop_assert_eq!(Reason::parse(s), Ok(reason.clone()));
            }
        }
    }
}
