//! Corrupt mailboxes: the quarantined messages of a request, as division IT works through them. Each
//! waits for a decision (send again, repair and send, accept as not migrated); every decision and
//! every download of a message's bytes is written to the request's audit log. The runs act on the
//! decisions ([`crate::engine::journal::Journal::decisions`]); this module only reads and records.
//! How a message is recognised ([`summary`]) and what a repair changes ([`diff`]) are pure.
pub mod diff;
pub mod queue;
pub mod summary;

use std::collections::BTreeMap;

use app::dto::{
    Decision, DecisionKind, QuarantineId, QuarantinedItem, Repair, RepairPreview, RequestId,
};
use sea_orm::{ColumnTrait, ConnectionTrait, DbErr, EntityTrait, QueryFilter, QueryOrder, Set};

use super::queue::Request;
use super::timeline::{self, Actor, Entry};
use super::Migrations;
use crate::db::entity::{journal_folder, quarantine, user};
use crate::db::now;
use crate::engine::plan::repair::{self, Repair as EngineRepair};
use summary::summarize;

#[derive(Debug, thiserror::Error)]
pub enum CorruptError {
    #[error("the database failed: {0}")]
    Db(#[from] DbErr),
    #[error("{0}")]
    Accounts(#[from] crate::accounts::AccountError),
    #[error("message {0} is not one of this request's quarantined messages")]
    NotHere(QuarantineId),
    #[error("message {0} was already sent with its repairs; there is nothing left to decide")]
    Settled(QuarantineId),
    #[error(
        "Fountain holds only the headers of message {0} (it was over the quarantine's size limit), \
         so it cannot be repaired here; send it again after raising the new server's limit, or accept it"
    )]
    NotWhole(QuarantineId),
    #[error("message {0} needs none of the repairs asked for; send it again or accept it instead")]
    NothingToRepair(QuarantineId),
}

/// A quarantined message and the journal folder it belongs to.
pub struct Held {
    pub row: quarantine::Model,
    pub folder: journal_folder::Model,
}

impl Held {
    fn id(&self) -> QuarantineId {
        QuarantineId(self.row.id)
    }

    /// The folder as people read it.
    pub fn folder_name(&self) -> String {
        crate::engine::plan::mutf7::decode(&self.folder.source_folder)
            .unwrap_or_else(|_| self.folder.source_folder.clone())
    }

    pub fn settled(&self) -> bool {
        self.row.repaired_at.is_some()
    }

    pub fn pending(&self) -> bool {
        self.row.decision.is_none() && !self.settled()
    }

    /// The repairs that would change it; none when only its headers are held.
    pub fn repairs(&self) -> Vec<EngineRepair> {
        match (&self.row.raw, self.row.raw_is_whole) {
            (Some(raw), true) => repair::needed(raw),
            _ => Vec::new(),
        }
    }

    /// `INBOX-42.eml`: the folder (made safe for a file name) and the UID.
    pub fn file_name(&self) -> String {
        let folder: String = self
            .folder_name()
            .chars()
            .map(|c| if c.is_ascii_alphanumeric() { c } else { '-' })
            .collect();
        let part = if self.row.raw_is_whole {
            ""
        } else {
            "-headers-only"
        };
        format!("{folder}-{}{part}.eml", self.row.source_uid)
    }

    pub fn item(&self) -> QuarantinedItem {
        let summary = self.row.raw.as_deref().map(summarize).unwrap_or_default();
        let decision = self
            .row
            .decision
            .as_deref()
            .and_then(DecisionKind::parse)
            .map(|kind| Decision {
                kind,
                repairs: to_dto(&repair::parse_list(
                    self.row.repairs.as_deref().unwrap_or_default(),
                )),
                by: self.row.decided_by.clone().unwrap_or_default(),
                reason: self.row.decision_reason.clone().unwrap_or_default(),
                at: self.row.decided_at.unwrap_or_default(),
            });
        QuarantinedItem {
            id: self.id(),
            folder: self.folder_name(),
            uid: u32::try_from(self.row.source_uid).unwrap_or_default(),
            date: summary.date,
            from: summary.from,
            subject: summary.subject,
            size: self.row.size.and_then(|s| u64::try_from(s).ok()),
            reason: self.row.reason.clone(),
            kept_whole: self.row.raw_is_whole,
            repairs: to_dto(&self.repairs()),
            decision,
            repaired: self.settled(),
        }
    }

