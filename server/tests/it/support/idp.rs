//! Runs the repo's real OpenID provider (`server/rig/idp.mjs`, oidc-provider) for one test.
use std::process::Stdio;

use tokio::io::{AsyncBufReadExt, BufReader};
use tokio::process::{Child, Command};

pub struct Idp {
    pub issuer: String,
    child: Child,
}

/// The application a directory gives app-only tokens to ([`Idp::start_directory`]).
pub const APP: (&str, &str) = ("fountain-app", "fountain-app-secret");

impl Idp {
    pub async fn start(redirect_uri: &str) -> Idp {
        Idp::start_with(redirect_uri, &[]).await
    }

    /// An organisation's directory that also gives the application [`APP`] app-only tokens (client
    /// credentials, scope `imap`) and lets it introspect them.
    pub async fn start_directory() -> Idp {
        Idp::start_with(
            "http://127.0.0.1:1/unused",
            &["--app-client-id", APP.0, "--app-client-secret", APP.1],
        )
        .await
    }

    /// Serving https with this certificate and key (a provider behind an internal CA).
    pub async fn start_tls(cert: &std::path::Path, key: &std::path::Path) -> Idp {
        let (cert, key) = (cert.to_str().unwrap(), key.to_str().unwrap());
        Idp::start_with(
            "http://127.0.0.1:1/unused",
            &["--tls-cert", cert, "--tls-key", key],
        )
        .await
    }

    async fn start_with(redirect_uri: &str, extra: &[&str]) -> Idp {
        let rig = super::repo_root().join("server/rig");
        let mut child = Command::new("node")
            .arg(rig.join("idp.mjs"))
            .args(["--users", rig.join("users.json").to_str().unwrap()])
            .args([
                "--client-id",
                "fountain",
                "--client-secret",
                super::CLIENT_SECRET,
            ])
            .args(["--redirect-uri", redirect_uri])
            .args(extra)
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .kill_on_drop(true)
            .spawn()
            .expect("node must be installed (run .ci/setup)");
        let stdout = child.stdout.take().unwrap();
        let mut lines = BufReader::new(stdout).lines();
        let line = tokio::time::timeout(std::time::Duration::from_secs(30), lines.next_line())
            .await
            .expect("the IdP did not start within 30 s")
            .unwrap()
            .expect("the IdP exited before it was ready");
        let ready: serde_json::Value = serde_json::from_str(&line).unwrap();
        Idp {
            issuer: ready["issuer"].as_str().unwrap().to_owned(),
            child,
        }
    }
}

impl Idp {
    /// An access token for `user`, the way a mail client gets one: the authorization-code flow with
    /// PKCE, signing in on the IdP's own form, then the token endpoint with the client's secret.
    pub async fn access_token(&self, redirect_uri: &str, user: &str, password: &str) -> String {
        use base64::Engine;
        use sha2::Digest;
        let b64 = base64::engine::general_purpose::URL_SAFE_NO_PAD;
        let verifier = b64.encode(rand::random::<[u8; 32]>());
        let challenge = b64.encode(sha2::Sha256::digest(verifier.as_bytes()));
        let client = reqwest::Client::builder()
            .cookie_store(true)
            .redirect(reqwest::redirect::Policy::none())
            .build()
            .unwrap();
        let mut auth = url::Url::parse(&format!("{}/auth", self.issuer)).unwrap();
        auth.query_pairs_mut()
            .append_pair("client_id", "fountain")
            .append_pair("response_type", "code")
            .append_pair("redirect_uri", redirect_uri)
            .append_pair("scope", "openid email profile")
            .append_pair("state", "st")
            .append_pair("nonce", "n")
            .append_pair("code_challenge", &challenge)
            .append_pair("code_challenge_method", "S256");
        let resp = client.get(auth).send().await.unwrap();
        let interaction = super::location(&resp).expect("redirect to the sign-in form");
        let resp = client
            .post(format!("{interaction}/login"))
            .form(&[("login", user), ("password", password)])
            .send()
            .await
            .unwrap();
        let mut next = super::location(&resp).expect("redirect after sign-in");
        while !next.starts_with(redirect_uri) {
            let resp = client.get(&next).send().await.unwrap();
            next = super::location(&resp).expect("a redirect towards the client");
        }
        let code = url::Url::parse(&next)
            .unwrap()
            .query_pairs()
            .find(|(k, _)| k == "code")
            .expect("a code")
            .1
            .into_owned();
        let tokens: serde_json::Value = client
            .post(format!("{}/token", self.issuer))
            .basic_auth("fountain", Some(super::CLIENT_SECRET))
            .form(&[
                ("grant_type", "authorization_code"),
                ("code", &code),
                ("redirect_uri", redirect_uri),
                ("code_verifier", &verifier),
            ])
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        tokens["access_token"]
            .as_str()
            .unwrap_or_else(|| panic!("no access token: {tokens}"))
            .to_owned()
    }
}

impl Drop for Idp {
    fn drop(&mut self) {
        let _ = self.child.start_kill();
    }
}
