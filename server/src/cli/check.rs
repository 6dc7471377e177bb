//! `fountain check`: what a new deployment needs, tried one by one without writing anything: the
//! database (and whether its schema is current), the templates, the identity provider's discovery
//! document, each IMAP server (TLS and greeting; with `--mailbox`, the administrator's login for that
//! person too), and the SMTP server. Each line says what failed and why; the exit code is 1 if any did.
use std::time::Duration;

use app::dto::ServerRole;

use crate::accounts::app_token::AppTokens;
use crate::auth::oidc::error_chain;
use crate::config::{Config, MailAuth, MailServer};
use crate::engine::imap::{reach, Source};

#[derive(Debug, clap::Args)]
pub struct CheckArgs {
    /// Also log in on each server as the administrator for this person's mailbox (their sign-in
    /// email), as a copy would.
    #[arg(long)]
    pub mailbox: Option<String>,
}

/// One thing checked: what, and how it went (`Ok` says what was found).
struct Finding {
    what: String,
    outcome: Result<String, String>,
}

/// Runs every check, prints one line each; 0 when all passed, 1 otherwise.
pub async fn run(config: Config, args: CheckArgs) -> anyhow::Result<i32> {
    let mut findings = vec![database(&config).await, identity_provider(&config).await];
    if let Some(migration) = &config.migration {
        findings.push(templates(migration));
        for (role, server) in migration.servers() {
            findings.push(imap_server(&role, server, args.mailbox.as_deref()).await);
        }
    }
    findings.push(smtp(&config).await);
    let mut failed = 0;
    for f in &findings {
        match &f.outcome {
            Ok(found) => println!("ok    {}: {found}", f.what),
            Err(why) => {
                failed += 1;
                println!("FAIL  {}: {why}", f.what);
            }
        }
    }
    match failed {
        0 => println!("everything checked is OK (nothing was written)"),
        n => println!("{n} check(s) failed (nothing was written)"),
    }
    Ok(i32::from(failed > 0))
}

async fn database(config: &Config) -> Finding {
    let url = crate::db::redact(&config.database.url);
    let outcome = async {
        let read_only = read_only(&config.database.url);
        if let Some(path) = missing_sqlite_file(&config.database.url) {
            return Ok(format!(
                "{path} does not exist yet: `fountain migrate` or the first start creates it"
            ));
        }
        let db = crate::db::open_pool(&read_only)
            .await
            .map_err(|e| e.to_string())?;
        crate::db::ping(&db).await.map_err(|e| e.to_string())?;
        let pending = crate::db::pending(&db).await.map_err(|e| e.to_string())?;
        let _ = db.close().await;
        match (pending, config.database.migrate_on_start) {
            (0, _) => Ok("reachable, schema up to date".to_owned()),
            (n, true) => Ok(format!(
                "reachable, {n} migration(s) to apply (the next start or `fountain migrate` applies them)"
            )),
            (n, false) => Err(format!(
                "reachable, but {n} migration(s) behind and migrate_on_start is false: run `fountain migrate`"
            )),
        }
    }
    .await;
    Finding {
        what: format!("database {url}"),
        outcome,
    }
}

/// A SQLite URL opened read-only (`mode=ro`), so checking never creates or changes the file; other
/// URLs as they are.
fn read_only(url: &str) -> String {
    if !url.starts_with("sqlite:") {
        return url.to_owned();
    }
    let (base, query) = url.split_once('?').unwrap_or((url, ""));
    let mut params: Vec<&str> = query
        .split('&')
        .filter(|p| !p.is_empty() && !p.starts_with("mode="))
        .collect();
    params.push("mode=ro");
    format!("{base}?{}", params.join("&"))
}

/// The file of a SQLite URL that does not exist (yet).
fn missing_sqlite_file(url: &str) -> Option<String> {
    let path = crate::db::sqlite_file(url)?;
    (!path.exists()).then(|| path.display().to_string())
}

fn templates(migration: &crate::config::MigrationConfig) -> Finding {
    use crate::notify::templates::{Origin, Templates};
    let outcome = Templates::load(migration.templates_dir.as_deref())
        .map(|t| {
            let edited = t
                .sources()
                .filter(|(_, origin, _)| **origin != Origin::BuiltIn)
                .count();
            format!("{edited} from migration.templates_dir, the rest built in")
        })
        .map_err(|e| format!("migration.templates_dir: {e}"));
    Finding {
        what: "templates".into(),
        outcome,
    }
}

