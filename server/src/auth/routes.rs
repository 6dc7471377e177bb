//! `/auth/login`, `/auth/callback`, `/auth/logout`.
use actix_web::http::header::LOCATION;
use actix_web::{get, post, web, HttpRequest, HttpResponse};
use sea_orm::sea_query::OnConflict;
use sea_orm::{ActiveModelTrait, ColumnTrait, EntityTrait, QueryFilter, Set};
use serde::Deserialize;

use super::error::AuthError;
use super::roles::roles_from_claims;
use super::session;
use crate::db::entity::{login_attempt, user};
use crate::db::now;
use crate::db::people::format_roles;
use crate::web::AppState;

/// A sign-in must come back within this many seconds.
const ATTEMPT_TTL_SECS: i64 = 600;

pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.service(login).service(callback).service(logout);
}

#[derive(Deserialize)]
struct LoginQuery {
    return_to: Option<String>,
}

#[get("/auth/login")]
async fn login(
    state: web::Data<AppState>,
    query: web::Query<LoginQuery>,
) -> Result<HttpResponse, AuthError> {
    let begin = state.oidc.begin().await?;
    let now = now();
    login_attempt::Entity::delete_many()
        .filter(login_attempt::Column::CreatedAt.lt(now - ATTEMPT_TTL_SECS))
        .exec(&state.db)
        .await?;
    login_attempt::ActiveModel {
        state: Set(begin.state),
        nonce: Set(begin.nonce),
        pkce_verifier: Set(begin.pkce_verifier),
        return_to: Set(safe_return_to(query.return_to.as_deref()).unwrap_or_default()),
        created_at: Set(now),
    }
    .insert(&state.db)
    .await?;
    Ok(HttpResponse::Found()
        .insert_header((LOCATION, begin.authorize_url.to_string()))
        .finish())
}

#[derive(Deserialize)]
struct CallbackQuery {
    code: Option<String>,
    state: Option<String>,
    error: Option<String>,
    error_description: Option<String>,
}

#[get("/auth/callback")]
async fn callback(
    state: web::Data<AppState>,
    query: web::Query<CallbackQuery>,
) -> Result<HttpResponse, AuthError> {
    let query = query.into_inner();
    // One use only: the attempt is consumed whatever happens next.
    let attempt = match &query.state {
        Some(s) => {
            login_attempt::Entity::find_by_id(s.clone())
                .one(&state.db)
                .await?
        }
        None => None,
    };
    let attempt = attempt.ok_or(AuthError::UnknownState)?;
    login_attempt::Entity::delete_by_id(attempt.state.clone())
        .exec(&state.db)
        .await?;
    if attempt.created_at < now() - ATTEMPT_TTL_SECS {
        return Err(AuthError::UnknownState);
    }
    if let Some(error) = query.error {
        return Err(AuthError::ProviderRefused(
            query.error_description.unwrap_or(error),
        ));
    }
    let code = query
        .code
        .ok_or_else(|| AuthError::ProviderRefused("no authorization code".into()))?;
    let identity = state
        .oidc
        .finish(code, attempt.pkce_verifier, attempt.nonce)
        .await?;
    let roles = roles_from_claims(&identity.claims, &state.config.auth.roles);
    if roles.is_empty() {
        return Err(AuthError::NoRole);
    }

    let now = now();
    user::Entity::insert(user::ActiveModel {
        subject: Set(identity.subject.clone()),
        email: Set(identity.email.clone()),
        display_name: Set(identity.display_name.clone()),
        roles: Set(format_roles(&roles)),
        created_at: Set(now),
        last_login_at: Set(now),
        ..Default::default()
    })
    .on_conflict(
        OnConflict::column(user::Column::Subject)
            .update_columns([
                user::Column::Email,
                user::Column::DisplayName,
                user::Column::Roles,
                user::Column::LastLoginAt,
            ])
            .to_owned(),
    )
    .exec(&state.db)
    .await?;
    let person = user::Entity::find()
        .filter(user::Column::Subject.eq(identity.subject.as_str()))
        .one(&state.db)
        .await?
        .ok_or_else(|| {
            AuthError::Database(sea_orm::DbErr::RecordNotFound("user after upsert".into()))
        })?;

    let ttl = i64::from(state.config.auth.session_hours) * 3600;
    let token = session::create(&state.db, person.id, &roles, ttl).await?;
    tracing::info!(user_id = person.id, roles = %format_roles(&roles), "signed in");
    Ok(HttpResponse::Found()
        .cookie(session::cookie(token, state.config.https(), ttl))
        .insert_header((
            LOCATION,
            if attempt.return_to.is_empty() {
                home_for(&roles)
            } else {
                attempt.return_to
            },
        ))
        .finish())
}

#[post("/auth/logout")]
async fn logout(state: web::Data<AppState>, req: HttpRequest) -> HttpResponse {
    if let Some(c) = req.cookie(session::COOKIE) {
        if let Err(e) = session::revoke(&state.db, c.value()).await {
            tracing::error!(error = %e, "could not delete a session at sign-out");
        }
    }
    HttpResponse::SeeOther()
        .cookie(session::removal(state.config.https()))
        .insert_header((LOCATION, "/"))
        .finish()
}

/// Only a path on this site: never another host (open redirect), never a scheme-relative URL.
pub fn safe_return_to(candidate: Option<&str>) -> Option<String> {
    match candidate {
        Some(p)
            if p.starts_with('/')
                && !p.starts_with("//")
                && !p.starts_with("/\\")
                && !p.starts_with("/auth/")
                && !p.chars().any(|c| c.is_control() || c == '\\') =>
        {
            Some(p.to_owned())
        }
        _ => None,
    }
}

/// Where a person lands after signing in when they were not on their way somewhere.
pub fn home_for(roles: &[app::dto::Role]) -> String {
    use app::dto::Role;
    let home = if roles.contains(&Role::User) {
        "/me"
    } else if roles.contains(&Role::Helpdesk) {
        "/helpdesk"
    } else {
        "/it"
    };
    home.to_owned()
}

#[cfg(test)]
mod tests {
    use super::{home_for, safe_return_to};
    use app::dto::Role;

    #[test]
    fn return_to_stays_on_site() {
        assert_eq!(
            safe_return_to(Some("/helpdesk?q=ann")).as_deref(),
            Some("/helpdesk?q=ann")
        );
        assert_eq!(safe_return_to(None), None);
        for hostile in [
            "https://evil.example",
            "//evil.example",
            "/\\evil.example",
            "evil",
            "/a\r\nSet-Cookie: x",
            "/auth/logout",
        ] {
            assert_eq!(safe_return_to(Some(hostile)), None, "{hostile:?}");
        }
    }

    #[test]
    fn staff_without_the_user_role_land_in_their_area() {
        assert_eq!(home_for(&[Role::User, Role::It]), "/me");
        assert_eq!(home_for(&[Role::Helpdesk]), "/helpdesk");
        assert_eq!(home_for(&[Role::It]), "/it");
    }
}
