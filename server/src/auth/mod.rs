//! Sign-in with the organisation's OpenID provider: who may sign in, the sign-in attempt, browser
//! sessions and roles. Its HTTP routes and the request guard are in the web module.
pub mod admission;
pub mod attempt;
pub mod error;
pub mod oidc;
pub mod roles;
pub mod session;
