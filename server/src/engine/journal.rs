//! The journal adapter: what has been copied, so a run resumes exactly where the last one stopped.
use std::collections::BTreeSet;

use sea_orm::sea_query::OnConflict;
use sea_orm::{
    ColumnTrait, ConnectionTrait, DatabaseConnection, DbErr, EntityTrait, QueryFilter, QuerySelect,
    Set, TransactionTrait,
};

use crate::db::entity::{journal_folder, journal_message, quarantine};
use crate::db::now;

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
            created_at: Set(now()),
            ..Default::default()
        })
        .exec(self.db)
        .await?;
        Ok(self.find_folder(key).await?.expect("just inserted"))
    }

    /// Records that every message below `uid_next` is copied.
    pub async fn mark_synced(
        &self,
        folder_id: i64,
        uid_next: u32,
        bytes: u64,
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

    /// Source UIDs already on the destination.
    pub async fn copied(&self, folder_id: i64) -> Result<BTreeSet<u32>, DbErr> {
        let uids: Vec<i64> = journal_message::Entity::find()
            .select_only()
            .column(journal_message::Column::SourceUid)
            .filter(journal_message::Column::FolderId.eq(folder_id))
            .into_tuple()
            .all(self.db)
            .await?;
        Ok(uids
            .into_iter()
            .filter_map(|u| u32::try_from(u).ok())
            .collect())
    }

    /// Records one copied message (right after the destination accepted it) and clears any quarantine.
    pub async fn record(
        &self,
        folder_id: i64,
        uid: u32,
        dest_uid: Option<u32>,
        size: u64,
    ) -> Result<(), DbErr> {
        record_in(self.db, folder_id, uid, dest_uid, size).await
    }

    /// Records messages the destination accepted together (one MULTIAPPEND), in one transaction.
    pub async fn record_many(
        &self,
        folder_id: i64,
        copied: &[(u32, Option<u32>, u64)],
    ) -> Result<(), DbErr> {
        let txn = self.db.begin().await?;
        for &(uid, dest_uid, size) in copied {
            record_in(&txn, folder_id, uid, dest_uid, size).await?;
        }
        txn.commit().await
    }

    /// Puts a message aside with the reason (and its bytes, when they could be read).
    pub async fn quarantine(
        &self,
        folder_id: i64,
        uid: u32,
        reason: &str,
        raw: Option<&[u8]>,
    ) -> Result<(), DbErr> {
        quarantine::Entity::insert(quarantine::ActiveModel {
            folder_id: Set(folder_id),
            source_uid: Set(i64::from(uid)),
            reason: Set(reason.to_owned()),
            raw: Set(raw.map(<[u8]>::to_vec)),
            created_at: Set(now()),
            ..Default::default()
        })
        .on_conflict(
            OnConflict::columns([quarantine::Column::FolderId, quarantine::Column::SourceUid])
                .update_columns([
                    quarantine::Column::Reason,
                    quarantine::Column::Raw,
                    quarantine::Column::CreatedAt,
                ])
                .to_owned(),
        )
        .exec_without_returning(self.db)
        .await?;
        Ok(())
    }
}

async fn record_in(
    db: &impl ConnectionTrait,
    folder_id: i64,
    uid: u32,
    dest_uid: Option<u32>,
    size: u64,
) -> Result<(), DbErr> {
    journal_message::Entity::insert(journal_message::ActiveModel {
        folder_id: Set(folder_id),
        source_uid: Set(i64::from(uid)),
        dest_uid: Set(dest_uid.map(i64::from)),
        size: Set(i64::try_from(size).unwrap_or(i64::MAX)),
        copied_at: Set(now()),
    })
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
    quarantine::Entity::delete_many()
        .filter(quarantine::Column::FolderId.eq(folder_id))
        .filter(quarantine::Column::SourceUid.eq(i64::from(uid)))
        .exec(db)
        .await?;
    Ok(())
}
