//! How to log in on either side.
use async_imap::Authenticator;

/// Credentials for one mailbox. Secrets are never printed (`Debug` redacts them).
#[derive(Clone)]
pub enum Credentials {
    /// `LOGIN user password`.
    Login { user: String, password: String },
    /// SASL PLAIN with authzid=user, authcid=admin: Cyrus' admin proxy.
    Proxy {
        user: String,
        admin: String,
        password: String,
    },
    /// Dovecot's master user: `LOGIN "user*master" master-password`.
    Master {
        user: String,
        master: String,
        password: String,
    },
    /// SASL XOAUTH2 with a bearer token.
    XOAuth2 { user: String, token: String },
}

impl Credentials {
    /// The mailbox owner, for messages and logs.
    pub fn user(&self) -> &str {
        match self {
            Credentials::Login { user, .. }
            | Credentials::Proxy { user, .. }
            | Credentials::Master { user, .. }
            | Credentials::XOAuth2 { user, .. } => user,
        }
    }
}

impl std::fmt::Debug for Credentials {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let kind = match self {
            Credentials::Login { .. } => "login",
            Credentials::Proxy { .. } => "proxy",
            Credentials::Master { .. } => "master",
            Credentials::XOAuth2 { .. } => "xoauth2",
        };
        write!(f, "Credentials::{kind}({}, ***)", self.user())
    }
}

/// A SASL mechanism that answers the first (empty) challenge with a fixed response.
pub(super) struct OneShot(pub Vec<u8>);

impl Authenticator for OneShot {
    type Response = Vec<u8>;

    fn process(&mut self, _challenge: &[u8]) -> Vec<u8> {
        std::mem::take(&mut self.0)
    }
}

/// RFC 4616: `authzid NUL authcid NUL password`.
pub(super) fn plain(authzid: &str, authcid: &str, password: &str) -> Vec<u8> {
    format!("{authzid}\0{authcid}\0{password}").into_bytes()
}

/// Google/Microsoft XOAUTH2: `user=U ^A auth=Bearer T ^A ^A`.
pub(super) fn xoauth2(user: &str, token: &str) -> Vec<u8> {
    format!("user={user}\x01auth=Bearer {token}\x01\x01").into_bytes()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sasl_payloads() {
        assert_eq!(plain("alice", "cyradmin", "pw"), b"alice\0cyradmin\0pw");
        assert_eq!(
            xoauth2("a@b", "tok"),
            b"user=a@b\x01auth=Bearer tok\x01\x01"
        );
    }

    #[test]
    fn debug_never_shows_secrets() {
        let c = Credentials::Master {
            user: "alice".into(),
            master: "admin".into(),
            password: "hunter2".into(),
        };
        let shown = format!("{c:?}");
        assert!(
            shown.contains("alice") && !shown.contains("hunter2"),
            "{shown}"
        );
    }
}
