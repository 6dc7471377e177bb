//! Background work for the portal: migration requests as rows with a state machine ([`state`]), queued
//! and claimed by workers with a heartbeat ([`queue`]).
pub mod queue;
pub mod state;
