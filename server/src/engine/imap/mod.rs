//! The thin IMAP adapter over async-imap: connect with a timeout on every operation, authenticate
//! (LOGIN, SASL PLAIN with authzid for an admin proxy, a master user, XOAUTH2), and two session types.
//! [`Source`] can only read (EXAMINE, `BODY.PEEK[]`); [`Destination`] can only add (CREATE, APPEND,
//! flag changes other than `\Deleted`): neither type has a way to EXPUNGE, CLOSE, set `\Deleted` or
//! DELETE a mailbox. Connections are TLS or STARTTLS ([`Security`]); plain text only on loopback.
mod auth;
pub mod command;
mod connection;
mod deflate;
mod destination;
mod literal8;
mod source;
mod tls;
pub mod transcript;
mod wire;

pub use auth::Credentials;
pub use connection::{reach, Endpoint, ImapError};
pub use destination::{Appended, Destination, Outgoing};
pub use source::{
    FetchedChunk, Fingerprinted, FolderStatus, HeaderSample, ListedFolder, Source, SourceMessage,
};
pub use tls::{Fingerprint, Security, TlsError, Trust};