    /// A few words naming the message in the audit log: never its body.
    fn described(&self) -> String {
        let subject = self
            .row
            .raw
            .as_deref()
            .and_then(|raw| summarize(raw).subject)
            .unwrap_or_else(|| "(no subject)".into());
        format!(
            "{} #{} “{subject}”",
            self.folder_name(),
            self.row.source_uid
        )
    }
}

pub fn to_dto(repairs: &[EngineRepair]) -> Vec<Repair> {
    repairs
        .iter()
        .filter_map(|r| Repair::parse(r.as_str()))
        .collect()
}

pub fn from_dto(repairs: &[Repair]) -> Vec<EngineRepair> {
    repairs
        .iter()
        .filter_map(|r| EngineRepair::parse(r.as_str()))
        .collect()
}

/// The quarantined messages of `request`'s mailboxes and folders, by folder then UID.
pub async fn held(m: &Migrations, request: &Request) -> Result<Vec<Held>, CorruptError> {
    let folders = folders_of(m, request).await?;
    let rows = quarantine::Entity::find()
        .filter(quarantine::Column::FolderId.is_in(folders.keys().copied()))
        .order_by_asc(quarantine::Column::FolderId)
        .order_by_asc(quarantine::Column::SourceUid)
        .all(&m.db)
        .await?;
    Ok(rows
        .into_iter()
        .filter_map(|row| {
            let folder = folders.get(&row.folder_id)?.clone();
            Some(Held { row, folder })
        })
        .collect())
}

/// The journal's folders of `request`'s mailboxes that it copies, by id.
async fn folders_of(
    m: &Migrations,
    request: &Request,
) -> Result<BTreeMap<i64, journal_folder::Model>, CorruptError> {
    let Some(person) = user::Entity::find_by_id(request.user_id.get())
        .one(&m.db)
        .await?
    else {
        return Ok(BTreeMap::new());
    };
    let Some((mailbox, dest_mailbox)) = m
        .accounts
        .journal_mailboxes(request.user_id, &person.email, request.destination.as_ref())
        .await?
    else {
        return Ok(BTreeMap::new());
    };
    Ok(journal_folder::Entity::find()
        .filter(journal_folder::Column::Mailbox.eq(mailbox))
        .filter(journal_folder::Column::DestMailbox.eq(dest_mailbox))
        .filter(journal_folder::Column::SourceFolder.is_in(request.folders.iter().cloned()))
        .all(&m.db)
        .await?
        .into_iter()
        .map(|f| (f.id, f))
        .collect())
}

/// One quarantined message of `request`.
pub async fn one(
    m: &Migrations,
    request: &Request,
    id: QuarantineId,
) -> Result<Held, CorruptError> {
    held(m, request)
        .await?
        .into_iter()
        .find(|h| h.id() == id)
        .ok_or(CorruptError::NotHere(id))
}

/// What the repairs (all it needs when `asked` is empty) would do to the message.
pub async fn preview(
    m: &Migrations,
    request: &Request,
    id: QuarantineId,
    asked: &[Repair],
) -> Result<RepairPreview, CorruptError> {
    let held = one(m, request, id).await?;
    let repairs = chosen_repairs(&held, asked)?;
    let raw = held.row.raw.as_deref().unwrap_or_default();
    let fixed = repair::apply_all(raw, &repairs);
    Ok(RepairPreview {
        repairs: to_dto(&repairs),
        headers: diff::header_diff(raw, &fixed),
        body: diff::body_change(raw, &fixed),
    })
}

/// The repairs a decision applies: those asked that the message needs (all it needs when none are
/// asked); refused when it is not held whole or needs none of them.
fn chosen_repairs(held: &Held, asked: &[Repair]) -> Result<Vec<EngineRepair>, CorruptError> {
    if !held.row.raw_is_whole || held.row.raw.is_none() {
        return Err(CorruptError::NotWhole(held.id()));
    }
    let needed = held.repairs();
    let asked = from_dto(asked);
    let repairs: Vec<EngineRepair> = if asked.is_empty() {
        needed
    } else {
        needed.into_iter().filter(|r| asked.contains(r)).collect()
    };
    if repairs.is_empty() {
        return Err(CorruptError::NothingToRepair(held.id()));
    }
    Ok(repairs)
}

