//! The old addresses found in people's mail, and what each person said of them.
use std::collections::{BTreeMap, HashMap};

use app::dto::{AddressDecision, EmailAddress, OldAddress, PersonAddresses};
use sea_orm::sea_query::{Expr, OnConflict};
use sea_orm::{
    ActiveValue::Set, ColumnTrait, ConnectionTrait, DbErr, EntityTrait, QueryFilter, QueryOrder,
    QuerySelect,
};

use super::discovery::Candidate;
use super::exports::Routes;
use crate::db::entity::old_address;

/// When addresses were last looked for in `email`'s mail (`None`: never, or nothing was found).
pub async fn last_discovered(
    db: &impl ConnectionTrait,
    email: &EmailAddress,
) -> Result<Option<i64>, DbErr> {
    let at: Option<Option<i64>> = old_address::Entity::find()
        .select_only()
        .column_as(old_address::Column::DiscoveredAt.max(), "at")
        .filter(old_address::Column::Email.eq(email.as_str()))
        .into_tuple()
        .one(db)
        .await?;
    Ok(at.flatten())
}

/// Records what a look through the mail found: new addresses are suggested; what the person
/// decided stays decided; a suggestion no longer found goes.
pub async fn record_discovered(
    db: &impl ConnectionTrait,
    email: &EmailAddress,
    found: &[Candidate],
    now: i64,
) -> Result<(), DbErr> {
    for c in found {
        old_address::Entity::insert(old_address::ActiveModel {
            email: Set(email.as_str().to_owned()),
            address: Set(c.address.as_str().to_owned()),
            messages: Set(i64::try_from(c.messages).unwrap_or(i64::MAX)),
            score: Set((c.score * 100.0).round() as i64),
            last_seen: Set(c.last_seen),
            state: Set(AddressDecision::Suggested.as_str().to_owned()),
            discovered_at: Set(now),
            ..Default::default()
        })
        .on_conflict(
            OnConflict::columns([old_address::Column::Email, old_address::Column::Address])
                .update_columns([
                    old_address::Column::Messages,
                    old_address::Column::Score,
                    old_address::Column::LastSeen,
                    old_address::Column::DiscoveredAt,
                ])
                .to_owned(),
        )
        .exec_without_returning(db)
        .await?;
    }
    old_address::Entity::delete_many()
        .filter(old_address::Column::Email.eq(email.as_str()))
        .filter(old_address::Column::State.eq(AddressDecision::Suggested.as_str()))
        .filter(old_address::Column::DiscoveredAt.lt(now))
        .exec(db)
        .await?;
    Ok(())
}

