//! Telling people: status emails rendered from templates IT can read and change ([`emails`], files in
//! `server/templates/email`), written to an outbox in the same transaction as the change they tell
//! about ([`outbox`]), and sent over SMTP with retries ([`sender`]); HTML escaping for the emails and
//! the body's own pages ([`html`]).
pub mod emails;
pub mod html;
pub mod outbox;
pub mod sender;

pub use sender::Mailer;
