//! `/auth/login`, `/auth/callback`, `/auth/logout` and `/auth/logout-everywhere`, and sign-in
//! errors as pages.
use actix_web::http::header::LOCATION;
use actix_web::http::StatusCode;
use actix_web::{get, post, web, HttpRequest, HttpResponse, ResponseError};
use sea_orm::sea_query::OnConflict;
use sea_orm::{ColumnTrait, EntityTrait, QueryFilter, Set};
use serde::Deserialize;

use super::page::message_page;
use super::AppState;
use crate::auth::attempt::{self, SignInAttempt};
use crate::auth::error::AuthError;
use crate::auth::roles::roles_from_claims;
use crate::auth::session;
use crate::db::entity::user;
use crate::db::now;
use crate::db::people::format_roles;

pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.service(login)
        .service(callback)
        .service(logout)
        .service(logout_everywhere);
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
    let attempt = SignInAttempt {
        state: begin.state,
        nonce: begin.nonce,
        pkce_verifier: begin.pkce_verifier,
        return_to: safe_return_to(query.return_to.as_deref()).unwrap_or_default(),
        created_at: now(),
    };
    Ok(HttpResponse::Found()
        .cookie(attempt::cookie(
            attempt.seal(&state.sign_in_key),
            state.config.https(),
        ))
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

/// The provider's error code as people may see it: one of OAuth's own codes (RFC 6749, OpenID
/// Connect), never free text from the query string.
fn provider_error_code(error: &str) -> &'static str {
    const KNOWN: [&str; 10] = [
        "access_denied",
        "invalid_request",
        "unauthorized_client",
        "unsupported_response_type",
        "invalid_scope",
        "server_error",
        "temporarily_unavailable",
        "login_required",
        "consent_required",
        "interaction_required",
    ];
    KNOWN
        .into_iter()
        .find(|k| *k == error)
        .unwrap_or("an unknown error")
}