#[derive(Debug, thiserror::Error)]
pub enum DecideError {
    #[error("{0} is not among the addresses found in your old mail; reload the page")]
    Unknown(String),
    #[error(transparent)]
    Db(#[from] DbErr),
}

/// The person says whether `address` is theirs.
pub async fn decide(
    db: &impl ConnectionTrait,
    email: &EmailAddress,
    address: &EmailAddress,
    decision: AddressDecision,
    now: i64,
) -> Result<(), DecideError> {
    let changed = old_address::Entity::update_many()
        .col_expr(old_address::Column::State, Expr::value(decision.as_str()))
        .col_expr(old_address::Column::DecidedAt, Expr::value(now))
        .filter(old_address::Column::Email.eq(email.as_str()))
        .filter(old_address::Column::Address.eq(address.as_str()))
        .exec(db)
        .await?;
    if changed.rows_affected == 0 {
        return Err(DecideError::Unknown(address.to_string()));
    }
    Ok(())
}

/// One person's addresses, strongest first, as they may see them: whether someone else confirmed
/// each too, not who.
pub async fn of_person(
    db: &impl ConnectionTrait,
    email: &EmailAddress,
) -> Result<PersonAddresses, DbErr> {
    let rows = old_address::Entity::find()
        .filter(old_address::Column::Email.eq(email.as_str()))
        .order_by_desc(old_address::Column::Score)
        .all(db)
        .await?;
    let claims = claims_of(db, rows.iter().map(|r| r.address.clone()).collect()).await?;
    let mut mine = person(email.clone(), rows, &claims);
    for a in &mut mine.addresses {
        a.also_claimed_by.clear();
    }
    Ok(mine)
}

/// Everyone's addresses (IT), people with a conflict first.
pub async fn everyone(db: &impl ConnectionTrait) -> Result<Vec<PersonAddresses>, DbErr> {
    let rows = old_address::Entity::find()
        .order_by_asc(old_address::Column::Email)
        .order_by_desc(old_address::Column::Score)
        .all(db)
        .await?;
    let claims = claims(&rows);
    let mut by_person: BTreeMap<String, Vec<old_address::Model>> = BTreeMap::new();
    for row in rows {
        by_person.entry(row.email.clone()).or_default().push(row);
    }
    let mut people: Vec<PersonAddresses> = by_person
        .into_iter()
        .filter_map(|(email, rows)| Some(person(EmailAddress::parse(&email).ok()?, rows, &claims)))
        .collect();
    people.sort_by_key(|p| !p.addresses.iter().any(|a| !a.also_claimed_by.is_empty()));
    Ok(people)
}

/// The routing maps' routes and conflicts, from every confirmation and everyone known.
pub async fn routes(db: &impl ConnectionTrait) -> Result<Routes, DbErr> {
    let known = known_people(db).await?;
    Ok(super::exports::routes(&confirmed(db).await?, &known))
}

/// Every person Fountain knows by their new address (signed in, or in a wave): an old address that
/// is one of theirs is never routed to someone else.
async fn known_people(
    db: &impl ConnectionTrait,
) -> Result<std::collections::HashSet<EmailAddress>, DbErr> {
    use crate::db::entity::{user, wave_member};
    let users: Vec<String> = user::Entity::find()
        .select_only()
        .column(user::Column::Email)
        .into_tuple()
        .all(db)
        .await?;
    let members: Vec<String> = wave_member::Entity::find()
        .select_only()
        .column(wave_member::Column::Email)
        .into_tuple()
        .all(db)
        .await?;
    Ok(users
        .iter()
        .chain(&members)
        .filter_map(|e| EmailAddress::parse(e).ok())
        .collect())
}

/// Every confirmed (person, old address), for the routing maps.
async fn confirmed(db: &impl ConnectionTrait) -> Result<Vec<(EmailAddress, EmailAddress)>, DbErr> {
    let rows: Vec<(String, String)> = old_address::Entity::find()
        .select_only()
        .column(old_address::Column::Email)
        .column(old_address::Column::Address)
        .filter(old_address::Column::State.eq(AddressDecision::Confirmed.as_str()))
        .into_tuple()
        .all(db)
        .await?;
    Ok(rows
        .into_iter()
        .filter_map(|(p, a)| Some((EmailAddress::parse(&p).ok()?, EmailAddress::parse(&a).ok()?)))
        .collect())
}

/// Who confirmed each of `addresses`.
async fn claims_of(
    db: &impl ConnectionTrait,
    addresses: Vec<String>,
) -> Result<HashMap<String, Vec<String>>, DbErr> {
    let rows = old_address::Entity::find()
        .filter(old_address::Column::Address.is_in(addresses))
        .filter(old_address::Column::State.eq(AddressDecision::Confirmed.as_str()))
        .all(db)
        .await?;
    Ok(claims(&rows))
}

fn claims(rows: &[old_address::Model]) -> HashMap<String, Vec<String>> {
    let mut by_address: HashMap<String, Vec<String>> = HashMap::new();
    for r in rows {
        if r.state == AddressDecision::Confirmed.as_str() {
            by_address
                .entry(r.address.clone())
                .or_default()
                .push(r.email.clone());
        }
    }
    by_address
}

fn person(
    email: EmailAddress,
    rows: Vec<old_address::Model>,
    claims: &HashMap<String, Vec<String>>,
) -> PersonAddresses {
    let addresses = rows
        .into_iter()
        .filter_map(|r| {
            let also_claimed_by = claims
                .get(&r.address)
                .into_iter()
                .flatten()
                .filter(|who| **who != r.email)
                .filter_map(|who| EmailAddress::parse(who).ok())
                .collect();
            let also_claimed_by: Vec<EmailAddress> = also_claimed_by;
            Some(OldAddress {
                address: EmailAddress::parse(&r.address).ok()?,
                messages: u64::try_from(r.messages).unwrap_or(0),
                last_seen: r.last_seen,
                decision: AddressDecision::parse(&r.state)?,
                contested: !also_claimed_by.is_empty(),
                also_claimed_by,
            })
        })
        .collect();
    PersonAddresses { email, addresses }
}
