//! Which [`FailureClass`] a failure belongs to, from its typed error (pure): the helpdesk sorts and
//! acts on classes, never on the wording of a message.
use app::dto::FailureClass;

use crate::accounts::AccountError;
use crate::engine::copy::CopyError;
use crate::engine::imap::ImapError;

/// A copy that stopped on `e`; `old_server` is the old server's `host:port`, to tell the two sides
/// apart.
pub fn of_copy(e: &CopyError, old_server: &str) -> FailureClass {
    match e {
        CopyError::Imap(e) => of_imap(e, e.endpoint() == old_server),
        CopyError::Journal(_) | CopyError::Spool(_) => FailureClass::Internal,
    }
}

fn of_imap(e: &ImapError, on_old_server: bool) -> FailureClass {
    use FailureClass as C;
    match (e, on_old_server) {
        (ImapError::Auth { .. }, true) => C::OldLoginRefused,
        // IT's administrator login on the new server.
        (ImapError::Auth { .. }, false) => C::DestinationRefused,
        (ImapError::Tls { .. } | ImapError::Insecure { .. }, _) => C::Tls,
        (ImapError::Connect { .. } | ImapError::Timeout { .. } | ImapError::Lost { .. }, true) => {
            C::OldServerUnreachable
        }
        (ImapError::Connect { .. } | ImapError::Timeout { .. } | ImapError::Lost { .. }, false) => {
            C::NewServerUnreachable
        }
        (ImapError::Refused { .. }, false) => C::DestinationRefused,
        // An old server that says NO to reading is mostly one that throttles (`NO [LIMIT]`).
        (ImapError::Refused { .. }, true) => C::OldServerUnreachable,
        (ImapError::Unsendable { .. }, _) => C::Internal,
    }
}

/// A run that could not start with the person's old account.
pub fn of_account(e: &AccountError) -> FailureClass {
    match e {
        // Not connected: the password is gone (a failed login forgot it); the person connects again.
        AccountError::Refused | AccountError::AdminRefused | AccountError::NotConnected => {
            FailureClass::OldLoginRefused
        }
        AccountError::Unreachable(_) => FailureClass::OldServerUnreachable,
        AccountError::Insecure(_) => FailureClass::Tls,
        AccountError::Invalid(_)
        | AccountError::TooManyAttempts(_)
        | AccountError::Unreadable(_)
        | AccountError::Db(_)
        | AccountError::Setup(_)
        | AccountError::NoDestination(_) => FailureClass::Internal,
        AccountError::TokenRefused(_) => FailureClass::DestinationRefused,
        AccountError::TokenUnreachable(_) => FailureClass::NewServerUnreachable,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const OLD: &str = "old.example.org:993";
    const NEW: &str = "new.example.org:993";

    fn lost(endpoint: &str) -> CopyError {
        CopyError::Imap(ImapError::Lost {
            endpoint: endpoint.into(),
            during: "FETCH".into(),
            detail: "reset".into(),
        })
    }

    fn refused(endpoint: &str) -> CopyError {
        CopyError::Imap(ImapError::Refused {
            endpoint: endpoint.into(),
            during: "APPEND".into(),
            text: "[OVERQUOTA] quota exceeded".into(),
        })
    }

    fn login(endpoint: &str) -> CopyError {
        CopyError::Imap(ImapError::Auth {
            endpoint: endpoint.into(),
            user: "alice".into(),
            text: "AUTHENTICATIONFAILED".into(),
        })
    }

    #[test]
    fn the_side_a_failure_happened_on_decides_its_class() {
        assert_eq!(of_copy(&lost(OLD), OLD), FailureClass::OldServerUnreachable);
        assert_eq!(of_copy(&lost(NEW), OLD), FailureClass::NewServerUnreachable);
        assert_eq!(of_copy(&login(OLD), OLD), FailureClass::OldLoginRefused);
        assert_eq!(of_copy(&login(NEW), OLD), FailureClass::DestinationRefused);
        assert_eq!(
            of_copy(&refused(NEW), OLD),
            FailureClass::DestinationRefused
        );
        assert_eq!(
            of_copy(&refused(OLD), OLD),
            FailureClass::OldServerUnreachable
        );
    }

    #[test]
    fn certificates_and_internals_have_their_own_classes() {
        let tls = CopyError::Imap(ImapError::Insecure {
            endpoint: OLD.into(),
        });
        assert_eq!(of_copy(&tls, OLD), FailureClass::Tls);
        let db = CopyError::Journal(sea_orm::DbErr::Custom("disk full".into()));
        assert_eq!(of_copy(&db, OLD), FailureClass::Internal);
    }

    #[test]
    fn an_old_account_that_cannot_log_in_asks_the_person() {
        assert_eq!(
            of_account(&AccountError::Refused),
            FailureClass::OldLoginRefused
        );
        assert_eq!(
            of_account(&AccountError::NotConnected),
            FailureClass::OldLoginRefused
        );
        assert_eq!(
            of_account(&AccountError::Unreachable("timeout".into())),
            FailureClass::OldServerUnreachable
        );
        assert_eq!(
            of_account(&AccountError::Setup("no key".into())),
            FailureClass::Internal
        );
    }
}
