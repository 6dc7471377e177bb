//! The OpenID Connect client: authorization code flow with PKCE, state and nonce; the ID token's
//! signature, issuer, audience, expiry and nonce are checked by `openidconnect`.
use std::sync::Arc;
use std::time::{Duration, Instant};

use base64::Engine;
use openidconnect::core::{CoreAuthenticationFlow, CoreClient, CoreProviderMetadata};
use openidconnect::{
    AuthorizationCode, ClientId, ClientSecret, CsrfToken, EndpointMaybeSet, EndpointNotSet,
    EndpointSet, IssuerUrl, Nonce, PkceCodeChallenge, PkceCodeVerifier, RedirectUrl, Scope,
    TokenResponse,
};
use serde_json::Value;
use tokio::sync::RwLock;

use super::error::AuthError;

type Client = CoreClient<
    EndpointSet,
    EndpointNotSet,
    EndpointNotSet,
    EndpointNotSet,
    EndpointMaybeSet,
    EndpointMaybeSet,
>;

/// Provider metadata and keys are re-read this often (key rotation).
const DISCOVERY_TTL: Duration = Duration::from_secs(3600);

pub struct Oidc {
    http: reqwest::Client,
    /// The configured issuer as text, stored with each person (a subject is unique per issuer).
    pub issuer_id: String,
    issuer: IssuerUrl,
    client_id: ClientId,
    client_secret: ClientSecret,
    redirect: RedirectUrl,
    scopes: Vec<String>,
    discovered: RwLock<Option<(Instant, Arc<Client>)>>,
}

/// Where to send the browser, and what the callback must check.
pub struct Begin {
    pub authorize_url: url::Url,
    pub state: String,
    pub nonce: String,
    pub pkce_verifier: String,
}

/// A verified identity.
#[derive(Debug, Clone)]
pub struct Identity {
    pub subject: String,
    pub email: String,
    /// The provider's `email_verified` claim, when it sends one.
    pub email_verified: Option<bool>,
    pub display_name: String,
    /// All claims of the verified ID token (for the roles claim).
    pub claims: Value,
}

impl Oidc {
    pub fn new(
        issuer: &url::Url,
        client_id: &str,
        client_secret: String,
        redirect: url::Url,
        scopes: Vec<String>,
        ca_file: Option<&std::path::Path>,
    ) -> anyhow::Result<Self> {
        let http = crate::http::trusting(ca_file)?
            // Following redirects from the provider's endpoints is an SSRF risk (openidconnect docs).
            .redirect(reqwest::redirect::Policy::none())
            .timeout(Duration::from_secs(15))
            .build()?;
        let issuer_id = issuer.as_str().trim_end_matches('/').to_owned();
        Ok(Self {
            http,
            issuer: IssuerUrl::new(issuer_id.clone())?,
            issuer_id,
            client_id: ClientId::new(client_id.to_owned()),
            client_secret: ClientSecret::new(client_secret),
            redirect: RedirectUrl::from_url(redirect),
            scopes,
            discovered: RwLock::new(None),
        })
    }

    /// The provider's client, discovered on first use so the portal starts even while the IdP is down.
    async fn client(&self, refresh: bool) -> Result<Arc<Client>, AuthError> {
        if !refresh {
            if let Some((at, client)) = self.discovered.read().await.as_ref() {
                if at.elapsed() < DISCOVERY_TTL {
                    return Ok(client.clone());
                }
            }
        }
        let metadata = CoreProviderMetadata::discover_async(self.issuer.clone(), &self.http)
            .await
            .map_err(|e| AuthError::ProviderUnreachable(error_chain(&e)))?;
        let client = Arc::new(
            CoreClient::from_provider_metadata(
                metadata,
                self.client_id.clone(),
                Some(self.client_secret.clone()),
            )
            .set_redirect_uri(self.redirect.clone()),
        );
        *self.discovered.write().await = Some((Instant::now(), client.clone()));
        Ok(client)
    }

