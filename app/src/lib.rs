//! Fountain's face: pages, server functions (the API) and the DTOs they exchange with the browser.
//! The body (`server`) fills in the [`port`] traits; nothing here touches the database or IMAP.
#![recursion_limit = "256"]

pub mod api;
pub mod areas;
pub mod charts;
mod components;
pub mod dto;
pub mod error;
pub mod format;
mod pages;
#[cfg(feature = "ssr")]
pub mod port;
pub mod security;
mod shell;

pub use shell::{shell, App};
