//! The copy engine (imapsync done right). Decisions live in [`plan`] (pure, tested hard); the IMAP
//! adapter ([`imap`]), the journal, and the copier ([`copy`] → [`folder`], with [`recover`] and
//! [`flag_sync`]; big messages through a [`spool`] file) are built on top of it.
pub mod copy;
mod flag_sync;
mod folder;
pub mod imap;
pub mod journal;
pub mod plan;
mod recover;
pub mod report;
pub mod spool;
pub mod throttle;
