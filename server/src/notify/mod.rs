//! Telling people: status emails rendered from templates IT can read, change and preview ([`templates`],
//! minijinja, checked at load; [`emails`] fills them), written to an outbox in the same transaction as the change they tell
//! about ([`outbox`]), and sent over SMTP with retries ([`sender`]); HTML escaping for the emails and
//! the body's own pages ([`html`]).
pub mod emails;
pub mod html;
pub mod outbox;
pub mod sender;
pub mod templates;

pub use sender::Mailer;
