//! Cutover: delivery moves to the new server, and Fountain keeps the old one from losing what still
//! arrives there. IT marks the switch for a wave or a person ([`store::switch`]); from then on each
//! person's finished copy runs again on a schedule ([`catch_ups`], [`schedule`]), copying only what
//! is missing and never touching what is on the new server; each run reads what arrived after the
//! switch and for which address ([`reads`]), so IT sees who is not quiet yet ([`board`], [`quiet`]).
//! The same reads find the old addresses that reached each person ([`recipients`],
//! [`discovery`]); people confirm theirs ([`addresses`]) and IT exports the routing maps
//! ([`exports`]).
pub mod addresses;
pub mod board;
pub mod catch_ups;
pub mod discovery;
pub mod exports;
pub mod quiet;
pub mod reads;
pub mod recipients;
pub mod schedule;
pub mod store;

use crate::engine::imap::ImapError;

#[derive(Debug, thiserror::Error)]
pub enum CutoverError {
    #[error("the database failed: {0}")]
    Db(#[from] sea_orm::DbErr),
    #[error(transparent)]
    Imap(#[from] ImapError),
}
