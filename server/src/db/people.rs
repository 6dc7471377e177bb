//! Queries about people (users) for the helpdesk and IT pages.
use std::collections::HashMap;

use app::dto::{Person, Role, UserId};
use sea_orm::sea_query::{Expr, Func, LikeExpr, SimpleExpr};
use sea_orm::{
    ColumnTrait, Condition, ConnectionTrait, DatabaseConnection, DbErr, EntityTrait, QueryFilter,
    QueryOrder, QuerySelect,
};

use super::entity::user;

/// Comma-separated role names → roles (unknown names are ignored).
pub fn parse_roles(s: &str) -> Vec<Role> {
    s.split(',').filter_map(|r| Role::parse(r.trim())).collect()
}

pub fn format_roles(roles: &[Role]) -> String {
    roles
        .iter()
        .map(|r| r.as_str())
        .collect::<Vec<_>>()
        .join(",")
}

/// People whose name or email contains `filter` (case-insensitive), most recent sign-in first.
pub async fn search(
    db: &DatabaseConnection,
    filter: &str,
    limit: u64,
) -> Result<Vec<Person>, DbErr> {
    let mut query = user::Entity::find()
        .order_by_desc(user::Column::LastLoginAt)
        .limit(limit);
    if !filter.is_empty() {
        let pattern = format!("%{}%", escape_like(&filter.to_lowercase()));
        let contains = |col: user::Column| -> SimpleExpr {
            Expr::expr(Func::lower(Expr::col(col)))
                .like(LikeExpr::new(pattern.clone()).escape('\\'))
        };
        query = query.filter(
            Condition::any()
                .add(contains(user::Column::Email))
                .add(contains(user::Column::DisplayName)),
        );
    }
    let rows = query.all(db).await?;
    Ok(rows.into_iter().map(person).collect())
}

/// Everyone who has signed in, by email.
pub async fn everyone(db: &impl ConnectionTrait) -> Result<Vec<Person>, DbErr> {
    let rows = user::Entity::find()
        .order_by_asc(user::Column::Email)
        .all(db)
        .await?;
    Ok(rows.into_iter().map(person).collect())
}

/// The person with this address (any case), if they have signed in.
pub async fn by_email(db: &impl ConnectionTrait, email: &str) -> Result<Option<Person>, DbErr> {
    let wanted = email.trim().to_lowercase();
    Ok(user::Entity::find()
        .filter(Expr::expr(Func::lower(Expr::col(user::Column::Email))).eq(wanted))
        .one(db)
        .await?
        .map(person))
}

/// One person by id.
pub async fn get(db: &impl ConnectionTrait, id: UserId) -> Result<Option<Person>, DbErr> {
    Ok(user::Entity::find_by_id(id.get())
        .one(db)
        .await?
        .map(person))
}

fn person(u: user::Model) -> Person {
    Person {
        user_id: UserId(u.id),
        email: u.email,
        display_name: u.display_name,
        roles: parse_roles(&u.roles),
        last_login_at: u.last_login_at,
    }
}

/// `%` and `_` in a search are literal characters, not wildcards.
fn escape_like(s: &str) -> String {
    s.replace('\\', "\\\\")
        .replace('%', "\\%")
        .replace('_', "\\_")
}

/// The people with `ids`, by id; read in chunks, within any database's limit on a query's values.
pub async fn by_ids(
    db: &impl ConnectionTrait,
    mut ids: Vec<i64>,
) -> Result<HashMap<i64, user::Model>, DbErr> {
    ids.sort_unstable();
    ids.dedup();
    let mut people = HashMap::with_capacity(ids.len());
    for chunk in ids.chunks(super::VALUES_PER_QUERY) {
        let found = user::Entity::find()
            .filter(user::Column::Id.is_in(chunk.iter().copied()))
            .all(db)
            .await?;
        people.extend(found.into_iter().map(|u| (u.id, u)));
    }
    Ok(people)
}

/// The people who have signed in among `emails` (lowercase), by address.
pub async fn ids_by_email(
    db: &impl ConnectionTrait,
    emails: &[String],
) -> Result<HashMap<String, i64>, DbErr> {
    let mut users: HashMap<String, i64> = HashMap::new();
    for chunk in emails.chunks(super::VALUES_PER_QUERY) {
        // Addresses are kept lowercase; people as their provider spelt them.
        let found: Vec<(i64, String)> = user::Entity::find()
            .select_only()
            .column(user::Column::Id)
            .column(user::Column::Email)
            .filter(
                Expr::expr(Func::lower(Expr::col(user::Column::Email)))
                    .is_in(chunk.iter().cloned()),
            )
            .into_tuple()
            .all(db)
            .await?;
        users.extend(
            found
                .into_iter()
                .map(|(id, email)| (email.to_lowercase(), id)),
        );
    }
    Ok(users)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn roles_round_trip() {
        let roles = vec![Role::User, Role::It];
        assert_eq!(parse_roles(&format_roles(&roles)), roles);
        assert_eq!(
            parse_roles("user, bogus ,helpdesk"),
            vec![Role::User, Role::Helpdesk]
        );
        assert!(parse_roles("").is_empty());
    }

    #[test]
    fn like_wildcards_are_escaped() {
        assert_eq!(escape_like("50%_a\\b"), "50\\%\\_a\\\\b");
    }
}
