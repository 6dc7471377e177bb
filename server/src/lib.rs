//! Fountain's body: configuration, sign-in, database, and the web portal (`fountain serve`).
pub mod auth;
pub mod cli;
pub mod config;
pub mod db;
pub mod engine;
pub mod jobs;
pub mod notify;
pub mod telemetry;
pub mod web;
