//! Per-person destinations: most people's mail goes to the default new server; IT sends some to
//! another configured one (`[migration.destinations.NAME]`), by the wave file's `destination` column
//! or by hand. A request keeps the destination it was submitted with; a person's destination can no
//! longer change once their migration has started (their mail would be split between two servers),
//! unless every request they had was cancelled.
use std::collections::HashMap;

use app::dto::{
    DestinationBoard, DestinationName, DestinationOutcome, EmailAddress, PersonDestination,
    RequestState, SwitchTarget,
};
use sea_orm::sea_query::OnConflict;
use sea_orm::{
    ColumnTrait, ConnectionTrait, DbErr, EntityTrait, QueryFilter, QueryOrder, QuerySelect, Set,
};

use crate::db::entity::{migration_request, person_destination as row};

/// The destinations whose requests wait: IT paused new claims on them, or their load guard tripped.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Closed {
    /// The default new server.
    pub default: bool,
    pub destinations: Vec<DestinationName>,
}

impl Closed {
    pub fn is_empty(&self) -> bool {
        !self.default && self.destinations.is_empty()
    }

    /// The condition on `migration_requests` that leaves their requests alone (`" AND …"`, or "").
    /// The names are written into the statement: [`DestinationName`] holds only letters, digits,
    /// `-` and `_`, so nothing in them can break out of the quotes.
    pub fn sql(&self) -> String {
        let mut out = String::new();
        if self.default {
            out.push_str(" AND destination IS NOT NULL");
        }
        if !self.destinations.is_empty() {
            let names: Vec<String> = self
                .destinations
                .iter()
                .map(|n| format!("'{}'", n.as_str()))
                .collect();
            out.push_str(&format!(
                " AND (destination IS NULL OR destination NOT IN ({}))",
                names.join(", ")
            ));
        }
        out
    }
}

/// The destination servers a wave file may name (its `destination` column).
pub fn configured(
    migration: Option<&crate::config::MigrationConfig>,
) -> std::collections::HashSet<String> {
    migration
        .map(|m| {
            m.destination_names()
                .into_iter()
                .map(String::from)
                .collect()
        })
        .unwrap_or_default()
}

/// The configured names for a message: `“a”, “b”`.
pub fn listed(names: &[DestinationName]) -> String {
    if names.is_empty() {
        return "none besides the default".into();
    }
    names
        .iter()
        .map(|n| format!("“{n}”"))
        .collect::<Vec<_>>()
        .join(", ")
}

/// The person's destination (`None`: the default new server).
pub async fn of_person(
    db: &impl ConnectionTrait,
    email: &str,
) -> Result<Option<DestinationName>, DbErr> {
    let found = row::Entity::find()
        .filter(row::Column::Email.eq(email.trim().to_lowercase()))
        .one(db)
        .await?;
    Ok(found.and_then(|r| DestinationName::parse(&r.destination).ok()))
}

/// The destinations of those among `emails` (lowercase) sent elsewhere than the default, by address.
pub async fn of_people(
    db: &impl ConnectionTrait,
    emails: &[String],
) -> Result<HashMap<String, DestinationName>, DbErr> {
    let mut out = HashMap::new();
    for chunk in emails.chunks(crate::db::VALUES_PER_QUERY) {
        let found = row::Entity::find()
            .filter(row::Column::Email.is_in(chunk.iter().cloned()))
            .all(db)
            .await?;
        out.extend(found.into_iter().filter_map(|r| {
            let name = DestinationName::parse(&r.destination).ok()?;
            Some((r.email, name))
        }));
    }
    Ok(out)
}

/// Sends `people` to `to` (`None`: back to the default new server), as `by`. Someone whose migration
/// has started keeps their destination and is listed with why.
pub async fn set(
    db: &impl ConnectionTrait,
    people: &[EmailAddress],
    to: Option<&DestinationName>,
    by: &str,
    at: i64,
) -> Result<DestinationOutcome, DbErr> {
    let emails: Vec<String> = people.iter().map(|e| e.as_str().to_owned()).collect();
    let started = started(db, &emails).await?;
    let current = of_people(db, &emails).await?;
    let mut outcome = DestinationOutcome::default();
    for email in &emails {
        let now = current.get(email);
        if now == to {
            outcome.set += 1;
            continue;
        }
        if started.contains_key(email) {
            let going = now.map_or("the default new server".to_owned(), |n| format!("“{n}”"));
            outcome.refused.push((
                email.clone(),
                format!(
                    "their migration has started, to {going}: a second destination would split \
                     their mail (cancel their request first to send them elsewhere)"
                ),
            ));
            continue;
        }
        match to {
            Some(name) => {
                row::Entity::insert(row::ActiveModel {
                    email: Set(email.clone()),
                    destination: Set(name.as_str().to_owned()),
                    set_by: Set(by.to_owned()),
                    set_at: Set(at),
                    ..Default::default()
                })
                .on_conflict(
                    OnConflict::column(row::Column::Email)
                        .update_columns([
                            row::Column::Destination,
                            row::Column::SetBy,
                            row::Column::SetAt,
                        ])
                        .to_owned(),
                )
                .exec_without_returning(db)
                .await?;
            }
            None => {
                row::Entity::delete_many()
                    .filter(row::Column::Email.eq(email.as_str()))
                    .exec(db)
                    .await?;
            }
        }
        outcome.set += 1;
    }
    Ok(outcome)
}

