//! The pair of IMAP sessions one copy worker uses, opened within the servers' connection budgets.
use std::sync::Arc;

use super::job::CopyJob;
use crate::engine::imap::{Destination, ImapError, Source};
use crate::engine::throttle::{ConnectionSlot, ServerBudget};

/// Both sessions of one worker, with the connection slots they hold.
pub(super) struct Sessions {
    pub source: Source,
    pub dest: Destination,
    _slots: (ConnectionSlot, ConnectionSlot),
}

/// Takes a connection slot on each server, always in the same order, so two copies waiting for each
/// other's slots cannot deadlock.
pub(super) async fn slots(
    source_budget: &Arc<ServerBudget>,
    dest_budget: &Arc<ServerBudget>,
) -> (ConnectionSlot, ConnectionSlot) {
    if source_budget.key() <= dest_budget.key() {
        let s = source_budget.connection().await;
        (s, dest_budget.connection().await)
    } else {
        let d = dest_budget.connection().await;
        (source_budget.connection().await, d)
    }
}

/// Connects both sides within the slots taken. A side that fails before its session began tells its
/// server's budget (the server may be full: see `ConnectionCeiling`).
pub(super) async fn connect(
    job: &CopyJob,
    (mut source_slot, mut dest_slot): (ConnectionSlot, ConnectionSlot),
) -> Result<Sessions, ImapError> {
    let source = source_slot
        .open(Source::connect(
            &job.source.endpoint,
            &job.source.current_credentials().await?,
            job.transcripts.source.clone(),
        ))
        .await?;
    let dest = dest_slot
        .open(Destination::connect(
            &job.destination.endpoint,
            &job.destination.current_credentials().await?,
            job.transcripts.destination.clone(),
        ))
        .await?;
    Ok(Sessions {
        source,
        dest,
        _slots: (source_slot, dest_slot),
    })
}
