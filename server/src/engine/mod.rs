//! The copy engine (imapsync done right). Decisions live in [`plan`] (pure, tested hard); the IMAP
//! adapter ([`imap`]), the [`journal`], and the copier ([`copy`]: a mailbox, its folders, appends,
//! recovery and flag sync; big messages through a [`spool`] file) are built on top of it.
pub mod copy;
pub mod imap;
pub mod journal;
pub mod plan;
pub mod report;
pub mod spool;
pub mod throttle;
