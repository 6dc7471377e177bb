//! Background work for the portal: migration requests as rows with a state machine ([`state`]), queued
//! and claimed by workers with a heartbeat ([`queue`], [`worker`]), with a cap on runs that crash
//! ([`attempts`]); scans of old mailboxes ([`scans`]); connected old accounts with their passwords
//! sealed at rest ([`accounts`], [`secret`]); live progress ([`progress`]). Status emails are
//! `crate::notify`'s.
pub mod accounts;
pub mod attempts;
mod claim;
pub mod progress;
pub mod queue;
pub mod scans;
pub mod secret;
pub mod service;
pub mod state;
pub mod worker;

pub use service::Migrations;
