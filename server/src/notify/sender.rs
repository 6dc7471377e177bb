//! Sending the outbox over SMTP (lettre, STARTTLS or TLS through rustls): every due row once, leased
//! first so two senders never send one email twice; a failure is recorded on its row and retried,
//! unless it was for good (see [`after_failure`]).
use std::time::Duration;

use lettre::message::{header::ContentType, Mailbox, MultiPart, SinglePart};
use lettre::{AsyncSmtpTransport, AsyncTransport, Message, Tokio1Executor};
use sea_orm::sea_query::Expr;
use sea_orm::{
    ColumnTrait, DatabaseConnection, DbErr, EntityTrait, QueryFilter, QueryOrder, QuerySelect,
};

use super::outbox::{after_failure, AfterFailure};
use crate::config::EmailConfig;
use crate::db::entity::outbox as row;
use crate::db::now;

/// How long a sender holds a row it is sending before another sender may try it.
const LEASE: Duration = Duration::from_secs(300);

#[derive(Debug, thiserror::Error)]
pub enum MailerError {
    #[error("email.smtp_url is not usable: {0}")]
    Url(String),
    #[error("email.from is not an address like `Mail move <mail-move@example.org>`: {0}")]
    From(String),
    #[error("email.ca_file: {0}")]
    Ca(String),
}

/// The TLS `smtp_url` asks for (as lettre reads it: `smtps://` from the start, `?tls=required` or
/// `?tls=opportunistic` by STARTTLS), trusting the CA of `ca_file` besides the public ones.
fn tls_trusting(
    smtp_url: &str,
    ca_file: &std::path::Path,
) -> Result<lettre::transport::smtp::client::Tls, MailerError> {
    use lettre::transport::smtp::client::{Certificate, Tls, TlsParameters};
    let url = url::Url::parse(smtp_url).map_err(|e| MailerError::Url(e.to_string()))?;
    let host = url
        .host_str()
        .ok_or_else(|| MailerError::Url("no host".into()))?;
    let pem = std::fs::read(ca_file)
        .map_err(|e| MailerError::Ca(format!("cannot read {}: {e}", ca_file.display())))?;
    let certificate = Certificate::from_pem(&pem).map_err(|e| {
        MailerError::Ca(format!(
            "{} holds no PEM certificate: {e}",
            ca_file.display()
        ))
    })?;
    let parameters = TlsParameters::builder(host.to_owned())
        .add_root_certificate(certificate)
        .build_rustls()
        .map_err(|e| MailerError::Ca(e.to_string()))?;
    let tls = url.query_pairs().find(|(k, _)| k == "tls").map(|(_, v)| v);
    Ok(match (url.scheme(), tls.as_deref()) {
        ("smtps", _) => Tls::Wrapper(parameters),
        (_, Some("opportunistic")) => Tls::Opportunistic(parameters),
        // A CA file says the server speaks TLS: never plain text past it.
        _ => Tls::Required(parameters),
    })
}

/// Sends outbox rows over SMTP.
pub struct Mailer {
    transport: AsyncSmtpTransport<Tokio1Executor>,
    from: Mailbox,
}

impl Mailer {
    pub fn new(config: &EmailConfig) -> Result<Mailer, MailerError> {
        let mut builder = AsyncSmtpTransport::<Tokio1Executor>::from_url(&config.smtp_url)
            .map_err(|e| MailerError::Url(e.to_string()))?
            .timeout(Some(Duration::from_secs(30)));
        if let Some(ca_file) = &config.ca_file {
            builder = builder.tls(tls_trusting(&config.smtp_url, ca_file)?);
        }
        let transport = builder.build();
        let from = config
            .from
            .parse()
            .map_err(|e: lettre::address::AddressError| MailerError::From(e.to_string()))?;
        Ok(Mailer { transport, from })
    }

    /// From `[email]`; `None` when it is not configured (emails wait in the outbox).
    pub fn from_config(config: &crate::config::Config) -> Result<Option<Mailer>, MailerError> {
        config.email.as_ref().map(Mailer::new).transpose()
    }

