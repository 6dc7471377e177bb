//! IT's queue of corrupt mailboxes: every request that needs attention for quarantined messages, with
//! how many of them wait for a decision, read in a handful of queries however long the queue is (no
//! message bytes), most waiting first, one page at a time.
use std::collections::HashMap;

use app::dto::{
    CorruptMailbox, CorruptQueue, FailureClass, QuarantineId, QueueDecision, RequestId,
    RequestState,
};
use sea_orm::{ColumnTrait, EntityTrait, QueryFilter, QuerySelect};

use super::{CorruptError, Held};
use crate::db::entity::{journal_folder, migration_request, quarantine};
use crate::db::VALUES_PER_QUERY;
use crate::jobs::Migrations;

/// Rows on one page of the queue.
pub const PER_PAGE: u32 = 50;

/// Every mailbox in the queue, in no particular order.
pub async fn everything(m: &Migrations) -> Result<Vec<CorruptMailbox>, CorruptError> {
    let requests: Vec<(i64, i64, String, Option<String>)> = migration_request::Entity::find()
        .select_only()
        .column(migration_request::Column::Id)
        .column(migration_request::Column::UserId)
        .column(migration_request::Column::Folders)
        .column(migration_request::Column::Destination)
        .filter(migration_request::Column::FailureClass.eq(FailureClass::CorruptMessages.as_str()))
        .filter(migration_request::Column::State.eq(RequestState::NeedsAttention.as_str()))
        .into_tuple()
        .all(&m.db)
        .await?;
    let users: Vec<i64> = requests.iter().map(|(_, user, ..)| *user).collect();
    let people = crate::db::people::by_ids(&m.db, users.clone()).await?;
    let accounts = m.accounts.old_accounts(users).await?;

    // Each request's journal mailboxes and the folders it copies.
    let mut wanted: Vec<(i64, i64, String, String, Vec<String>)> = Vec::new();
    for (id, user, folders, destination) in &requests {
        let (Some(person), Some(account)) = (people.get(user), accounts.get(user)) else {
            continue;
        };
        let Ok(folders) = serde_json::from_str::<Vec<String>>(folders) else {
            continue;
        };
        let to = destination
            .as_deref()
            .and_then(|d| app::dto::DestinationName::parse(d).ok());
        let Some((mailbox, dest)) =
            m.accounts
                .journal_names(&account.login, &person.email, to.as_ref())
        else {
            continue;
        };
        wanted.push((*id, *user, mailbox, dest, folders));
    }
    let mut mailboxes: Vec<String> = wanted.iter().map(|w| w.2.clone()).collect();
    mailboxes.sort_unstable();
    mailboxes.dedup();
    let mut folder_ids: HashMap<(String, String, String), i64> = HashMap::new();
    for chunk in mailboxes.chunks(VALUES_PER_QUERY) {
        let found: Vec<(i64, String, String, String)> = journal_folder::Entity::find()
            .select_only()
            .column(journal_folder::Column::Id)
            .column(journal_folder::Column::Mailbox)
            .column(journal_folder::Column::DestMailbox)
            .column(journal_folder::Column::SourceFolder)
            .filter(journal_folder::Column::Mailbox.is_in(chunk.iter().cloned()))
            .into_tuple()
            .all(&m.db)
            .await?;
        folder_ids.extend(
            found
                .into_iter()
                .map(|(id, mb, dest, f)| ((mb, dest, f), id)),
        );
    }

    // (waiting, kept aside) per folder.
    let ids: Vec<i64> = folder_ids.values().copied().collect();
    let mut per_folder: HashMap<i64, (u64, u64)> = HashMap::new();
    for chunk in ids.chunks(VALUES_PER_QUERY) {
        let rows: Vec<(i64, Option<String>, Option<i64>)> = quarantine::Entity::find()
            .select_only()
            .column(quarantine::Column::FolderId)
            .column(quarantine::Column::Decision)
            .column(quarantine::Column::RepairedAt)
            .filter(quarantine::Column::FolderId.is_in(chunk.iter().copied()))
            .into_tuple()
            .all(&m.db)
            .await?;
        for (folder, decision, repaired_at) in rows {
            let counts = per_folder.entry(folder).or_default();
            // As `Held::pending` says: no decision yet, and not sent repaired.
            counts.0 += u64::from(decision.is_none() && repaired_at.is_none());
            counts.1 += 1;
        }
    }

    let mut out = Vec::with_capacity(wanted.len());
    for (id, user, mailbox, dest, folders) in wanted {
        let (pending, total) = folders
            .into_iter()
            .filter_map(|f| folder_ids.get(&(mailbox.clone(), dest.clone(), f)))
            .filter_map(|folder| per_folder.get(folder))
            .fold((0, 0), |(p, t), (fp, ft)| (p + fp, t + ft));
        let Some(person) = people.get(&user) else {
            continue;
        };
        out.push(CorruptMailbox {
            request: RequestId(id),
            email: person.email.clone(),
            display_name: person.display_name.clone(),
            state: RequestState::NeedsAttention,
            class: Some(FailureClass::CorruptMessages),
            pending,
            total,
        });
    }
    Ok(out)
}

