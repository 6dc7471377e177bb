//! Sign-in with the organisation's OpenID provider, browser sessions, roles, and the request guard.
pub mod admission;
pub mod attempt;
pub mod error;
pub mod guard;
pub mod oidc;
pub mod roles;
pub mod routes;
pub mod session;