/// Those among `emails` (lowercase) with a request that was not cancelled, by address.
async fn started(
    db: &impl ConnectionTrait,
    emails: &[String],
) -> Result<HashMap<String, i64>, DbErr> {
    let ids = crate::db::people::ids_by_email(db, emails).await?;
    let mut out = HashMap::new();
    let by_id: HashMap<i64, &String> = ids.iter().map(|(e, id)| (*id, e)).collect();
    let all: Vec<i64> = by_id.keys().copied().collect();
    for chunk in all.chunks(crate::db::VALUES_PER_QUERY) {
        let holding: Vec<i64> = migration_request::Entity::find()
            .select_only()
            .column(migration_request::Column::UserId)
            .filter(migration_request::Column::UserId.is_in(chunk.iter().copied()))
            .filter(migration_request::Column::State.ne(RequestState::Cancelled.as_str()))
            .into_tuple()
            .all(db)
            .await?;
        for user in holding {
            if let Some(email) = by_id.get(&user) {
                out.insert((*email).clone(), user);
            }
        }
    }
    Ok(out)
}

#[derive(Debug, thiserror::Error)]
pub enum PeopleError {
    #[error("there is no wave named “{0}”")]
    NoWave(String),
    #[error("the wave “{0}” has nobody in it")]
    Empty(String),
    #[error(transparent)]
    Db(#[from] DbErr),
}

/// The people a form or the command line names: a wave's members, or addresses.
pub async fn people_of(
    db: &impl ConnectionTrait,
    target: SwitchTarget,
) -> Result<Vec<EmailAddress>, PeopleError> {
    let name = match target {
        SwitchTarget::People(people) => return Ok(people),
        SwitchTarget::Wave(name) => name,
    };
    let wave = super::waves::store::find(db, &name)
        .await?
        .ok_or_else(|| PeopleError::NoWave(name.to_string()))?;
    let members = super::waves::store::members(db, &wave).await?;
    if members.is_empty() {
        return Err(PeopleError::Empty(name.to_string()));
    }
    Ok(members
        .iter()
        .filter_map(|m| EmailAddress::parse(&m.email).ok())
        .collect())
}

/// IT's view: the configured destinations and everyone sent to one, newest first.
pub async fn board(
    db: &impl ConnectionTrait,
    configured: Vec<DestinationName>,
) -> Result<DestinationBoard, DbErr> {
    let rows = row::Entity::find()
        .order_by_desc(row::Column::SetAt)
        .order_by_asc(row::Column::Email)
        .all(db)
        .await?;
    let emails: Vec<String> = rows.iter().map(|r| r.email.clone()).collect();
    let started = started(db, &emails).await?;
    let people = rows
        .into_iter()
        .filter_map(|r| {
            Some(PersonDestination {
                started: started.contains_key(&r.email),
                destination: DestinationName::parse(&r.destination).ok()?,
                email: r.email,
                set_by: r.set_by,
                set_at: r.set_at,
            })
        })
        .collect();
    Ok(DestinationBoard { configured, people })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn name(s: &str) -> DestinationName {
        DestinationName::parse(s).unwrap()
    }

    #[test]
    fn closed_destinations_narrow_the_claim() {
        assert_eq!(Closed::default().sql(), "");
        let default = Closed {
            default: true,
            destinations: Vec::new(),
        };
        assert_eq!(default.sql(), " AND destination IS NOT NULL");
        let two = Closed {
            default: false,
            destinations: vec![name("exchange"), name("zimbra-2")],
        };
        assert_eq!(
            two.sql(),
            " AND (destination IS NULL OR destination NOT IN ('exchange', 'zimbra-2'))"
        );
    }
}