/// Most waiting first; the request settles ties, so pages never overlap.
pub fn order(rows: &mut [CorruptMailbox]) {
    rows.sort_by(|a, b| b.pending.cmp(&a.pending).then(a.request.cmp(&b.request)));
}

/// The `page` asked for of the queue (the last one when it is past it), with its counts.
pub fn page(mut all: Vec<CorruptMailbox>, page: u32, per_page: u32) -> CorruptQueue {
    let per_page = per_page.max(1);
    order(&mut all);
    let total = all.len() as u64;
    let pending = all.iter().map(|r| r.pending).sum();
    let last_page =
        u32::try_from(total.saturating_sub(1) / u64::from(per_page)).unwrap_or(u32::MAX);
    let page = page.min(last_page);
    let rows = all
        .into_iter()
        .skip(page as usize * per_page as usize)
        .take(per_page as usize)
        .collect();
    CorruptQueue {
        rows,
        total,
        page,
        per_page,
        pending,
    }
}

/// Which of a request's messages a decision for the whole queue takes: every waiting one to send
/// again; for a repair, the waiting ones a repair fixes. The rest (held headers-only, or needing no
/// repair) are counted as skipped, to be decided on the request's page.
pub fn taken_by(held: &[Held], decision: QueueDecision) -> (Vec<QuarantineId>, u64) {
    let waiting: Vec<&Held> = held.iter().filter(|h| h.pending()).collect();
    let taken: Vec<QuarantineId> = waiting
        .iter()
        .filter(|h| match decision {
            QueueDecision::Retry => true,
            QueueDecision::Repair => !h.repairs().is_empty(),
        })
        .map(|h| h.id())
        .collect();
    let skipped = (waiting.len() - taken.len()) as u64;
    (taken, skipped)
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn mailbox(request: i64, pending: u64) -> CorruptMailbox {
        CorruptMailbox {
            request: RequestId(request),
            email: format!("p{request}@example.org"),
            display_name: format!("Person {request}"),
            state: RequestState::NeedsAttention,
            class: Some(FailureClass::CorruptMessages),
            pending,
            total: pending + 1,
        }
    }

    fn held(id: i64, raw: &[u8], whole: bool, decision: Option<&str>) -> Held {
        Held {
            row: quarantine::Model {
                id,
                folder_id: 1,
                source_uid: id,
                reason: "refused".into(),
                raw: Some(raw.to_vec()),
                raw_is_whole: whole,
                size: Some(raw.len() as i64),
                created_at: 0,
                decision: decision.map(str::to_owned),
                repairs: None,
                decision_reason: None,
                decided_by: None,
                decided_at: None,
                repaired_at: None,
            },
            folder: journal_folder::Model {
                id: 1,
                mailbox: "m".into(),
                dest_mailbox: "d".into(),
                source_folder: "INBOX".into(),
                uid_validity: 1,
                dest_folder: "INBOX".into(),
                synced_uid_next: None,
                synced_bytes: None,
                synced_modseq: None,
                inflight_uids: None,
                inflight_floor: None,
                created_at: 0,
            },
        }
    }

    #[test]
    fn a_repair_for_the_queue_takes_only_what_a_repair_fixes() {
        let bare_lf = b"Subject: a\nFrom: b\n\nbody\n".as_slice();
        let fine = b"Subject: a\r\n\r\nbody\r\n".as_slice();
        let all = [
            held(1, bare_lf, true, None),
            held(2, fine, true, None),
            held(3, bare_lf, false, None),
            held(4, bare_lf, true, Some("accept")),
        ];
        assert_eq!(
            taken_by(&all, QueueDecision::Repair),
            (vec![QuarantineId(1)], 2)
        );
        assert_eq!(
            taken_by(&all, QueueDecision::Retry),
            (vec![QuarantineId(1), QuarantineId(2), QuarantineId(3)], 0)
        );
    }

    proptest! {
        #[test]
        fn pages_hold_every_mailbox_once_most_waiting_first(
            pending in proptest::collection::vec(0u64..20, 0..120),
            per_page in 1u32..30,
        ) {
            let all: Vec<CorruptMailbox> = pending
                .iter()
                .enumerate()
                .map(|(i, p)| mailbox(i as i64 + 1, *p))
                .collect();
            let first = page(all.clone(), 0, per_page);
            prop_assert_eq!(first.total, all.len() as u64);
            prop_assert_eq!(first.pending, pending.iter().sum::<u64>());
            let mut seen = Vec::new();
            for at in 0..first.pages() {
                let shown = page(all.clone(), at, per_page);
                prop_assert_eq!(shown.page, at);
                prop_assert!(shown.rows.len() <= per_page as usize);
                seen.extend(shown.rows);
            }
            prop_assert_eq!(seen.len(), all.len());
            prop_assert!(seen.windows(2).all(|w| w[0].pending >= w[1].pending));
            let mut ids: Vec<RequestId> = seen.iter().map(|r| r.request).collect();
            ids.sort();
            ids.dedup();
            prop_assert_eq!(ids.len(), all.len());
            // Past the last page: the last page.
            let past = page(all.clone(), first.pages() + 3, per_page);
            prop_assert_eq!(past.page, first.pages() - 1);
        }
    }
}
