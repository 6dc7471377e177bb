//! The journal adapter: what has been copied, so a run resumes exactly where the last one stopped.
use std::collections::BTreeMap;

use sea_orm::sea_query::OnConflict;
use sea_orm::{
    ColumnTrait, ConnectionTrait, DatabaseConnection, DbErr, EntityTrait, QueryFilter, QuerySelect,
    Set, Statement,
};

use crate::db::entity::{journal_folder, journal_message, quarantine};
use crate::db::now;
use crate::engine::plan::flags;
use crate::engine::plan::quarantine::{keeps_whole, what_to_keep, QuarantineLimits};
use crate::engine::plan::repair::{self, Repair};

/// A message the destination accepted, as the journal records it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Copied {
    pub uid: u32,
    /// From APPENDUID, when the destination has UIDPLUS.
    pub dest_uid: Option<u32>,
    pub size: u64,
    /// The source's flags at the time: the base for flag updates on later runs.
    pub flags: Vec<String>,
}

/// What the journal knows of one copied message.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Journalled {
    pub dest_uid: Option<u32>,
    pub flags: Vec<String>,
}

/// What IT decided for a quarantined message, as a run acts on it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Decision {
    /// It stays on the old server: not copied, and the folder is complete without it.
    LeaveBehind { quarantine_id: i64 },
    /// Sent with these repairs applied to a copy; `done` once a run has.
    Repair {
        quarantine_id: i64,
        repairs: Vec<Repair>,
        done: bool,
    },
}

/// Which copy a folder row belongs to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FolderKey<'a> {
    pub mailbox: &'a str,
    pub dest_mailbox: &'a str,
    pub source_folder: &'a str,
    pub uid_validity: u32,
    pub dest_folder: &'a str,
}

pub struct Journal<'a> {
    pub db: &'a DatabaseConnection,
}

