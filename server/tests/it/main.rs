//! Fountain's integration tests: one binary (one link, one cold start), a module per area, against
//! real parts (Dovecot, Cyrus, the OpenID provider, the SMTP sink, SQLite, PostgreSQL, Chromium),
//! with the helpers in [`support`].
mod support;

mod auth;
mod browser;
mod browser_corrupt;
mod browser_flow;
mod browser_helpdesk;
mod browser_it;
mod browser_waves;
mod ceiling;
mod check;
mod compress;
mod config;
mod copy;
mod corpus;
mod corrupt;
mod cutover;
mod destinations;
mod helpdesk;
mod imap;
mod lifecycle;
mod load_guard;
mod outbox;
mod probes;
mod queue;
mod retention;
mod rig;
mod scale_out;
mod self_service;
mod servers;
mod templates;
mod tls;
mod waves;
mod xoauth2;
