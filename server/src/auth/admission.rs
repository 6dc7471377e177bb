//! Who may have an account here, decided from the verified ID token before anything is stored. A
//! person's email names their old and new mailboxes (`{localpart}`, `{email}`), so it must be one
//! the provider verified, in one of the organisation's domains, and nobody else's already.

/// What IT allows (`[auth]`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Admission {
    /// Refuse an email the provider does not say it verified.
    pub require_verified_email: bool,
    /// The organisation's mail domains, lowercase; empty allows any.
    pub allowed_domains: Vec<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum Refusal {
    #[error("the sign-in service does not say it verified your email address")]
    Unverified,
    #[error("your email address is not in one of the organisation's domains")]
    OtherDomain,
    #[error("your email address is not a valid address")]
    NotAnAddress,
}

/// The domain of an address, lowercase: after the last `@`, with something before it.
pub fn domain_of(email: &str) -> Option<String> {
    let (local, domain) = email.trim().rsplit_once('@')?;
    let domain = domain.trim_end_matches('.');
    (!local.is_empty() && !domain.is_empty() && !domain.contains(char::is_whitespace))
        .then(|| domain.to_lowercase())
}

impl Admission {
    pub fn from_config(auth: &crate::config::AuthConfig) -> Admission {
        Admission {
            require_verified_email: auth.require_verified_email,
            allowed_domains: auth
                .allowed_domains
                .iter()
                .map(|d| d.trim().trim_start_matches('@').to_lowercase())
                .collect(),
        }
    }

    pub fn check(&self, email: &str, email_verified: Option<bool>) -> Result<(), Refusal> {
        if self.require_verified_email && email_verified != Some(true) {
            return Err(Refusal::Unverified);
        }
        let domain = domain_of(email).ok_or(Refusal::NotAnAddress)?;
        if !self.allowed_domains.is_empty() && !self.allowed_domains.contains(&domain) {
            return Err(Refusal::OtherDomain);
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn org() -> Admission {
        Admission {
            require_verified_email: true,
            allowed_domains: vec!["example.org".into()],
        }
    }

    #[test]
    fn only_verified_addresses_of_the_organisation() {
        assert_eq!(org().check("alice@example.org", Some(true)), Ok(()));
        assert_eq!(org().check("Alice@EXAMPLE.org", Some(true)), Ok(()));
        assert_eq!(
            org().check("alice@example.org", Some(false)),
            Err(Refusal::Unverified)
        );
        assert_eq!(
            org().check("alice@example.org", None),
            Err(Refusal::Unverified)
        );
        assert_eq!(
            org().check("alice@other.example", Some(true)),
            Err(Refusal::OtherDomain)
        );
        // The last @ decides: "example.org@evil.example" is an evil.example address.
        assert_eq!(
            org().check("\"x@example.org\"@evil.example", Some(true)),
            Err(Refusal::OtherDomain)
        );
        assert_eq!(
            org().check("alice@sub.example.org", Some(true)),
            Err(Refusal::OtherDomain)
        );
        assert_eq!(
            org().check("no-at-sign", Some(true)),
            Err(Refusal::NotAnAddress)
        );
        assert_eq!(
            org().check("@example.org", Some(true)),
            Err(Refusal::NotAnAddress)
        );
        let open = Admission {
            require_verified_email: false,
            allowed_domains: vec![],
        };
        assert_eq!(open.check("bob@anywhere.example", None), Ok(()));
    }

    proptest! {
        #[test]
        fn an_admitted_address_is_in_an_allowed_domain(local in "\\PC{0,20}", domain in "\\PC{0,20}") {
            let email = format!("{local}@{domain}");
            if org().check(&email, Some(true)).is_ok() {
                let domain = domain_of(&email);
                prop_assert_eq!(domain.as_deref(), Some("example.org"));
            }
            let _ = domain_of(&local);
        }
    }
}