impl Journal<'_> {
    /// The folder's journal row, if it has one.
    pub async fn find_folder(
        &self,
        key: &FolderKey<'_>,
    ) -> Result<Option<journal_folder::Model>, DbErr> {
        journal_folder::Entity::find()
            .filter(journal_folder::Column::Mailbox.eq(key.mailbox))
            .filter(journal_folder::Column::DestMailbox.eq(key.dest_mailbox))
            .filter(journal_folder::Column::SourceFolder.eq(key.source_folder))
            .filter(journal_folder::Column::UidValidity.eq(i64::from(key.uid_validity)))
            .one(self.db)
            .await
    }

    /// The folder's journal row, created on first sight.
    pub async fn folder(&self, key: &FolderKey<'_>) -> Result<journal_folder::Model, DbErr> {
        if let Some(row) = self.find_folder(key).await? {
            return Ok(row);
        }
        journal_folder::Entity::insert(journal_folder::ActiveModel {
            mailbox: Set(key.mailbox.to_owned()),
            dest_mailbox: Set(key.dest_mailbox.to_owned()),
            source_folder: Set(key.source_folder.to_owned()),
            uid_validity: Set(i64::from(key.uid_validity)),
            dest_folder: Set(key.dest_folder.to_owned()),
            synced_uid_next: Set(None),
            synced_bytes: Set(None),
            synced_modseq: Set(None),
            inflight_uids: Set(None),
            inflight_floor: Set(None),
            created_at: Set(now()),
            ..Default::default()
        })
        .exec(self.db)
        .await?;
        Ok(self.find_folder(key).await?.expect("just inserted"))
    }

    /// Records that every message below `uid_next` is copied (and its flags carried up to `modseq`).
    pub async fn mark_synced(
        &self,
        folder_id: i64,
        uid_next: u32,
        bytes: u64,
        modseq: Option<u64>,
    ) -> Result<(), DbErr> {
        journal_folder::Entity::update_many()
            .col_expr(
                journal_folder::Column::SyncedUidNext,
                i64::from(uid_next).into(),
            )
            .col_expr(
                journal_folder::Column::SyncedBytes,
                i64::try_from(bytes).unwrap_or(i64::MAX).into(),
            )
            .col_expr(
                journal_folder::Column::SyncedModseq,
                modseq.and_then(|m| i64::try_from(m).ok()).into(),
            )
            .filter(journal_folder::Column::Id.eq(folder_id))
            .exec(self.db)
            .await?;
        Ok(())
    }

    /// The UIDVALIDITY of an earlier copy of this folder, if the source has renumbered it since.
    pub async fn earlier_validity(&self, key: &FolderKey<'_>) -> Result<Option<u32>, DbErr> {
        let earlier = journal_folder::Entity::find()
            .filter(journal_folder::Column::Mailbox.eq(key.mailbox))
            .filter(journal_folder::Column::DestMailbox.eq(key.dest_mailbox))
            .filter(journal_folder::Column::SourceFolder.eq(key.source_folder))
            .filter(journal_folder::Column::UidValidity.ne(i64::from(key.uid_validity)))
            .one(self.db)
            .await?;
        Ok(earlier.and_then(|row| u32::try_from(row.uid_validity).ok()))
    }

    /// Source messages already on the destination, by UID.
    pub async fn copied(&self, folder_id: i64) -> Result<BTreeMap<u32, Journalled>, DbErr> {
        let rows: Vec<(i64, Option<i64>, Option<String>)> = journal_message::Entity::find()
            .select_only()
            .column(journal_message::Column::SourceUid)
            .column(journal_message::Column::DestUid)
            .column(journal_message::Column::Flags)
            .filter(journal_message::Column::FolderId.eq(folder_id))
            .into_tuple()
            .all(self.db)
            .await?;
        Ok(rows
            .into_iter()
            .filter_map(|(uid, dest_uid, stored)| {
                Some((
                    u32::try_from(uid).ok()?,
                    Journalled {
                        dest_uid: dest_uid.and_then(|d| u32::try_from(d).ok()),
                        flags: flags::split(stored.as_deref().unwrap_or("")),
                    },
                ))
            })
            .collect())
    }

    /// Write-ahead for appends: the source UIDs about to be sent and the destination's UIDNEXT (or
    /// less) before them. Should the process die before [`record`](Self::record), the next run looks
    /// above `floor` for these messages instead of appending them again.
    pub async fn begin_appends(
        &self,
        folder_id: i64,
        uid_set: &str,
        floor: u32,
    ) -> Result<(), DbErr> {
        set_inflight(self.db, folder_id, Some(uid_set), Some(floor)).await
    }

    /// Appends that ended without a record (refused, or found again after a crash): nothing in flight.
    pub async fn end_appends(&self, folder_id: i64) -> Result<(), DbErr> {
        set_inflight(self.db, folder_id, None, None).await
    }

    /// Records messages the destination accepted (one APPEND, or one MULTIAPPEND: all or none), clears
    /// their quarantine and the in-flight marker, in one transaction.
    pub async fn record(&self, folder_id: i64, copied: &[Copied]) -> Result<(), DbErr> {
        let txn = crate::db::begin(self.db).await?;
        // Bounded statements: SQLite and PostgreSQL cap the number of bound values.
        for some in copied.chunks(500) {
            record_in(&txn, folder_id, some).await?;
        }
        set_inflight(&txn, folder_id, None, None).await?;
        txn.commit().await
    }

    /// The source flags now carried to the destination, per copied message, in one transaction.
    pub async fn update_flags(
        &self,
        folder_id: i64,
        carried: &[(u32, Vec<String>)],
    ) -> Result<(), DbErr> {
        let txn = crate::db::begin(self.db).await?;
        for (uid, now) in carried {
            journal_message::Entity::update_many()
                .col_expr(journal_message::Column::Flags, flags::join(now).into())
                .filter(journal_message::Column::FolderId.eq(folder_id))
                .filter(journal_message::Column::SourceUid.eq(i64::from(*uid)))
                .exec(&txn)
                .await?;
        }
        txn.commit().await
    }

    /// Puts a message aside with the reason, and its bytes when they could be read: whole, or only
    /// its headers above `limits` (the message stays on the old server; its size and UID say which).
    /// Returns whether it was kept whole.
    pub async fn quarantine(
        &self,
        folder_id: i64,
        uid: u32,
        reason: &str,
        raw: Option<&[u8]>,
        limits: QuarantineLimits,
    ) -> Result<bool, DbErr> {
        let Some(raw) = raw else {
            self.store(folder_id, uid, reason, None, false, None)
                .await?;
            return Ok(false);
        };
        let so_far = self.quarantined_bytes(folder_id).await?;
        let kept = what_to_keep(raw, so_far, limits);
        let size = Some(raw.len() as u64);
        self.store(
            folder_id,
            uid,
            reason,
            Some(kept.bytes()),
            kept.is_whole(),
            size,
        )
        .await?;
        Ok(kept.is_whole())
    }

    /// Whether a refused message of `size` bytes in this folder's mailbox is kept whole (so a
    /// message that is not in memory is read only as far as it is kept).
    pub async fn keeps_whole(
        &self,
        folder_id: i64,
        size: u64,
        limits: QuarantineLimits,
    ) -> Result<bool, DbErr> {
        let so_far = self.quarantined_bytes(folder_id).await?;
        Ok(keeps_whole(size, so_far, limits))
    }

    /// Puts aside what was kept of a message read from elsewhere than memory: `kept` is the whole
    /// message (`whole`) or its headers; `size` its size.
    pub async fn quarantine_kept(
        &self,
        folder_id: i64,
        uid: u32,
        reason: &str,
        kept: &[u8],
        whole: bool,
        size: u64,
    ) -> Result<(), DbErr> {
        self.store(folder_id, uid, reason, Some(kept), whole, Some(size))
            .await
    }

    async fn store(
        &self,
        folder_id: i64,
        uid: u32,
        reason: &str,
        raw: Option<&[u8]>,
        whole: bool,
        size: Option<u64>,
    ) -> Result<(), DbErr> {
        quarantine::Entity::insert(quarantine::ActiveModel {
            folder_id: Set(folder_id),
            source_uid: Set(i64::from(uid)),
            reason: Set(reason.to_owned()),
            raw: Set(raw.map(<[u8]>::to_vec)),
            raw_is_whole: Set(whole),
            size: Set(size.map(|s| s as i64)),
            created_at: Set(now()),
            decision: Set(None),
            repairs: Set(None),
            decision_reason: Set(None),
            decided_by: Set(None),
            decided_at: Set(None),
            ..Default::default()
        })
        .on_conflict(
            OnConflict::columns([quarantine::Column::FolderId, quarantine::Column::SourceUid])
                .update_columns([
                    quarantine::Column::Reason,
                    quarantine::Column::Raw,
                    quarantine::Column::RawIsWhole,
                    quarantine::Column::Size,
                    quarantine::Column::CreatedAt,
                    // Refused again (sent again, or repaired and still refused): IT decides anew.
                    quarantine::Column::Decision,
                    quarantine::Column::Repairs,
                    quarantine::Column::DecisionReason,
                    quarantine::Column::DecidedBy,
                    quarantine::Column::DecidedAt,
                ])
                .to_owned(),
        )
        .exec_without_returning(self.db)
        .await?;
        Ok(())
    }

    /// IT's decisions for this folder's quarantined messages that a run acts on, by source UID (a
    /// `retry` needs nothing: an unjournalled message is sent again anyway).
    pub async fn decisions(&self, folder_id: i64) -> Result<BTreeMap<u32, Decision>, DbErr> {
        let rows = quarantine::Entity::find()
            .filter(quarantine::Column::FolderId.eq(folder_id))
            .filter(quarantine::Column::Decision.is_in(["accept", "repair"]))
            .all(self.db)
            .await?;
        Ok(rows
            .into_iter()
            .filter_map(|row| {
                let uid = u32::try_from(row.source_uid).ok()?;
                let decision = match row.decision.as_deref() {
                    Some("accept") => Decision::LeaveBehind {
                        quarantine_id: row.id,
                    },
                    _ => Decision::Repair {
                        quarantine_id: row.id,
                        repairs: repair::parse_list(row.repairs.as_deref().unwrap_or_default()),
                        done: row.repaired_at.is_some(),
                    },
                };
                Some((uid, decision))
            })
            .collect())
    }

    /// Raw bytes already kept in quarantine for the mailbox (old → new) this folder belongs to.
    async fn quarantined_bytes(&self, folder_id: i64) -> Result<u64, DbErr> {
        let backend = self.db.get_database_backend();
        let p = crate::db::placeholder(backend);
        let sql = format!(
            "SELECT CAST(COALESCE(SUM(LENGTH(q.raw)), 0) AS BIGINT) AS kept FROM quarantine q \
             JOIN journal_folders f ON f.id = q.folder_id \
             JOIN journal_folders this ON this.mailbox = f.mailbox AND this.dest_mailbox = f.dest_mailbox \
             WHERE this.id = {p}1"
        );
        let row = self
            .db
            .query_one(Statement::from_sql_and_values(
                backend,
                sql,
                [folder_id.into()],
            ))
            .await?;
        let kept: i64 = match row {
            Some(row) => row.try_get("", "kept")?,
            None => 0,
        };
        Ok(u64::try_from(kept).unwrap_or(0))
    }
}