/// The provider's discovery document, read as sign-in reads it (with `auth.ca_file`).
async fn identity_provider(config: &Config) -> Finding {
    let issuer = config.auth.issuer.as_str().trim_end_matches('/').to_owned();
    let outcome = async {
        let http = crate::http::trusting(config.auth.ca_file.as_deref())
            .map_err(|e| format!("auth.ca_file: {e}"))?
            .timeout(Duration::from_secs(15))
            .build()
            .map_err(|e| e.to_string())?;
        let url = format!("{issuer}/.well-known/openid-configuration");
        let answer = http
            .get(&url)
            .send()
            .await
            .map_err(|e| format!("{url}: {}", error_chain(&e)))?;
        let status = answer.status();
        if !status.is_success() {
            return Err(format!("{url} answered {status}: is auth.issuer right?"));
        }
        let body = answer
            .bytes()
            .await
            .map_err(|e| format!("{url}: {}", error_chain(&e)))?;
        let document: serde_json::Value = serde_json::from_slice(&body)
            .map_err(|e| format!("{url} is not a discovery document: {e}"))?;
        let said = document["issuer"].as_str().unwrap_or_default();
        if said.trim_end_matches('/') != issuer {
            return Err(format!(
                "the provider calls itself {said:?}, not {issuer:?}: set auth.issuer to exactly its issuer"
            ));
        }
        if document["authorization_endpoint"].as_str().is_none() {
            return Err(format!("{url} names no authorization_endpoint"));
        }
        Ok("discovery document read".to_owned())
    }
    .await;
    Finding {
        what: format!("identity provider {issuer}"),
        outcome,
    }
}

/// A server reached over TLS; with a mailbox, logged in on as a copy would.
async fn imap_server(role: &ServerRole, server: &MailServer, mailbox: Option<&str>) -> Finding {
    let what = format!("{} IMAP server {}", role.as_str(), server.url);
    let endpoint = server.endpoint();
    let outcome =
        async {
            reach(&endpoint).await.map_err(|e| e.to_string())?;
            let Some(email) = mailbox else {
                return Ok(match server.auth {
                MailAuth::Password => "answers (people log in with their own passwords)".to_owned(),
                _ => "answers (give --mailbox someone@example.org to try the administrator's login)"
                    .to_owned(),
            });
            };
            let token = match (&server.auth, &server.oauth2) {
                (MailAuth::Password, _) => {
                    return Ok("answers (people log in with their own passwords)".to_owned())
                }
                (MailAuth::Xoauth2, Some(app)) => Some(
                    AppTokens::default()
                        .get("check", app)
                        .await
                        .map_err(|e| format!("the application's token: {e}"))?,
                ),
                _ => None,
            };
            let login = server.login_for(email);
            let credentials = server
                .credentials(login.clone(), token)
                .map_err(|e| e.to_string())?;
            let transcript = crate::engine::imap::transcript::Transcript::default();
            Source::connect(&endpoint, &credentials, transcript)
                .await
                .map_err(|e| e.to_string())?;
            Ok(format!(
                "answers, and the administrator logged in for {login}"
            ))
        }
        .await;
    Finding { what, outcome }
}

/// The SMTP server greets and takes EHLO (and STARTTLS or TLS as `email.smtp_url` says).
async fn smtp(config: &Config) -> Finding {
    let Some(email) = &config.email else {
        return Finding {
            what: "SMTP".into(),
            outcome: Ok("not configured: status emails wait in the outbox until it is".into()),
        };
    };
    let outcome = async {
        let mailer = crate::notify::Mailer::new(email).map_err(|e| e.to_string())?;
        mailer.test_connection().await?;
        Ok("answers".to_owned())
    }
    .await;
    Finding {
        what: format!("SMTP {}", crate::db::redact(&email.smtp_url)),
        outcome,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sqlite_is_checked_read_only() {
        assert_eq!(read_only("sqlite://f.db?mode=rwc"), "sqlite://f.db?mode=ro");
        assert_eq!(read_only("sqlite://f.db"), "sqlite://f.db?mode=ro");
        assert_eq!(
            read_only("sqlite:///var/f.db?cache=shared&mode=rwc"),
            "sqlite:///var/f.db?cache=shared&mode=ro"
        );
        assert_eq!(read_only("postgres://u:p@h/d"), "postgres://u:p@h/d");
    }

    #[test]
    fn a_missing_sqlite_file_is_named() {
        assert_eq!(
            missing_sqlite_file("sqlite:///nonexistent/f.db?mode=rwc").as_deref(),
            Some("/nonexistent/f.db")
        );
        assert_eq!(missing_sqlite_file("sqlite::memory:"), None);
        assert_eq!(missing_sqlite_file("postgres://h/d"), None);
        let file = tempfile::NamedTempFile::new().unwrap();
        let url = format!("sqlite://{}?mode=rwc", file.path().display());
        assert_eq!(missing_sqlite_file(&url), None);
    }
}