/// Records `kind` for each of `ids` (with the repairs each needs, of those `asked`), one audit line
/// for them all, in one transaction; returns how many of the request's messages still wait.
pub async fn decide(
    m: &Migrations,
    request: &Request,
    ids: &[QuarantineId],
    kind: DecisionKind,
    asked: &[Repair],
    actor: Actor<'_>,
) -> Result<u64, CorruptError> {
    let all = held(m, request).await?;
    decide_among(m, request, &all, ids, kind, asked, actor).await
}

/// As [`decide`], `all` being the request's quarantined messages as [`held`] has just read them.
pub async fn decide_among(
    m: &Migrations,
    request: &Request,
    all: &[Held],
    ids: &[QuarantineId],
    kind: DecisionKind,
    asked: &[Repair],
    actor: Actor<'_>,
) -> Result<u64, CorruptError> {
    let mut chosen = Vec::new();
    for id in ids {
        let held = all
            .iter()
            .find(|h| h.id() == *id)
            .ok_or(CorruptError::NotHere(*id))?;
        if held.settled() {
            return Err(CorruptError::Settled(*id));
        }
        let repairs = match kind {
            DecisionKind::Repair => chosen_repairs(held, asked)?,
            DecisionKind::Retry | DecisionKind::Accept => Vec::new(),
        };
        chosen.push((held, repairs));
    }
    let (by, reason) = match actor {
        Actor::Staff { email, reason } => (Some(email), Some(reason.as_str())),
        _ => (None, None),
    };
    let at = now();
    let txn = crate::db::begin(&m.db).await?;
    for (held, repairs) in &chosen {
        quarantine::Entity::update(quarantine::ActiveModel {
            id: Set(held.row.id),
            decision: Set(Some(kind.as_str().to_owned())),
            repairs: Set((!repairs.is_empty()).then(|| repair::list(repairs))),
            decision_reason: Set(reason.map(str::to_owned)),
            decided_by: Set(by.map(str::to_owned)),
            decided_at: Set(Some(at)),
            ..Default::default()
        })
        .exec(&txn)
        .await?;
    }
    let detail = chosen
        .iter()
        .map(|(held, repairs)| match repairs.as_slice() {
            [] => held.described(),
            some => format!("{} ({})", held.described(), repair::list(some)),
        })
        .collect::<Vec<_>>()
        .join("\n");
    timeline::record(&txn, request.id, Entry::Decided(kind), actor, Some(&detail)).await?;
    txn.commit().await?;
    let decided: Vec<i64> = chosen.iter().map(|(h, _)| h.row.id).collect();
    Ok(all
        .iter()
        .filter(|h| h.pending() && !decided.contains(&h.row.id))
        .count() as u64)
}

/// The message's bytes as Fountain holds them, the download written to the audit log first.
pub async fn download(
    db: &impl ConnectionTrait,
    request: RequestId,
    held: &Held,
    actor: Actor<'_>,
) -> Result<Vec<u8>, CorruptError> {
    let detail = format!("{} ({})", held.described(), held.file_name());
    timeline::record(db, request, Entry::Downloaded, actor, Some(&detail)).await?;
    Ok(held.row.raw.clone().unwrap_or_default())
}

/// What the person is told of messages left behind and repaired: each row's headers and IT's reason,
/// by quarantine row.
pub async fn annotations(
    db: &impl ConnectionTrait,
    ids: impl IntoIterator<Item = i64>,
) -> Result<BTreeMap<i64, (summary::Summary, String)>, DbErr> {
    let ids: Vec<i64> = ids.into_iter().collect();
    let mut out = BTreeMap::new();
    for some in ids.chunks(crate::db::VALUES_PER_QUERY) {
        for row in quarantine::Entity::find()
            .filter(quarantine::Column::Id.is_in(some.iter().copied()))
            .all(db)
            .await?
        {
            let summary = row.raw.as_deref().map(summarize).unwrap_or_default();
            out.insert(row.id, (summary, row.decision_reason.unwrap_or_default()));
        }
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_face_and_the_engine_name_repairs_alike() {
        assert_eq!(EngineRepair::ALL.len(), Repair::ALL.len());
        for r in EngineRepair::ALL {
            assert!(Repair::parse(r.as_str()).is_some(), "{r:?}");
        }
        assert_eq!(from_dto(&to_dto(&EngineRepair::ALL)), EngineRepair::ALL);
    }
}
