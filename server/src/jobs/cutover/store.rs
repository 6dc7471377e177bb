//! The switch, the catch-ups' schedule and what arrived after the switch, in the database.
use std::collections::HashMap;

use app::dto::EmailAddress;
use sea_orm::sea_query::{Expr, OnConflict};
use sea_orm::{
    ActiveValue::Set, ColumnTrait, ConnectionTrait, DbErr, EntityTrait, QueryFilter, QueryOrder,
    QuerySelect,
};

use super::schedule::CatchUpSchedule;
use crate::db::entity::{arrival, cutover};

/// What a switch did.
#[derive(Debug, Clone, Default, PartialEq, Eq, serde::Serialize)]
pub struct Switched {
    /// People switched now.
    pub switched: Vec<EmailAddress>,
    /// People switched before (their earlier switch stands: mail after it is what counts).
    pub already: Vec<EmailAddress>,
}

/// Marks delivery for `people` as moved to the new server at `at`: each gets a catch-up at once and
/// then on `schedule`. Someone switched before keeps their switch.
pub async fn switch(
    db: &impl ConnectionTrait,
    people: &[EmailAddress],
    wave_id: Option<i64>,
    by: &str,
    at: i64,
    schedule: &CatchUpSchedule,
) -> Result<Switched, DbErr> {
    let mut out = Switched::default();
    for email in people {
        let inserted = cutover::Entity::insert(cutover::ActiveModel {
            email: Set(email.as_str().to_owned()),
            wave_id: Set(wave_id),
            switched_at: Set(at),
            switched_by: Set(by.to_owned()),
            catch_ups: Set(0),
            next_catch_up_at: Set(Some(schedule.first(at))),
            ..Default::default()
        })
        .on_conflict(
            OnConflict::column(cutover::Column::Email)
                .do_nothing()
                .to_owned(),
        )
        .exec_without_returning(db)
        .await?;
        if inserted == 1 {
            out.switched.push(email.clone());
        } else {
            out.already.push(email.clone());
        }
    }
    Ok(out)
}

/// The person's switch, if delivery for them moved.
pub async fn of(db: &impl ConnectionTrait, email: &str) -> Result<Option<cutover::Model>, DbErr> {
    cutover::Entity::find()
        .filter(cutover::Column::Email.eq(email.to_lowercase()))
        .one(db)
        .await
}

/// Switches whose next catch-up is due, the longest waiting first.
pub async fn due(
    db: &impl ConnectionTrait,
    now: i64,
    limit: u64,
) -> Result<Vec<cutover::Model>, DbErr> {
    cutover::Entity::find()
        .filter(cutover::Column::NextCatchUpAt.lte(now))
        .order_by_asc(cutover::Column::NextCatchUpAt)
        .limit(limit)
        .all(db)
        .await
}

/// After the catch-up due was asked for (`asked`) or could not be: the next one, and why it could
/// not. Only if no other worker got there first.
pub async fn rescheduled(
    db: &impl ConnectionTrait,
    row: &cutover::Model,
    now: i64,
    asked: bool,
    next: Option<i64>,
    trouble: Option<&str>,
) -> Result<bool, DbErr> {
    let mut update = cutover::Entity::update_many()
        .col_expr(cutover::Column::NextCatchUpAt, Expr::value(next))
        .filter(cutover::Column::Id.eq(row.id))
        .filter(cutover::Column::NextCatchUpAt.eq(row.next_catch_up_at));
    if asked {
        // A catch-up runs: should the password be forgotten again later, the person is asked again.
        update = update
            .col_expr(cutover::Column::CatchUps, Expr::value(row.catch_ups + 1))
            .col_expr(cutover::Column::LastCatchUpAt, Expr::value(now))
            .col_expr(
                cutover::Column::PasswordAskedAt,
                Expr::value(Option::<i64>::None),
            );
    }
    // A reason to wait replaces what was said; a copy under way (no reason) leaves the last read's
    // trouble for IT to see; a catch-up asked for clears it (its read says again if it fails).
    if asked || trouble.is_some() {
        update = update.col_expr(cutover::Column::ProbeError, Expr::value(trouble));
    }
    Ok(update.exec(db).await?.rows_affected == 1)
}

