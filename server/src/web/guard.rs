//! The request guard, in front of every route: refuses cross-site writes, resolves the session cookie
//! into a `Viewer` (request extension, read by server functions), and gates the role areas.
use actix_web::body::{EitherBody, MessageBody};
use actix_web::dev::{ServiceRequest, ServiceResponse};
use actix_web::http::header::{HeaderMap, LOCATION, ORIGIN};
use actix_web::http::{Method, StatusCode};
use actix_web::middleware::Next;
use actix_web::{web, Error, HttpMessage, HttpResponse};
use app::areas::required_roles;
use app::dto::Viewer;

use super::page::message_page;
use super::AppState;
use crate::auth::session;

pub async fn guard(
    req: ServiceRequest,
    next: Next<impl MessageBody + 'static>,
) -> Result<ServiceResponse<EitherBody<impl MessageBody>>, Error> {
    let state = req
        .app_data::<web::Data<AppState>>()
        .cloned()
        .expect("AppState is registered");

    if is_cross_site_write(req.method(), req.headers(), &state.public_origin) {
        tracing::warn!(path = req.path(), "refused a cross-site write");
        let page = message_page(
            StatusCode::FORBIDDEN,
            "Request refused",
            "This form was sent from another website, so Fountain refused it. Open Fountain directly and try again.",
            ("/", "Go to Fountain"),
        );
        return Ok(req.into_response(page).map_into_right_body());
    }

    let path = req.path().to_owned();
    let viewer = if path.starts_with("/pkg/") || super::probes::PATHS.contains(&path.as_str()) {
        None
    } else {
        resolve_viewer(&state, &req).await
    };
    if let Some(v) = &viewer {
        req.extensions_mut().insert(v.clone());
    }

    if matches!(*req.method(), Method::GET | Method::HEAD) {
        if let Some(denied) = page_gate(&path, req.query_string(), viewer.as_ref()) {
            return Ok(req.into_response(denied).map_into_right_body());
        }
    }
    next.call(req)
        .await
        .map(ServiceResponse::map_into_left_body)
}

async fn resolve_viewer(state: &AppState, req: &ServiceRequest) -> Option<Viewer> {
    let cookie = req.cookie(session::COOKIE)?;
    match session::resolve(&state.db, cookie.value(), state.session_policy).await {
        Ok(v) => v,
        Err(e) => {
            tracing::error!(error = %e, "could not read a session; treating the request as signed out");
            None
        }
    }
}

/// A full page load of a role area: sign in first, or 403 for the wrong role.
fn page_gate(path: &str, query: &str, viewer: Option<&Viewer>) -> Option<HttpResponse> {
    let roles = required_roles(path)?;
    match viewer {
        None => {
            let target = if query.is_empty() {
                path.to_owned()
            } else {
                format!("{path}?{query}")
            };
            let location = format!(
                "/auth/login?return_to={}",
                url::form_urlencoded::byte_serialize(target.as_bytes()).collect::<String>()
            );
            Some(
                HttpResponse::Found()
                    .insert_header((LOCATION, location))
                    .finish(),
            )
        }
        Some(v) if roles.iter().any(|r| v.has(*r)) => None,
        Some(v) => {
            let needed = app::dto::Role::any_of(roles);
            Some(message_page(
                StatusCode::FORBIDDEN,
                "Not available to your account",
                &format!(
                    "This area needs the {needed} role, and {} does not have it. If you think it should, ask your division IT team.",
                    v.email
                ),
                ("/", "Back to Fountain"),
            ))
        }
    }
}

/// A state-changing request that a browser sent from another site. Browsers send `Origin` on every
/// cross-origin POST; `Sec-Fetch-Site` covers the rest. Clients that send neither are not browsers.
pub fn is_cross_site_write(method: &Method, headers: &HeaderMap, public_origin: &str) -> bool {
    if matches!(*method, Method::GET | Method::HEAD | Method::OPTIONS) {
        return false;
    }
    match headers.get(ORIGIN).map(|o| o.to_str().unwrap_or("invalid")) {
        Some(origin) => origin != public_origin,
        None => matches!(
            headers.get("sec-fetch-site").and_then(|v| v.to_str().ok()),
            Some("cross-site") | Some("same-site")
        ),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use actix_web::http::header::{HeaderName, HeaderValue};
    use app::dto::Role;

    fn headers(pairs: &[(&str, &str)]) -> HeaderMap {
        let mut h = HeaderMap::new();
        for (k, v) in pairs {
            h.insert(
                HeaderName::from_bytes(k.as_bytes()).unwrap(),
                HeaderValue::from_str(v).unwrap(),
            );
        }
        h
    }

    const SITE: &str = "https://fountain.example.org";

    #[test]
    fn same_origin_posts_pass() {
        assert!(!is_cross_site_write(
            &Method::POST,
            &headers(&[("origin", SITE)]),
            SITE
        ));
        assert!(!is_cross_site_write(
            &Method::POST,
            &headers(&[("sec-fetch-site", "same-origin")]),
            SITE
        ));
        assert!(!is_cross_site_write(&Method::POST, &headers(&[]), SITE));
    }

    #[test]
    fn cross_site_posts_are_refused() {
        assert!(is_cross_site_write(
            &Method::POST,
            &headers(&[("origin", "https://evil.example")]),
            SITE
        ));
        assert!(is_cross_site_write(
            &Method::POST,
            &headers(&[("origin", "null")]),
            SITE
        ));
        assert!(is_cross_site_write(
            &Method::DELETE,
            &headers(&[("sec-fetch-site", "cross-site")]),
            SITE
        ));
        assert!(is_cross_site_write(
            &Method::POST,
            &headers(&[("origin", "http://fountain.example.org")]),
            SITE
        ));
    }

    #[test]
    fn reads_are_never_refused() {
        assert!(!is_cross_site_write(
            &Method::GET,
            &headers(&[("origin", "https://evil.example")]),
            SITE
        ));
    }

    fn viewer(roles: &[Role]) -> Viewer {
        Viewer {
            user_id: app::dto::UserId(1),
            email: "a@example.org".into(),
            display_name: "A".into(),
            roles: roles.to_vec(),
        }
    }

    #[test]
    fn gate_redirects_strangers_and_refuses_wrong_roles() {
        let r = page_gate("/it", "tab=waves", None).unwrap();
        assert_eq!(r.status(), StatusCode::FOUND);
        assert_eq!(
            r.headers().get(LOCATION).unwrap(),
            "/auth/login?return_to=%2Fit%3Ftab%3Dwaves"
        );
        assert_eq!(
            page_gate("/it", "", Some(&viewer(&[Role::User])))
                .unwrap()
                .status(),
            StatusCode::FORBIDDEN
        );
        assert!(page_gate("/it", "", Some(&viewer(&[Role::It]))).is_none());
        assert!(page_gate("/helpdesk", "", Some(&viewer(&[Role::It]))).is_none());
        assert!(page_gate("/", "", None).is_none());
    }
}
