//! Fountain's body: configuration, sign-in, old accounts, the database, the copy engine, background
//! jobs, notifications, and the web portal; [`startup`] wires them into `fountain serve` and
//! `fountain worker`.
pub mod accounts;
pub mod auth;
pub mod backoff;
pub mod cli;
pub mod config;
pub mod db;
pub mod engine;
pub mod http;
pub mod jobs;
pub mod metrics;
pub mod notify;
pub mod secret;
pub mod spreadsheet;
pub mod startup;
pub mod telemetry;
pub mod web;
