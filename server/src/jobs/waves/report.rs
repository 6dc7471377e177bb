//! A wave's results, person by person: where each request stands, and what its last run found
//! folder by folder summed — messages and bytes on the old server against the new, kept aside, left
//! behind, repaired. The sums are pure ([`totals`]); reading them is [`rows`].
use std::collections::HashMap;

use app::dto::RequestState;
use sea_orm::{ColumnTrait, ConnectionTrait, DbErr, EntityTrait, QueryFilter, QueryOrder};
use serde::Serialize;

use crate::db::entity::{migration_request, wave, wave_member};
use crate::db::stored;
use crate::db::VALUES_PER_QUERY;

/// One person of the wave.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct Row {
    pub email: String,
    /// `not signed in`, `not started`, or the latest request's state in words.
    pub state: String,
    #[serde(flatten)]
    pub totals: Totals,
}

/// A report's folders summed.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct Totals {
    pub folders: u64,
    pub source_messages: u64,
    pub source_bytes: u64,
    /// `None` where the new server could not be counted for some folder.
    pub destination_messages: Option<u64>,
    pub destination_bytes: Option<u64>,
    pub quarantined: u64,
    pub left_behind: u64,
    pub repaired: u64,
}

pub fn totals(report: &stored::Report) -> Totals {
    let sum = |f: fn(&stored::FolderResult) -> Option<u64>| -> Option<u64> {
        report.folders.iter().map(f).sum()
    };
    Totals {
        folders: report.folders.len() as u64,
        source_messages: report.folders.iter().map(|f| f.source_messages).sum(),
        source_bytes: report.folders.iter().map(|f| f.source_bytes).sum(),
        destination_messages: sum(|f| f.destination_messages),
        destination_bytes: sum(|f| f.destination_bytes),
        quarantined: report
            .folders
            .iter()
            .map(|f| f.quarantined.len() as u64)
            .sum(),
        left_behind: report
            .folders
            .iter()
            .map(|f| f.left_behind.len() as u64)
            .sum(),
        repaired: report.folders.iter().map(|f| f.repaired.len() as u64).sum(),
    }
}

/// Every member of `w`, by email, with their latest request.
pub async fn rows(db: &impl ConnectionTrait, w: &wave::Model) -> Result<Vec<Row>, DbErr> {
    let members: Vec<wave_member::Model> = super::store::members(db, w).await?;
    let users = super::preview::users_of(db, &members).await?;
    let ids: Vec<i64> = users.values().copied().collect();
    let latest = latest_requests(db, &ids).await?;
    Ok(members
        .into_iter()
        .map(|m| {
            let Some(user) = users.get(&m.email) else {
                return Row {
                    email: m.email,
                    state: "not signed in".into(),
                    totals: Totals::default(),
                };
            };
            let Some(request) = latest.get(user) else {
                return Row {
                    email: m.email,
                    state: "not started".into(),
                    totals: Totals::default(),
                };
            };
            let state = RequestState::parse(&request.state)
                .map_or_else(|| request.state.clone(), |s| s.in_words().to_owned());
            let totals = request
                .report
                .as_deref()
                .and_then(stored::read::<stored::Report>)
                .map(|r| totals(&r))
                .unwrap_or_default();
            Row {
                email: m.email,
                state,
                totals,
            }
        })
        .collect())
}

/// Each of `users`' latest request, by person.
pub async fn latest_requests(
    db: &impl ConnectionTrait,
    users: &[i64],
) -> Result<HashMap<i64, migration_request::Model>, DbErr> {
    let mut latest = HashMap::new();
    for chunk in users.chunks(VALUES_PER_QUERY) {
        let found = migration_request::Entity::find()
            .filter(migration_request::Column::UserId.is_in(chunk.iter().copied()))
            .order_by_asc(migration_request::Column::Id)
            .all(db)
            .await?;
        // Oldest first: the latest stays.
        latest.extend(found.into_iter().map(|r| (r.user_id, r)));
    }
    Ok(latest)
}

/// The rows as CSV, a header first.
pub fn csv(rows: &[Row]) -> String {
    let mut out = crate::spreadsheet::line(&[
        "email",
        "state",
        "folders",
        "messages on the old server",
        "bytes on the old server",
        "messages on the new server",
        "bytes on the new server",
        "kept aside",
        "left behind",
        "repaired",
    ]);
    let count = |n: Option<u64>| n.map(|n| n.to_string()).unwrap_or_default();
    for r in rows {
        let t = &r.totals;
        out.push_str(&crate::spreadsheet::line(&[
            r.email.as_str(),
            &r.state,
            &t.folders.to_string(),
            &t.source_messages.to_string(),
            &t.source_bytes.to_string(),
            &count(t.destination_messages),
            &count(t.destination_bytes),
            &t.quarantined.to_string(),
            &t.left_behind.to_string(),
            &t.repaired.to_string(),
        ]));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn folder(messages: u64, dest: Option<u64>, quarantined: usize) -> stored::FolderResult {
        stored::FolderResult {
            source: "INBOX".into(),
            destination: "INBOX".into(),
            source_messages: messages,
            source_bytes: messages * 100,
            destination_messages: dest,
            destination_bytes: dest.map(|d| d * 100),
            copied: dest.unwrap_or(0),
            quarantined: (0..quarantined)
                .map(|i| stored::Quarantined {
                    uid: i as u32,
                    reason: "refused".into(),
                    kept_whole: true,
                })
                .collect(),
            left_behind: vec![],
            repaired: vec![],
            notes: vec![],
        }
    }

    #[test]
    fn folders_add_up_and_an_uncounted_folder_leaves_the_new_side_unknown() {
        let report = stored::Report {
            folders: vec![folder(10, Some(9), 1), folder(5, Some(5), 0)],
            instructions: String::new(),
        };
        let t = totals(&report);
        assert_eq!(
            (t.folders, t.source_messages, t.source_bytes),
            (2, 15, 1500)
        );
        assert_eq!((t.destination_messages, t.quarantined), (Some(14), 1));
        let partial = stored::Report {
            folders: vec![folder(10, Some(10), 0), folder(5, None, 0)],
            instructions: String::new(),
        };
        assert_eq!(totals(&partial).destination_messages, None);
    }
}