/// The person was asked at `at` for the old password their catch-ups wait for.
pub async fn password_asked(db: &impl ConnectionTrait, id: i64, at: i64) -> Result<(), DbErr> {
    cutover::Entity::update_many()
        .col_expr(cutover::Column::PasswordAskedAt, Expr::value(at))
        .filter(cutover::Column::Id.eq(id))
        .exec(db)
        .await?;
    Ok(())
}

/// The old mailbox was read at `at` (or could not be, and why).
pub async fn probed(
    db: &impl ConnectionTrait,
    email: &str,
    at: i64,
    error: Option<&str>,
) -> Result<(), DbErr> {
    let mut update = cutover::Entity::update_many()
        .col_expr(cutover::Column::ProbeError, Expr::value(error))
        .filter(cutover::Column::Email.eq(email));
    if error.is_none() {
        update = update.col_expr(cutover::Column::ProbedAt, Expr::value(at));
    }
    update.exec(db).await?;
    Ok(())
}

/// A message found on the old server after the switch.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Found {
    pub folder: String,
    pub uid_validity: u32,
    pub uid: u32,
    pub arrived_at: i64,
    pub address: String,
}

/// Records what arrived (a message seen before is not counted again).
pub async fn record_arrivals(
    db: &impl ConnectionTrait,
    email: &str,
    found: &[Found],
    now: i64,
) -> Result<(), DbErr> {
    for chunk in found.chunks(200) {
        let rows = chunk.iter().map(|f| arrival::ActiveModel {
            email: Set(email.to_owned()),
            folder: Set(f.folder.clone()),
            uid_validity: Set(i64::from(f.uid_validity)),
            uid: Set(i64::from(f.uid)),
            arrived_at: Set(f.arrived_at),
            address: Set(f.address.clone()),
            seen_at: Set(now),
            ..Default::default()
        });
        arrival::Entity::insert_many(rows)
            .on_conflict(
                OnConflict::columns([
                    arrival::Column::Email,
                    arrival::Column::Folder,
                    arrival::Column::UidValidity,
                    arrival::Column::Uid,
                ])
                .do_nothing()
                .to_owned(),
            )
            .exec_without_returning(db)
            .await?;
    }
    Ok(())
}

/// What arrived for each person, by address: (messages, last arrival).
pub async fn arrivals_by_address(
    db: &impl ConnectionTrait,
) -> Result<HashMap<String, Vec<(String, u64, i64)>>, DbErr> {
    let rows: Vec<(String, String, i64, i64)> = arrival::Entity::find()
        .select_only()
        .column(arrival::Column::Email)
        .column(arrival::Column::Address)
        .column_as(arrival::Column::Id.count(), "messages")
        .column_as(arrival::Column::ArrivedAt.max(), "last")
        .group_by(arrival::Column::Email)
        .group_by(arrival::Column::Address)
        .into_tuple()
        .all(db)
        .await?;
    let mut by_person: HashMap<String, Vec<(String, u64, i64)>> = HashMap::new();
    for (email, address, messages, last) in rows {
        by_person.entry(email).or_default().push((
            address,
            u64::try_from(messages).unwrap_or(0),
            last,
        ));
    }
    Ok(by_person)
}

/// Everyone switched.
pub async fn all(db: &impl ConnectionTrait) -> Result<Vec<cutover::Model>, DbErr> {
    cutover::Entity::find()
        .order_by_asc(cutover::Column::Email)
        .all(db)
        .await
}

#[derive(Debug, thiserror::Error)]
pub enum SwitchError {
    #[error("there is no wave named “{0}”")]
    NoWave(String),
    #[error("the wave “{0}” has nobody in it")]
    Empty(String),
    #[error(transparent)]
    Db(#[from] DbErr),
}

/// Marks delivery moved for everyone in the wave `name`.
pub async fn switch_wave(
    db: &impl ConnectionTrait,
    name: &app::dto::WaveName,
    by: &str,
    at: i64,
    schedule: &CatchUpSchedule,
) -> Result<Switched, SwitchError> {
    let wave = crate::jobs::waves::store::find(db, name)
        .await?
        .ok_or_else(|| SwitchError::NoWave(name.to_string()))?;
    let members = crate::jobs::waves::store::members(db, &wave).await?;
    if members.is_empty() {
        return Err(SwitchError::Empty(name.to_string()));
    }
    let people: Vec<EmailAddress> = members
        .iter()
        .filter_map(|m| EmailAddress::parse(&m.email).ok())
        .collect();
    Ok(switch(db, &people, Some(wave.id), by, at, schedule).await?)
}