async fn set_inflight(
    db: &impl ConnectionTrait,
    folder_id: i64,
    uids: Option<&str>,
    floor: Option<u32>,
) -> Result<(), DbErr> {
    journal_folder::Entity::update_many()
        .col_expr(
            journal_folder::Column::InflightUids,
            uids.map(str::to_owned).into(),
        )
        .col_expr(
            journal_folder::Column::InflightFloor,
            floor.map(i64::from).into(),
        )
        .filter(journal_folder::Column::Id.eq(folder_id))
        .exec(db)
        .await?;
    Ok(())
}

async fn record_in(
    db: &impl ConnectionTrait,
    folder_id: i64,
    copied: &[Copied],
) -> Result<(), DbErr> {
    if copied.is_empty() {
        return Ok(());
    }
    let at = now();
    journal_message::Entity::insert_many(copied.iter().map(|c| journal_message::ActiveModel {
        folder_id: Set(folder_id),
        source_uid: Set(i64::from(c.uid)),
        dest_uid: Set(c.dest_uid.map(i64::from)),
        size: Set(i64::try_from(c.size).unwrap_or(i64::MAX)),
        copied_at: Set(at),
        flags: Set(Some(flags::join(&c.flags))),
    }))
    .on_conflict(
        OnConflict::columns([
            journal_message::Column::FolderId,
            journal_message::Column::SourceUid,
        ])
        .do_nothing()
        .to_owned(),
    )
    .exec_without_returning(db)
    .await?;
    let uids = || copied.iter().map(|c| i64::from(c.uid));
    // A message sent with IT's repairs keeps its row and original bytes: the repair stays visible
    // (and undoable by hand). Any other copied message leaves the quarantine.
    quarantine::Entity::update_many()
        .col_expr(quarantine::Column::RepairedAt, Some(at).into())
        .filter(quarantine::Column::FolderId.eq(folder_id))
        .filter(quarantine::Column::SourceUid.is_in(uids()))
        .filter(quarantine::Column::Decision.eq("repair"))
        .exec(db)
        .await?;
    quarantine::Entity::delete_many()
        .filter(quarantine::Column::FolderId.eq(folder_id))
        .filter(quarantine::Column::SourceUid.is_in(uids()))
        .filter(quarantine::Column::RepairedAt.is_null())
        .exec(db)
        .await?;
    Ok(())
}
