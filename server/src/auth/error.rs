//! What can go wrong while signing in, said so a person knows what to do.
#[derive(Debug, thiserror::Error)]
pub enum AuthError {
    #[error("The sign-in service could not be reached ({0}). Try again in a few minutes; if it persists, tell your IT team.")]
    ProviderUnreachable(String),
    #[error(
        "This sign-in link has expired or was already used. Start again from the sign-in button."
    )]
    UnknownState,
    #[error("This sign-in was not started in this browser (or it was started again since, in another tab). For your safety it cannot be finished here: start again from the sign-in button.")]
    OtherBrowser,
    /// The provider's own `error` code; its free-text description goes to the log only.
    #[error("The sign-in service did not complete the sign-in ({0}). Start again from the sign-in button; if it happens again, tell your IT team.")]
    ProviderRefused(String),
    #[error("The sign-in could not be verified ({0}). Start again from the sign-in button; if it persists, tell your IT team.")]
    Unverified(String),
    #[error("Your account has no email address at the sign-in service, which Fountain needs. Ask your IT team.")]
    MissingEmail,
    #[error("Fountain cannot sign you in: {0}. Your mailbox is found from your email address, so it must be right; ask your IT team.")]
    NotAdmitted(#[from] super::admission::Refusal),
    #[error("Your account here was made by another sign-in service than the one you came from, so Fountain cannot tell whether it is yours. Ask your IT team.")]
    OtherIssuer,
    #[error("Another account at the sign-in service already uses your email address here, so Fountain cannot tell whose mailbox it is. Ask your IT team.")]
    EmailTaken,
    #[error("Your account is not enabled for Fountain (none of its groups grants access). Ask your IT team if you think it should be.")]
    NoRole,
    #[error("Fountain could not record your sign-in just now. Try again in a minute.")]
    Database(#[from] sea_orm::DbErr),
}
