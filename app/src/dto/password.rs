//! A password typed into a form. It travels as a plain string (the form field), but no `{:?}` can
//! print it: the server function's input derives Debug, and logs and panics use it.
use serde::{Deserialize, Serialize};

#[derive(Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(transparent)]
pub struct Password(String);

impl Password {
    pub fn new(typed: String) -> Password {
        Password(typed)
    }

    /// The password itself, for the one place that must use it (the login on the old server).
    pub fn expose(self) -> String {
        self.0
    }
}

impl std::fmt::Debug for Password {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Password(***)")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn debug_never_shows_it_and_the_form_field_is_a_plain_string() {
        let p = Password::new("hunter2".into());
        assert_eq!(format!("{p:?}"), "Password(***)");
        assert_eq!(serde_json::to_string(&p).unwrap(), "\"hunter2\"");
        let back: Password = serde_json::from_str("\"hunter2\"").unwrap();
        assert_eq!(back.expose(), "hunter2");
    }
}
