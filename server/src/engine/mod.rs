//! The copy engine (imapsync done right). Decisions live in [`plan`] (pure, tested hard); the IMAP
//! adapter, the copier, the throttle and the verifier are built on top of it.
pub mod copy;
pub mod imap;
pub mod journal;
pub mod plan;
