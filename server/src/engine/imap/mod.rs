//! The thin IMAP adapter over async-imap: connect with a timeout on every operation, authenticate
//! (LOGIN, SASL PLAIN with authzid for an admin proxy, a master user, XOAUTH2), and two session types.
//! [`Source`] can only read (EXAMINE, `BODY.PEEK[]`); [`Destination`] can only add (CREATE, APPEND,
//! STORE +FLAGS): neither type has a way to EXPUNGE, set `\Deleted` or DELETE a mailbox.
mod auth;
mod connection;
mod destination;
mod source;
pub mod transcript;

pub use auth::Credentials;
pub use connection::{Endpoint, ImapError};
pub use destination::{Appended, Destination, Outgoing};
pub use source::{FolderStatus, ListedFolder, Source, SourceMessage};
