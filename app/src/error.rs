//! Errors a server function returns to the page: each says what happened and what to do next.
use leptos::server_fn::codec::JsonEncoding;
use leptos::server_fn::error::{FromServerFnError, ServerFnErrorErr};
use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, thiserror::Error)]
pub enum AppError {
    #[error("You are not signed in (or your session has ended). Sign in again to continue.")]
    Unauthenticated,
    #[error("{0}")]
    Forbidden(String),
    #[error("{0}")]
    BadRequest(String),
    /// What was asked for does not exist (for helpdesk and IT; people see Forbidden for what is not theirs).
    #[error("{0}")]
    NotFound(String),
    /// Someone else changed it meanwhile.
    #[error("{0}")]
    Conflict(String),
    /// Slow down: too many attempts.
    #[error("{0}")]
    TooMany(String),
    /// A server Fountain depends on (the old mail server, say) did not answer.
    #[error("{0}")]
    Unavailable(String),
    /// Something failed inside Fountain. People see what to do and a reference to the log line with
    /// the details; never the details themselves (file paths, database errors).
    #[error("Fountain could not complete this just now (reference {reference}). Try again in a minute; if it keeps happening, give your helpdesk this reference.")]
    Internal { reference: String },
    #[error("The request did not reach Fountain correctly ({0}). Reload the page and try again.")]
    Transport(String),
}

impl AppError {
    /// The HTTP status the portal answers with.
    pub fn status(&self) -> u16 {
        match self {
            AppError::Unauthenticated => 401,
            AppError::Forbidden(_) => 403,
            AppError::BadRequest(_) => 400,
            AppError::NotFound(_) => 404,
            AppError::Conflict(_) => 409,
            AppError::TooMany(_) => 429,
            AppError::Unavailable(_) => 503,
            AppError::Internal { .. } | AppError::Transport(_) => 500,
        }
    }
}

impl FromServerFnError for AppError {
    type Encoder = JsonEncoding;

    fn from_server_fn_error(value: ServerFnErrorErr) -> Self {
        AppError::Transport(value.to_string())
    }
}
