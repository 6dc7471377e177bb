//! Sending the outbox over SMTP (lettre, STARTTLS or TLS through rustls): every due row once, leased
//! first so two senders never send one email twice; a failure is recorded on its row and retried.
use std::time::Duration;

use lettre::message::{header::ContentType, Mailbox, MultiPart, SinglePart};
use lettre::{AsyncSmtpTransport, AsyncTransport, Message, Tokio1Executor};
use sea_orm::sea_query::Expr;
use sea_orm::{
    ColumnTrait, DatabaseConnection, DbErr, EntityTrait, QueryFilter, QueryOrder, QuerySelect,
};

use super::outbox::retry_after;
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
}

/// Sends outbox rows over SMTP.
pub struct Mailer {
    transport: AsyncSmtpTransport<Tokio1Executor>,
    from: Mailbox,
}

impl Mailer {
    pub fn new(config: &EmailConfig) -> Result<Mailer, MailerError> {
        let transport = AsyncSmtpTransport::<Tokio1Executor>::from_url(&config.smtp_url)
            .map_err(|e| MailerError::Url(e.to_string()))?
            .timeout(Some(Duration::from_secs(30)))
            .build();
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

    /// Sends every due email once; returns how many went out. Failures are recorded on their row
    /// and retried later.
    pub async fn send_due(&self, db: &DatabaseConnection) -> Result<usize, DbErr> {
        self.send_due_as_of(db, now()).await
    }

    /// [`Mailer::send_due`] as if the clock read `at` (Unix seconds): tests skip the retry pause.
    pub async fn send_due_as_of(&self, db: &DatabaseConnection, at: i64) -> Result<usize, DbErr> {
        let due = row::Entity::find()
            .filter(row::Column::SentAt.is_null())
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
                Err(error) => {
                    let attempts = email.attempts + 1;
                    let next = at + retry_after(attempts).as_secs() as i64;
                    tracing::warn!(email = email.id, attempts, %error, "status email not sent; will retry");
                    update
                        .col_expr(row::Column::Attempts, Expr::value(attempts))
                        .col_expr(row::Column::NextAttemptAt, Expr::value(next))
                        .col_expr(row::Column::LastError, Expr::value(error))
                        .exec(db)
                        .await?;
                }
            }
        }
        Ok(sent)
    }

    async fn send(&self, email: &row::Model) -> Result<(), String> {
        let to: Mailbox = email
            .recipient
            .parse()
            .map_err(|e| format!("bad recipient {:?}: {e}", email.recipient))?;
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
            .map_err(|e| e.to_string())?;
        self.transport
            .send(message)
            .await
            .map(|_| ())
            .map_err(|e| e.to_string())
    }
}
