//! Background work for the portal: migration requests as rows with a state machine ([`state`]),
//! claimed by workers. (The claim, heartbeat and recovery come next.)
pub mod state;