    /// Whether the SMTP server answers (greeting, EHLO, TLS as configured, NOOP), for `fountain check`.
    pub async fn test_connection(&self) -> Result<(), String> {
        match self.transport.test_connection().await {
            Ok(true) => Ok(()),
            Ok(false) => Err("the server did not answer NOOP".into()),
            Err(e) => Err(e.to_string()),
        }
    }

    /// Sends every due email once; returns how many went out. Failures are recorded on their row
    /// and retried later.
    pub async fn send_due(&self, db: &DatabaseConnection) -> Result<usize, DbErr> {
        self.send_due_as_of(db, now()).await
    }

    /// [`Mailer::send_due`] as if the clock read `at` (Unix seconds): tests skip the retry pause.
    pub async fn send_due_as_of(&self, db: &DatabaseConnection, at: i64) -> Result<usize, DbErr> {
        let due = row::Entity::find()
            .filter(row::Column::SentAt.is_null())
            .filter(row::Column::GaveUpAt.is_null())
            .filter(row::Column::NextAttemptAt.lte(at))
            .order_by_asc(row::Column::NextAttemptAt)
            .limit(20)
            .all(db)
            .await?;
        let mut sent = 0;
        for email in due {
            // Lease the row first, so two senders (two processes on PostgreSQL) never both send it.
            let leased = row::Entity::update_many()
                .col_expr(
                    row::Column::NextAttemptAt,
                    Expr::value(at + LEASE.as_secs() as i64),
                )
                .filter(row::Column::Id.eq(email.id))
                .filter(row::Column::NextAttemptAt.eq(email.next_attempt_at))
                .filter(row::Column::SentAt.is_null())
                .exec(db)
                .await?;
            if leased.rows_affected != 1 {
                continue;
            }
            let update = row::Entity::update_many().filter(row::Column::Id.eq(email.id));
            match self.send(&email).await {
                Ok(()) => {
                    update
                        .col_expr(row::Column::SentAt, Expr::value(now()))
                        .col_expr(row::Column::Attempts, Expr::value(email.attempts + 1))
                        .exec(db)
                        .await?;
                    sent += 1;
                    tracing::info!(email = email.id, "status email sent");
                }
                Err(failure) => {
                    let attempts = email.attempts + 1;
                    let update = update
                        .col_expr(row::Column::Attempts, Expr::value(attempts))
                        .col_expr(row::Column::LastError, Expr::value(failure.error.clone()));
                    let next = after_failure(attempts, failure.permanent, at, rand::random());
                    let update = match next {
                        AfterFailure::RetryAt(next) => {
                            tracing::warn!(email = email.id, attempts, error = %failure.error, "status email not sent; will retry");
                            update.col_expr(row::Column::NextAttemptAt, Expr::value(next))
                        }
                        AfterFailure::GiveUp => {
                            tracing::error!(email = email.id, attempts, error = %failure.error, "status email given up on; the helpdesk sees it");
                            update.col_expr(row::Column::GaveUpAt, Expr::value(now()))
                        }
                    };
                    update.exec(db).await?;
                }
            }
        }
        Ok(sent)
    }

    async fn send(&self, email: &row::Model) -> Result<(), Failure> {
        let to: Mailbox = email.recipient.parse().map_err(|e| Failure {
            error: format!("{:?} is not an email address: {e}", email.recipient),
            permanent: true,
        })?;
        let message = Message::builder()
            .from(self.from.clone())
            .to(to)
            .subject(&email.subject)
            .multipart(
                MultiPart::alternative()
                    .singlepart(
                        SinglePart::builder()
                            .header(ContentType::TEXT_PLAIN)
                            .body(email.text_body.clone()),
                    )
                    .singlepart(
                        SinglePart::builder()
                            .header(ContentType::TEXT_HTML)
                            .body(email.html_body.clone()),
                    ),
            )
            .map_err(|e| Failure {
                error: e.to_string(),
                permanent: true,
            })?;
        self.transport.send(message).await.map(|_| ()).map_err(|e| {
            let error = e.to_string();
            Failure {
                // A mailbox that does not exist will be refused again; a relay set up wrongly
                // refuses everyone, and is retried.
                permanent: super::outbox::refused_for_this_recipient(e.is_permanent(), &error),
                error,
            }
        })
    }
}

/// Why an email did not go out, and whether trying again could help.
#[derive(Debug)]
struct Failure {
    error: String,
    permanent: bool,
}
