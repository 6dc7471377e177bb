//! Background work for the portal: migration requests as rows with a state machine ([`state`]), queued
//! and claimed by workers with a heartbeat ([`queue`]), and old-server passwords sealed at rest
//! ([`secret`]).
pub mod queue;
pub mod secret;
pub mod state;
