//! App-only bearer tokens for servers that take XOAUTH2 (an Exchange-like destination): Fountain's
//! application logs in at the directory's token endpoint with the client-credentials grant, and the
//! token opens every mailbox the directory lets it write to. Each token is kept until shortly before
//! it expires, one per configured server; it never reaches a log.
use std::collections::HashMap;
use std::time::{Duration, Instant};

use serde::Deserialize;
use tokio::sync::Mutex;

use crate::config::AppLogin;

/// A token is renewed this long before the directory says it expires (a copy's reconnects use it).
const RENEW_BEFORE: Duration = Duration::from_secs(300);
/// The shortest a token is kept, whatever the directory says.
const KEEP_AT_LEAST: Duration = Duration::from_secs(30);
/// The longest a token endpoint may take to answer.
const TIMEOUT: Duration = Duration::from_secs(20);

#[derive(Debug, thiserror::Error)]
pub enum TokenError {
    /// The directory said no: the application's id or secret, or its scope.
    #[error("the directory refused Fountain's application ({0})")]
    Refused(String),
    /// No usable answer.
    #[error("the directory's token endpoint could not be reached ({0})")]
    Unreachable(String),
    #[error("{0}")]
    Setup(String),
}

/// What a token endpoint answers (RFC 6749 §5.1), as far as Fountain reads it.
#[derive(Deserialize)]
struct Granted {
    access_token: String,
    expires_in: Option<u64>,
}

/// How long to keep a token the directory says lasts `expires_in` seconds (unknown: an hour, the
/// usual; Exchange's are 60 to 90 minutes).
pub fn keep_for(expires_in: Option<u64>) -> Duration {
    let lasts = Duration::from_secs(expires_in.unwrap_or(3600));
    lasts.saturating_sub(RENEW_BEFORE).max(KEEP_AT_LEAST)
}

/// A token endpoint's refusal, in a few words: its `error` and `error_description` (RFC 6749 §5.2),
/// else its status; never more than a line.
pub fn refusal(status: u16, body: &str) -> String {
    #[derive(Deserialize)]
    struct Refusal {
        error: Option<String>,
        error_description: Option<String>,
    }
    let said = serde_json::from_str::<Refusal>(body).ok().and_then(|r| {
        match (r.error, r.error_description) {
            (Some(e), Some(d)) => Some(format!("{e}: {d}")),
            (Some(e), None) => Some(e),
            (None, d) => d,
        }
    });
    let text = said.unwrap_or_else(|| format!("HTTP {status}"));
    text.chars().filter(|c| !c.is_control()).take(200).collect()
}

/// The key of the default new server's token (no destination is named so).
pub const DEFAULT_SERVER: &str = "new";

/// The tokens in hand, by server.
pub struct AppTokens {
    http: reqwest::Client,
    held: Mutex<HashMap<String, (String, Instant)>>,
}

impl Default for AppTokens {
    fn default() -> Self {
        AppTokens {
            http: reqwest::Client::new(),
            held: Mutex::new(HashMap::new()),
        }
    }
}

impl AppTokens {
    /// A token for the configured server `key` (a destination's name, or [`DEFAULT_SERVER`]), from
    /// `app`'s directory unless one in hand is still good.
    pub async fn get(&self, key: &str, app: &AppLogin) -> Result<String, TokenError> {
        let mut held = self.held.lock().await;
        if let Some((token, until)) = held.get(key) {
            if Instant::now() < *until {
                return Ok(token.clone());
            }
        }
        let (token, keep) = self.fetch(app).await?;
        held.insert(key.to_owned(), (token.clone(), Instant::now() + keep));
        Ok(token)
    }

    async fn fetch(&self, app: &AppLogin) -> Result<(String, Duration), TokenError> {
        let secret = app.secret().map_err(|e| TokenError::Setup(e.to_string()))?;
        let mut form = vec![("grant_type", "client_credentials")];
        if let Some(scope) = &app.scope {
            form.push(("scope", scope.as_str()));
        }
        let answer = self
            .http
            .post(app.token_url.clone())
            .basic_auth(&app.client_id, Some(secret))
            .form(&form)
            .timeout(TIMEOUT)
            .send()
            .await
            .map_err(|e| TokenError::Unreachable(without_url(&e)))?;
        let status = answer.status();
        let body = answer
            .text()
            .await
            .map_err(|e| TokenError::Unreachable(without_url(&e)))?;
        // Too many requests and a timed-out request are the directory's bad minute, not a no.
        let temporary = matches!(status.as_u16(), 408 | 429);
        if status.is_client_error() && !temporary {
            return Err(TokenError::Refused(refusal(status.as_u16(), &body)));
        }
        if !status.is_success() {
            return Err(TokenError::Unreachable(refusal(status.as_u16(), &body)));
        }
        let granted: Granted = serde_json::from_str(&body)
            .map_err(|_| TokenError::Unreachable("its answer holds no access_token".to_owned()))?;
        tracing::info!(endpoint = %app.token_url, "an application token for a destination");
        Ok((granted.access_token, keep_for(granted.expires_in)))
    }
}

/// A request error in a few words (reqwest's own text is long and names the whole URL).
fn without_url(e: &reqwest::Error) -> String {
    if e.is_timeout() {
        "no answer in time".to_owned()
    } else if e.is_connect() {
        "no connection".to_owned()
    } else {
        "the request failed".to_owned()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn tokens_are_renewed_well_before_they_expire() {
        assert_eq!(keep_for(Some(3600)), Duration::from_secs(3300));
        assert_eq!(keep_for(None), Duration::from_secs(3300));
        assert_eq!(keep_for(Some(120)), KEEP_AT_LEAST);
        assert_eq!(keep_for(Some(0)), KEEP_AT_LEAST);
    }

    #[test]
    fn a_refusal_says_what_the_directory_said() {
        assert_eq!(
            refusal(
                401,
                r#"{"error":"invalid_client","error_description":"client authentication failed"}"#
            ),
            "invalid_client: client authentication failed"
        );
        assert_eq!(
            refusal(400, r#"{"error":"invalid_scope"}"#),
            "invalid_scope"
        );
        assert_eq!(refusal(403, "<html>Forbidden</html>"), "HTTP 403");
    }

    proptest! {
        #[test]
        fn whatever_the_endpoint_answers_the_refusal_is_one_short_line(
            status in 400u16..600,
            body in any::<String>(),
        ) {
            let text = refusal(status, &body);
            prop_assert!(text.chars().count() <= 200);
            prop_assert!(!text.chars().any(char::is_control));
        }
    }
}