#[get("/auth/callback")]
async fn callback(
    state: web::Data<AppState>,
    req: HttpRequest,
    query: web::Query<CallbackQuery>,
) -> Result<HttpResponse, AuthError> {
    let query = query.into_inner();
    // Only the browser that started this sign-in holds its attempt; one use only.
    let cookie = req.cookie(attempt::COOKIE);
    let attempt = SignInAttempt::open(
        cookie.as_ref().map(|c| c.value()),
        query.state.as_deref(),
        &state.sign_in_key,
        now(),
    )?;
    if let Some(error) = query.error {
        tracing::warn!(
            error = %error,
            description = query.error_description.as_deref().unwrap_or(""),
            "the provider refused the sign-in"
        );
        return Err(AuthError::ProviderRefused(
            provider_error_code(&error).to_owned(),
        ));
    }
    let code = query
        .code
        .ok_or_else(|| AuthError::ProviderRefused("no authorization code".into()))?;
    let identity = state
        .oidc
        .finish(code, attempt.pkce_verifier, attempt.nonce)
        .await?;
    state
        .admission
        .check(&identity.email, identity.email_verified)?;
    let roles = roles_from_claims(&identity.claims, &state.config.auth.roles);
    if roles.is_empty() {
        return Err(AuthError::NoRole);
    }
    ensure_one_person(&state.db, &state.oidc.issuer_id, &identity).await?;

    let person = record_sign_in(&state.db, &state.oidc.issuer_id, &identity, &roles).await?;
    let ttl = i64::from(state.config.auth.session_hours) * 3600;
    let token = session::create(&state.db, person.id, &roles, ttl).await?;
    tracing::info!(user_id = person.id, roles = %format_roles(&roles), "signed in");
    Ok(HttpResponse::Found()
        .cookie(session::cookie(token, state.config.https(), ttl))
        .cookie(attempt::removal(state.config.https()))
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

/// Creates or updates the person's row from what the provider vouched for; the row.
async fn record_sign_in(
    db: &sea_orm::DatabaseConnection,
    issuer: &str,
    identity: &crate::auth::oidc::Identity,
    roles: &[app::dto::Role],
) -> Result<user::Model, AuthError> {
    let now = now();
    user::Entity::insert(user::ActiveModel {
        subject: Set(identity.subject.clone()),
        issuer: Set(issuer.to_owned()),
        email: Set(identity.email.clone()),
        display_name: Set(identity.display_name.clone()),
        roles: Set(format_roles(roles)),
        created_at: Set(now),
        last_login_at: Set(now),
        ..Default::default()
    })
    .on_conflict(
        OnConflict::column(user::Column::Subject)
            .update_columns([
                user::Column::Issuer,
                user::Column::Email,
                user::Column::DisplayName,
                user::Column::Roles,
                user::Column::LastLoginAt,
            ])
            .to_owned(),
    )
    .exec(db)
    .await?;
    user::Entity::find()
        .filter(user::Column::Subject.eq(identity.subject.as_str()))
        .one(db)
        .await?
        .ok_or_else(|| {
            AuthError::Database(sea_orm::DbErr::RecordNotFound("user after upsert".into()))
        })
}

#[post("/auth/logout")]
async fn logout(state: web::Data<AppState>, req: HttpRequest) -> HttpResponse {
    if let Some(c) = req.cookie(session::COOKIE) {
        if let Err(e) = session::revoke(&state.db, c.value()).await {
            tracing::error!(error = %e, "could not delete a session at sign-out");
        }
    }
    signed_out(&state)
}

/// Ends every session of the signed-in person (a lost laptop, a shared computer).
#[post("/auth/logout-everywhere")]
async fn logout_everywhere(state: web::Data<AppState>, req: HttpRequest) -> HttpResponse {
    if let Some(c) = req.cookie(session::COOKIE) {
        match session::revoke_all(&state.db, c.value()).await {
            Ok(n) => tracing::info!(sessions = n, "signed out everywhere"),
            Err(e) => tracing::error!(error = %e, "could not end the sessions at sign-out"),
        }
    }
    signed_out(&state)
}

/// Back to the landing page, the browser's session cookie gone.
fn signed_out(state: &AppState) -> HttpResponse {
    HttpResponse::SeeOther()
        .cookie(session::removal(state.config.https()))
        .insert_header((LOCATION, "/"))
        .finish()
}

/// One account per person: a subject is this issuer's (an account made by another sign-in service
/// is not this person's), and an email address belongs to one subject only.
async fn ensure_one_person(
    db: &sea_orm::DatabaseConnection,
    issuer: &str,
    identity: &crate::auth::oidc::Identity,
) -> Result<(), AuthError> {
    use sea_orm::sea_query::{Expr, Func};
    if let Some(known) = user::Entity::find()
        .filter(user::Column::Subject.eq(identity.subject.as_str()))
        .one(db)
        .await?
    {
        // Accounts from before issuers were recorded have none: they are adopted.
        if !known.issuer.is_empty() && known.issuer != issuer {
            tracing::warn!(user_id = known.id, "a subject of another issuer signed in");
            return Err(AuthError::OtherIssuer);
        }
    }
    let same_email = user::Entity::find()
        .filter(
            Expr::expr(Func::lower(Expr::col(user::Column::Email)))
                .eq(identity.email.to_lowercase()),
        )
        .filter(user::Column::Subject.ne(identity.subject.as_str()))
        .one(db)
        .await?;
    // Made for an IT-run wave before this person ever signed in: theirs now, with what was copied.
    if let Some(made) = same_email
        .as_ref()
        .filter(|u| u.issuer == crate::jobs::waves::enrol::MADE_FOR_A_WAVE)
    {
        user::Entity::update_many()
            .col_expr(
                user::Column::Subject,
                Expr::value(identity.subject.as_str()),
            )
            .col_expr(user::Column::Issuer, Expr::value(issuer))
            .filter(user::Column::Id.eq(made.id))
            .filter(user::Column::Issuer.eq(crate::jobs::waves::enrol::MADE_FOR_A_WAVE))
            .exec(db)
            .await?;
        tracing::info!(
            user_id = made.id,
            "an account made for a wave is its person's now"
        );
        return Ok(());
    }
    if let Some(other) = same_email {
        tracing::warn!(
            user_id = other.id,
            "a second account signed in with a known email"
        );
        return Err(AuthError::EmailTaken);
    }
    Ok(())
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

impl ResponseError for AuthError {
    fn status_code(&self) -> StatusCode {
        match self {
            AuthError::ProviderUnreachable(_) => StatusCode::BAD_GATEWAY,
            AuthError::UnknownState
            | AuthError::OtherBrowser
            | AuthError::ProviderRefused(_)
            | AuthError::Unverified(_) => StatusCode::BAD_REQUEST,
            AuthError::MissingEmail
            | AuthError::NoRole
            | AuthError::NotAdmitted(_)
            | AuthError::EmailTaken
            | AuthError::OtherIssuer => StatusCode::FORBIDDEN,
            AuthError::Database(_) => StatusCode::SERVICE_UNAVAILABLE,
        }
    }

    fn error_response(&self) -> HttpResponse {
        if let AuthError::Database(e) = self {
            tracing::error!(error = %e, "sign-in failed on the database");
        } else {
            tracing::warn!(error = %self, "sign-in refused");
        }
        message_page(
            self.status_code(),
            "Sign-in did not complete",
            &self.to_string(),
            ("/auth/login", "Sign in again"),
        )
    }
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
    fn provider_error_text_never_reaches_people() {
        assert_eq!(super::provider_error_code("access_denied"), "access_denied");
        assert_eq!(
            super::provider_error_code("<script>alert(1)</script>"),
            "an unknown error"
        );
    }

    #[test]
    fn staff_without_the_user_role_land_in_their_area() {
        assert_eq!(home_for(&[Role::User, Role::It]), "/me");
        assert_eq!(home_for(&[Role::Helpdesk]), "/helpdesk");
        assert_eq!(home_for(&[Role::It]), "/it");
    }
}
