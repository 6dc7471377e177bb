//! What the connect form sends, parsed: the checks a hostile post must pass before any connection.
use super::AccountError;

/// A connect form that passed the checks.
pub struct ConnectForm {
    pub login: String,
    pub password: Option<String>,
}

impl ConnectForm {
    pub fn parse(
        login: &str,
        password: Option<&str>,
        asks_password: bool,
    ) -> Result<Self, AccountError> {
        let login = login.trim();
        if login.is_empty() {
            return Err(AccountError::Invalid(
                "Type the login of your old mailbox.".into(),
            ));
        }
        if login.chars().count() > 200 || login.chars().any(char::is_control) {
            return Err(AccountError::Invalid(
                "That login is not valid: use at most 200 characters and no line breaks.".into(),
            ));
        }
        let password = match (asks_password, password) {
            (false, _) => None,
            (true, None) | (true, Some("")) => {
                return Err(AccountError::Invalid(
                    "Type the password of your old mailbox.".into(),
                ))
            }
            (true, Some(p)) if p.len() > 1024 || p.contains(['\r', '\n', '\0']) => {
                return Err(AccountError::Invalid(
                    "That password cannot be sent to a mail server (too long, or holds a line break)."
                        .into(),
                ))
            }
            (true, Some(p)) => Some(p.to_owned()),
        };
        Ok(ConnectForm {
            login: login.to_owned(),
            password,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hostile_or_empty_forms_are_refused_before_any_connection() {
        assert!(ConnectForm::parse("", Some("pw"), true).is_err());
        assert!(ConnectForm::parse("alice\r\nA1 LOGOUT", Some("pw"), true).is_err());
        assert!(ConnectForm::parse(&"a".repeat(201), Some("pw"), true).is_err());
        assert!(ConnectForm::parse("alice", None, true).is_err());
        assert!(ConnectForm::parse("alice", Some(""), true).is_err());
        assert!(ConnectForm::parse("alice", Some("pw\r\nx"), true).is_err());
        assert!(ConnectForm::parse("alice", Some(&"p".repeat(1025)), true).is_err());
    }

    proptest::proptest! {
        #[test]
        fn whatever_is_posted_only_sendable_logins_and_passwords_pass(
            login in "\\PC{0,220}|[a-z\r\n\0 ]{0,20}",
            password in proptest::option::of("\\PC{0,40}|[a-z\r\n\0]{0,20}"),
            asks in proptest::bool::ANY,
        ) {
            if let Ok(form) = ConnectForm::parse(&login, password.as_deref(), asks) {
                proptest::prop_assert!(!form.login.is_empty() && form.login.chars().count() <= 200);
                proptest::prop_assert!(!form.login.chars().any(char::is_control));
                if let Some(p) = &form.password {
                    proptest::prop_assert!(asks && !p.is_empty() && !p.contains(['\r', '\n', '\0']));
                }
            }
        }

    }

    #[test]
    fn good_forms_are_trimmed_and_admin_mode_ignores_the_password() {
        let form = ConnectForm::parse("  alice ", Some("s3cret pass"), true).unwrap();
        assert_eq!(form.login, "alice");
        assert_eq!(form.password.as_deref(), Some("s3cret pass"));
        let admin = ConnectForm::parse("alice", Some("ignored"), false).unwrap();
        assert_eq!(admin.password, None);
    }
}
