//! Browser sessions: a random token in an HttpOnly cookie; the database keeps only its SHA-256, so a
//! leaked database cannot be replayed, and a tampered or expired cookie simply finds nothing.
use actix_web::cookie::{time::Duration as CookieDuration, Cookie, SameSite};
use app::dto::{Role, UserId, Viewer};
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
        last_seen_at: Set(now),
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

/// How long a session may live besides its own expiry (`[auth]`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Policy {
    /// Roles are read from the provider at sign-in; older than this, the session ends and the next
    /// page goes through the provider again (silently, while its own session lasts), which reads them
    /// anew. A person removed from a group loses the role within this time.
    pub roles_max_age_secs: i64,
    /// Unused this long, the session ends.
    pub idle_secs: i64,
}

impl Policy {
    pub fn from_config(auth: &crate::config::AuthConfig) -> Policy {
        Policy {
            roles_max_age_secs: i64::from(auth.roles_max_age_minutes) * 60,
            idle_secs: i64::from(auth.idle_timeout_minutes) * 60,
        }
    }
}

/// A session's times are written at most this often (not on every request).
const TOUCH_EVERY_SECS: i64 = 60;

/// What a stored session is worth now.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Standing {
    /// In use; `touch`: record that it was used now.
    Live {
        touch: bool,
    },
    Expired,
    Idle,
    /// Its roles were read too long ago.
    StaleRoles,
}

pub fn standing(s: &session::Model, now: i64, policy: Policy) -> Standing {
    let last_seen = s.last_seen_at.max(s.created_at);
    if s.expires_at <= now {
        Standing::Expired
    } else if now - last_seen > policy.idle_secs {
        Standing::Idle
    } else if now - s.created_at > policy.roles_max_age_secs {
        Standing::StaleRoles
    } else {
        Standing::Live {
            touch: now - last_seen >= TOUCH_EVERY_SECS,
        }
    }
}

/// The person behind a cookie token, if the session exists and still stands (see [`standing`]).
pub async fn resolve(
    db: &DatabaseConnection,
    token: &str,
    policy: Policy,
) -> Result<Option<Viewer>, DbErr> {
    let Some(s) = session::Entity::find_by_id(hash_token(token))
        .one(db)
        .await?
    else {
        return Ok(None);
    };
    let at = now();
    match standing(&s, at, policy) {
        Standing::Live { touch } => {
            if touch {
                session::Entity::update_many()
                    .col_expr(session::Column::LastSeenAt, at.into())
                    .filter(session::Column::TokenHash.eq(s.token_hash.as_str()))
                    .exec(db)
                    .await?;
            }
        }
        ended => {
            tracing::info!(user_id = s.user_id, why = ?ended, "a session ended");
            session::Entity::delete_by_id(s.token_hash).exec(db).await?;
            return Ok(None);
        }
    }
    let Some(u) = user::Entity::find_by_id(s.user_id).one(db).await? else {
        return Ok(None);
    };
    Ok(Some(Viewer {
        user_id: UserId(u.id),
        email: u.email,
        display_name: u.display_name,
        roles: parse_roles(&s.roles),
    }))
}

/// Ends every session of the person behind `token` (sign out everywhere); how many there were.
pub async fn revoke_all(db: &DatabaseConnection, token: &str) -> Result<u64, DbErr> {
    let Some(s) = session::Entity::find_by_id(hash_token(token))
        .one(db)
        .await?
    else {
        return Ok(0);
    };
    let gone = session::Entity::delete_many()
        .filter(session::Column::UserId.eq(s.user_id))
        .exec(db)
        .await?;
    Ok(gone.rows_affected)
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

    fn at(created: i64, seen: i64, expires: i64) -> session::Model {
        session::Model {
            token_hash: String::new(),
            user_id: 1,
            roles: "user".into(),
            created_at: created,
            expires_at: expires,
            last_seen_at: seen,
        }
    }

    const POLICY: Policy = Policy {
        roles_max_age_secs: 3600,
        idle_secs: 600,
    };

    #[test]
    fn idle_expired_and_stale_sessions_end() {
        assert_eq!(
            standing(&at(0, 0, 9999), 30, POLICY),
            Standing::Live { touch: false }
        );
        assert_eq!(
            standing(&at(0, 0, 9999), 61, POLICY),
            Standing::Live { touch: true }
        );
        assert_eq!(standing(&at(0, 0, 9999), 601, POLICY), Standing::Idle);
        assert_eq!(
            standing(&at(0, 3000, 9999), 3500, POLICY),
            Standing::Live { touch: true }
        );
        assert_eq!(
            standing(&at(0, 3550, 9999), 3601, POLICY),
            Standing::StaleRoles
        );
        assert_eq!(standing(&at(0, 90, 100), 100, POLICY), Standing::Expired);
    }

    proptest::proptest! {
        #[test]
        fn a_live_session_is_within_every_limit(
            created in 0i64..10_000, seen in 0i64..10_000, expires in 0i64..20_000, now in 0i64..20_000
        ) {
            if let Standing::Live { .. } = standing(&at(created, seen, expires), now, POLICY) {
                proptest::prop_assert!(expires > now);
                proptest::prop_assert!(now - created <= POLICY.roles_max_age_secs);
                proptest::prop_assert!(now - seen.max(created) <= POLICY.idle_secs);
            }
        }
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
