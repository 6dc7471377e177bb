//! Security headers on every response. Pages set their own Content-Security-Policy with the render's
//! nonce (`app::security`); everything else (server functions' JSON, sign-in redirects, files) gets
//! a policy that allows nothing. Defaults only fill in what a response did not set itself.
use actix_web::middleware::DefaultHeaders;

/// For responses that are not leptos pages: nothing may run or frame them; the plain explanation pages
/// (`web::page`) may use the stylesheet.
pub const NOTHING_POLICY: &str =
    "default-src 'none'; style-src 'self'; frame-ancestors 'none'; base-uri 'none'; form-action 'self'";

/// The headers for every response; HSTS only when the portal is served over https (a browser
/// remembers it for a year, so never on a plain-http test or demo).
pub fn security_headers(https: bool) -> Vec<(&'static str, &'static str)> {
    let mut headers = vec![
        ("Content-Security-Policy", NOTHING_POLICY),
        ("X-Content-Type-Options", "nosniff"),
        ("Referrer-Policy", "same-origin"),
        ("X-Frame-Options", "DENY"),
        ("Cross-Origin-Opener-Policy", "same-origin"),
    ];
    if https {
        headers.push(("Strict-Transport-Security", "max-age=31536000"));
    }
    headers
}

pub fn middleware(https: bool) -> DefaultHeaders {
    security_headers(https)
        .into_iter()
        .fold(DefaultHeaders::new(), |d, header| d.add(header))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hsts_only_over_https() {
        let names = |https| -> Vec<&str> {
            security_headers(https)
                .into_iter()
                .map(|(name, _)| name)
                .collect()
        };
        assert!(names(true).contains(&"Strict-Transport-Security"));
        assert!(!names(false).contains(&"Strict-Transport-Security"));
        assert!(names(false).contains(&"X-Content-Type-Options"));
    }
}
