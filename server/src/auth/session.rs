//! Browser sessions: a random token in an HttpOnly cookie; the database keeps only its SHA-256, so a
//! leaked database cannot be replayed, and a tampered or expired cookie simply finds nothing.
use actix_web::cookie::{time::Duration as CookieDuration, Cookie, SameSite};
use app::dto::{Role, Viewer};
use base64::Engine;
use rand::RngCore;
use sea_orm::{
    ActiveModelTrait, ColumnTrait, DatabaseConnection, DbErr, EntityTrait, QueryFilter, Set,
};
use sha2::{Digest, Sha256};

use crate::db::entity::{session, user};
use crate::db::now;
use crate::db::people::{format_roles, parse_roles};

pub const COOKIE: &str = "fountain_session";

pub fn new_token() -> String {
    let mut bytes = [0u8; 32];
    rand::rngs::OsRng.fill_bytes(&mut bytes);
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(bytes)
}

pub fn hash_token(token: &str) -> String {
    Sha256::digest(token.as_bytes())
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

/// Starts a session; returns the cookie token.
pub async fn create(
    db: &DatabaseConnection,
    user_id: i64,
    roles: &[Role],
    ttl_secs: i64,
) -> Result<String, DbErr> {
    let token = new_token();
    let now = now();
    session::ActiveModel {
        token_hash: Set(hash_token(&token)),
        user_id: Set(user_id),
        roles: Set(format_roles(roles)),
        created_at: Set(now),
        expires_at: Set(now + ttl_secs),
    }
    .insert(db)
    .await?;
    // Housekeeping: expired sessions are useless rows.
    session::Entity::delete_many()
        .filter(session::Column::ExpiresAt.lte(now))
        .exec(db)
        .await?;
    Ok(token)
}

/// The person behind a cookie token, if the session exists and has not expired.
pub async fn resolve(db: &DatabaseConnection, token: &str) -> Result<Option<Viewer>, DbErr> {
    let Some(s) = session::Entity::find_by_id(hash_token(token))
        .one(db)
        .await?
    else {
        return Ok(None);
    };
    if s.expires_at <= now() {
        return Ok(None);
    }
    let Some(u) = user::Entity::find_by_id(s.user_id).one(db).await? else {
        return Ok(None);
    };
    Ok(Some(Viewer {
        user_id: u.id,
        email: u.email,
        display_name: u.display_name,
        roles: parse_roles(&s.roles),
    }))
}

pub async fn revoke(db: &DatabaseConnection, token: &str) -> Result<(), DbErr> {
    session::Entity::delete_by_id(hash_token(token))
        .exec(db)
        .await?;
    Ok(())
}

/// The session cookie: HttpOnly, SameSite=Lax, Secure over https.
pub fn cookie(token: String, secure: bool, max_age_secs: i64) -> Cookie<'static> {
    Cookie::build(COOKIE, token)
        .path("/")
        .http_only(true)
        .same_site(SameSite::Lax)
        .secure(secure)
        .max_age(CookieDuration::seconds(max_age_secs))
        .finish()
}

/// A cookie that makes the browser forget the session.
pub fn removal(secure: bool) -> Cookie<'static> {
    let mut c = cookie(String::new(), secure, 0);
    c.make_removal();
    c
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tokens_are_random_and_hashes_stable() {
        let (a, b) = (new_token(), new_token());
        assert_ne!(a, b);
        assert_eq!(a.len(), 43);
        assert_eq!(hash_token(&a), hash_token(&a));
        assert_ne!(hash_token(&a), hash_token(&b));
        assert_eq!(
            hash_token(""),
            "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"
        );
    }

    #[test]
    fn cookie_is_locked_down() {
        let c = cookie("t".into(), true, 60).to_string();
        for part in ["HttpOnly", "SameSite=Lax", "Secure", "Path=/", "Max-Age=60"] {
            assert!(c.contains(part), "{c} lacks {part}");
        }
        assert!(!cookie("t".into(), false, 60).to_string().contains("Secure"));
    }
}
