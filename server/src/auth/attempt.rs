//! A sign-in in flight, held by the browser that started it: state, nonce and PKCE verifier in a
//! sealed, short-lived HttpOnly cookie. A callback from another browser has no such cookie and is
//! refused, so nobody can be signed in to someone else's account by following a link (login CSRF);
//! and an anonymous visit to the sign-in page writes nothing to the database.
use actix_web::cookie::{time::Duration as CookieDuration, Cookie, SameSite};
use base64::Engine;
use serde::{Deserialize, Serialize};

use super::error::AuthError;
use crate::secret::SecretBox;

pub const COOKIE: &str = "fountain_signin";
/// A sign-in must come back within this many seconds.
pub const TTL_SECS: i64 = 600;
const CONTEXT: &str = "sign-in";

/// What the callback must check (state, nonce) and prove (PKCE verifier), and where to go after.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SignInAttempt {
    pub state: String,
    pub nonce: String,
    pub pkce_verifier: String,
    pub return_to: String,
    pub created_at: i64,
}

impl SignInAttempt {
    /// The cookie value: sealed (nobody can read or change it), base64url.
    pub fn seal(&self, key: &SecretBox) -> String {
        let json = serde_json::to_string(self).expect("plain data serialises");
        base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(key.seal(&json, CONTEXT))
    }

    /// The attempt this browser started, if it is the one `state` names and still fresh.
    pub fn open(
        cookie: Option<&str>,
        state: Option<&str>,
        key: &SecretBox,
        now: i64,
    ) -> Result<SignInAttempt, AuthError> {
        let sealed = cookie
            .and_then(|c| {
                base64::engine::general_purpose::URL_SAFE_NO_PAD
                    .decode(c)
                    .ok()
            })
            .ok_or(AuthError::OtherBrowser)?;
        let json = key
            .open(&sealed, CONTEXT)
            .map_err(|_| AuthError::OtherBrowser)?;
        let attempt: SignInAttempt =
            serde_json::from_str(json.expose()).map_err(|_| AuthError::OtherBrowser)?;
        // The state travels in the URL: comparing it is no secret to time.
        let matches = state == Some(attempt.state.as_str());
        if !matches || attempt.created_at < now - TTL_SECS || attempt.created_at > now + 60 {
            return Err(AuthError::UnknownState);
        }
        Ok(attempt)
    }
}

/// The cookie that holds an attempt: only for the callback's path, gone after ten minutes.
pub fn cookie(value: String, https: bool) -> Cookie<'static> {
    Cookie::build(COOKIE, value)
        .path("/auth/callback")
        .http_only(true)
        .secure(https)
        // Lax: the provider sends the browser back with a top-level GET, which carries it.
        .same_site(SameSite::Lax)
        .max_age(CookieDuration::seconds(TTL_SECS))
        .finish()
}

/// Removes the cookie once the callback has used it (one use only).
pub fn removal(https: bool) -> Cookie<'static> {
    let mut c = cookie(String::new(), https);
    c.make_removal();
    c
}

#[cfg(test)]
mod tests {
    use super::*;

    fn key() -> SecretBox {
        SecretBox::derived("sign-in-cookie", "client-secret")
    }

    fn attempt() -> SignInAttempt {
        SignInAttempt {
            state: "s1".into(),
            nonce: "n1".into(),
            pkce_verifier: "v1".into(),
            return_to: "/me".into(),
            created_at: 1000,
        }
    }

    #[test]
    fn only_the_browser_that_started_it_can_finish_it() {
        let sealed = attempt().seal(&key());
        assert_eq!(
            SignInAttempt::open(Some(&sealed), Some("s1"), &key(), 1000).unwrap(),
            attempt()
        );
        assert!(matches!(
            SignInAttempt::open(None, Some("s1"), &key(), 1000),
            Err(AuthError::OtherBrowser)
        ));
        assert!(matches!(
            SignInAttempt::open(Some(&sealed), Some("s2"), &key(), 1000),
            Err(AuthError::UnknownState)
        ));
        assert!(matches!(
            SignInAttempt::open(Some(&sealed), Some("s1"), &key(), 1000 + TTL_SECS + 1),
            Err(AuthError::UnknownState)
        ));
        let other_key = SecretBox::derived("sign-in-cookie", "another-secret");
        assert!(matches!(
            SignInAttempt::open(Some(&sealed), Some("s1"), &other_key, 1000),
            Err(AuthError::OtherBrowser)
        ));
        let mut tampered = sealed.into_bytes();
        let last = tampered.len() - 3;
        tampered[last] = if tampered[last] == b'A' { b'B' } else { b'A' };
        let tampered = String::from_utf8(tampered).unwrap();
        assert!(SignInAttempt::open(Some(&tampered), Some("s1"), &key(), 1000).is_err());
    }

    proptest::proptest! {
        #[test]
        fn any_cookie_text_is_refused_without_panicking(cookie in "\\PC{0,300}", state in "\\PC{0,40}") {
            proptest::prop_assert!(SignInAttempt::open(Some(&cookie), Some(&state), &key(), 1000).is_err());
        }
    }
}
