//! sea-orm entities, one table per file (schema in the `migration` crate).
pub mod login_attempt;
pub mod session;
pub mod user;