    pub async fn begin(&self) -> Result<Begin, AuthError> {
        let client = self.client(false).await?;
        let (challenge, verifier) = PkceCodeChallenge::new_random_sha256();
        let (authorize_url, state, nonce) = client
            .authorize_url(
                CoreAuthenticationFlow::AuthorizationCode,
                CsrfToken::new_random,
                Nonce::new_random,
            )
            .add_scopes(
                self.scopes
                    .iter()
                    .filter(|s| *s != "openid")
                    .map(|s| Scope::new(s.clone())),
            )
            .set_pkce_challenge(challenge)
            .url();
        Ok(Begin {
            authorize_url,
            state: state.secret().clone(),
            nonce: nonce.secret().clone(),
            pkce_verifier: verifier.secret().clone(),
        })
    }

    /// Exchanges the code and verifies the ID token. A signature failure re-reads the provider's keys once.
    pub async fn finish(
        &self,
        code: String,
        pkce_verifier: String,
        nonce: String,
    ) -> Result<Identity, AuthError> {
        let client = self.client(false).await?;
        let token = client
            .exchange_code(AuthorizationCode::new(code))
            .map_err(|e| AuthError::ProviderUnreachable(e.to_string()))?
            .set_pkce_verifier(PkceCodeVerifier::new(pkce_verifier))
            .request_async(&self.http)
            .await
            .map_err(|e| {
                AuthError::Unverified(format!("token exchange failed: {}", error_chain(&e)))
            })?;
        let id_token = token
            .id_token()
            .ok_or_else(|| AuthError::Unverified("no ID token in the answer".into()))?;
        let nonce = Nonce::new(nonce);
        let first = id_token
            .claims(&client.id_token_verifier(), &nonce)
            .cloned();
        let claims = match first {
            Ok(c) => c,
            Err(openidconnect::ClaimsVerificationError::SignatureVerification(_)) => {
                let fresh = self.client(true).await?;
                let verifier = fresh.id_token_verifier();
                let claims = id_token.claims(&verifier, &nonce).cloned();
                claims.map_err(|e| AuthError::Unverified(e.to_string()))?
            }
            Err(e) => return Err(AuthError::Unverified(e.to_string())),
        };
        let email = claims
            .email()
            .map(|e| e.as_str().to_owned())
            .ok_or(AuthError::MissingEmail)?;
        let display_name = claims
            .name()
            .and_then(|n| n.get(None))
            .map(|n| n.as_str().to_owned())
            .or_else(|| claims.preferred_username().map(|u| u.as_str().to_owned()))
            .unwrap_or_else(|| email.clone());
        // The signature is verified above; the raw payload is read only for claims the core type drops.
        let all = raw_payload(&id_token.to_string()).unwrap_or(Value::Null);
        Ok(Identity {
            subject: claims.subject().as_str().to_owned(),
            email_verified: claims.email_verified(),
            email,
            display_name,
            claims: all,
        })
    }
}

fn raw_payload(jwt: &str) -> Option<Value> {
    let payload = jwt.split('.').nth(1)?;
    let bytes = base64::engine::general_purpose::URL_SAFE_NO_PAD
        .decode(payload.trim_end_matches('='))
        .ok()?;
    serde_json::from_slice(&bytes).ok()
}

/// An error with its causes, each after a colon (reqwest hides the useful part in the chain).
pub(crate) fn error_chain(e: &dyn std::error::Error) -> String {
    let mut out = e.to_string();
    let mut source = e.source();
    while let Some(s) = source {
        out.push_str(": ");
        out.push_str(&s.to_string());
        source = s.source();
    }
    out
}

#[cfg(test)]
mod tests {
    use super::raw_payload;

    #[test]
    fn reads_the_payload_of_a_compact_jwt() {
        // {"sub":"alice","groups":["it"]}
        let jwt = "e30.eyJzdWIiOiJhbGljZSIsImdyb3VwcyI6WyJpdCJdfQ.sig";
        assert_eq!(raw_payload(jwt).unwrap()["groups"][0], "it");
        assert!(raw_payload("garbage").is_none());
    }
}
