//! sea-orm entities, one table per file (schema in the `migration` crate).
pub mod connect_failure;
pub mod journal_folder;
pub mod journal_message;
pub mod migration_request;
pub mod old_account;
pub mod outbox;
pub mod quarantine;
pub mod request_event;
pub mod scan;
pub mod server_limit_change;
pub mod session;
pub mod user;
pub mod wave;
pub mod wave_member;
pub mod wave_sample;
