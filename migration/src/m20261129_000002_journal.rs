//! The copy engine's journal: every copied message ((folder, UIDVALIDITY, UID) → destination UID),
//! and the messages that could not be copied (quarantine), so any run can resume exactly.
use sea_orm_migration::prelude::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum JournalFolders {
    Table,
    Id,
    Mailbox,
    DestMailbox,
    SourceFolder,
    UidValidity,
    DestFolder,
    SyncedUidNext,
    SyncedBytes,
    CreatedAt,
}

#[derive(DeriveIden)]
enum JournalMessages {
    Table,
    FolderId,
    SourceUid,
    DestUid,
    Size,
    CopiedAt,
}

#[derive(DeriveIden)]
enum Quarantine {
    Table,
    Id,
    FolderId,
    SourceUid,
    Reason,
    Raw,
    CreatedAt,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(JournalFolders::Table)
                    .col(
                        ColumnDef::new(JournalFolders::Id)
                            .big_integer()
                            .not_null()
                            .auto_increment()
                            .primary_key(),
                    )
                    .col(ColumnDef::new(JournalFolders::Mailbox).string().not_null())
                    .col(
                        ColumnDef::new(JournalFolders::DestMailbox)
                            .string()
                            .not_null(),
                    )
                    .col(
                        ColumnDef::new(JournalFolders::SourceFolder)
                            .string()
                            .not_null(),
                    )
                    .col(
                        ColumnDef::new(JournalFolders::UidValidity)
                            .big_integer()
                            .not_null(),
                    )
                    .col(
                        ColumnDef::new(JournalFolders::DestFolder)
                            .string()
                            .not_null(),
                    )
                    // Set when every message up to this UIDNEXT is copied: an unchanged folder is then
                    // skipped after one EXAMINE, so a no-op re-run costs O(folders), not O(messages).
                    .col(
                        ColumnDef::new(JournalFolders::SyncedUidNext)
                            .big_integer()
                            .null(),
                    )
                    .col(
                        ColumnDef::new(JournalFolders::SyncedBytes)
                            .big_integer()
                            .null(),
                    )
                    .col(
                        ColumnDef::new(JournalFolders::CreatedAt)
                            .big_integer()
                            .not_null(),
                    )
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("ux_journal_folders_identity")
                    .table(JournalFolders::Table)
                    .col(JournalFolders::Mailbox)
                    .col(JournalFolders::DestMailbox)
                    .col(JournalFolders::SourceFolder)
                    .col(JournalFolders::UidValidity)
                    .unique()
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(JournalMessages::Table)
                    .col(
                        ColumnDef::new(JournalMessages::FolderId)
                            .big_integer()
                            .not_null(),
                    )
                    .col(
                        ColumnDef::new(JournalMessages::SourceUid)
                            .big_integer()
                            .not_null(),
                    )
                    .col(
                        ColumnDef::new(JournalMessages::DestUid)
                            .big_integer()
                            .null(),
                    )
                    .col(
                        ColumnDef::new(JournalMessages::Size)
                            .big_integer()
                            .not_null(),
                    )
                    .col(
                        ColumnDef::new(JournalMessages::CopiedAt)
                            .big_integer()
                            .not_null(),
                    )
                    .primary_key(
                        Index::create()
                            .col(JournalMessages::FolderId)
                            .col(JournalMessages::SourceUid),
                    )
                    .foreign_key(
                        ForeignKey::create()
                            .from(JournalMessages::Table, JournalMessages::FolderId)
                            .to(JournalFolders::Table, JournalFolders::Id),
                    )
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(Quarantine::Table)
                    .col(
                        ColumnDef::new(Quarantine::Id)
                            .big_integer()
                            .not_null()
                            .auto_increment()
                            .primary_key(),
                    )
                    .col(
                        ColumnDef::new(Quarantine::FolderId)
                            .big_integer()
                            .not_null(),
                    )
                    .col(
                        ColumnDef::new(Quarantine::SourceUid)
                            .big_integer()
                            .not_null(),
                    )
                    .col(ColumnDef::new(Quarantine::Reason).text().not_null())
                    .col(ColumnDef::new(Quarantine::Raw).binary().null())
                    .col(
                        ColumnDef::new(Quarantine::CreatedAt)
                            .big_integer()
                            .not_null(),
                    )
                    .foreign_key(
                        ForeignKey::create()
                            .from(Quarantine::Table, Quarantine::FolderId)
                            .to(JournalFolders::Table, JournalFolders::Id),
                    )
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("ux_quarantine_message")
                    .table(Quarantine::Table)
                    .col(Quarantine::FolderId)
                    .col(Quarantine::SourceUid)
                    .unique()
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_table(Table::drop().table(Quarantine::Table).to_owned())
            .await?;
        manager
            .drop_table(Table::drop().table(JournalMessages::Table).to_owned())
            .await?;
        manager
            .drop_table(Table::drop().table(JournalFolders::Table).to_owned())
            .await
    }
}
