//! Background work for the portal: migration requests as rows with a state machine ([`state`]), queued
//! and claimed by workers with a heartbeat ([`queue`], [`worker`]), with a cap on runs that crash
//! ([`attempts`]); scans of old mailboxes ([`scans`]); live progress ([`progress`]); the audit log and timeline of each request ([`timeline`]); the servers' limits IT changes at run time ([`servers`]). Old accounts are
//! `crate::accounts`'s, status emails `crate::notify`'s.
pub mod attempts;
mod claim;
pub mod corrupt;
pub mod cutover;
pub mod destinations;
pub mod ending;
pub mod failure;
pub mod health;
pub mod places;
pub mod probes;
pub mod progress;
pub mod queue;
pub mod retention;
pub mod scans;
pub mod servers;
pub mod service;
pub mod state;
pub mod timeline;
pub mod triage;
pub mod waves;
pub mod worker;

pub use service::Migrations;
