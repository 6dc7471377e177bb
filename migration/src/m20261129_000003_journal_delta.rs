//! What exact resumes and delta runs need: the flags each message was copied with (so a later run
//! carries only what changed on the source since), the folder's HIGHESTMODSEQ when it was last complete
//! (an unchanged folder costs one EXAMINE), and the appends in flight (to find, after a crash, a message
//! the destination took but the journal never heard of).
use sea_orm_migration::prelude::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum JournalFolders {
    Table,
    SyncedModseq,
    InflightUids,
    InflightFloor,
}

#[derive(DeriveIden)]
enum JournalMessages {
    Table,
    Flags,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        // SQLite adds one column per ALTER TABLE.
        let folder_columns = [
            ColumnDef::new(JournalFolders::SyncedModseq)
                .big_integer()
                .null()
                .to_owned(),
            // The source UIDs being appended (an IMAP UID set), written before the APPEND is sent.
            ColumnDef::new(JournalFolders::InflightUids)
                .text()
                .null()
                .to_owned(),
            // The destination folder's UIDNEXT (or less) before those appends: anything they added is above.
            ColumnDef::new(JournalFolders::InflightFloor)
                .big_integer()
                .null()
                .to_owned(),
        ];
        for mut column in folder_columns {
            manager
                .alter_table(
                    Table::alter()
                        .table(JournalFolders::Table)
                        .add_column(&mut column)
                        .to_owned(),
                )
                .await?;
        }
        manager
            .alter_table(
                Table::alter()
                    .table(JournalMessages::Table)
                    .add_column(ColumnDef::new(JournalMessages::Flags).text().null())
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .alter_table(
                Table::alter()
                    .table(JournalMessages::Table)
                    .drop_column(JournalMessages::Flags)
                    .to_owned(),
            )
            .await?;
        for column in [
            JournalFolders::InflightFloor,
            JournalFolders::InflightUids,
            JournalFolders::SyncedModseq,
        ] {
            manager
                .alter_table(
                    Table::alter()
                        .table(JournalFolders::Table)
                        .drop_column(column)
                        .to_owned(),
                )
                .await?;
        }
        Ok(())
    }
}
