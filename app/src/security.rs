//! The pages' Content-Security-Policy. Scripts run only from this site and the one inline script
//! leptos writes for hydration, which carries this response's nonce; WebAssembly may compile
//! ('wasm-unsafe-eval'); no inline style, no frames around the portal, no plugins.

/// The policy for a page whose inline scripts carry `nonce`.
pub fn page_policy(nonce: &str) -> String {
    format!(
        "default-src 'self'; script-src 'self' 'nonce-{nonce}' 'wasm-unsafe-eval'; \
         style-src 'self'; img-src 'self' data:; connect-src 'self'; object-src 'none'; \
         base-uri 'none'; form-action 'self'; frame-ancestors 'none'"
    )
}

/// Sends [`page_policy`] with this response's nonce (leptos_actix makes one per render and puts it
/// on every inline script it writes).
#[cfg(feature = "ssr")]
pub fn send_page_policy() {
    use actix_web::http::header::{HeaderValue, CONTENT_SECURITY_POLICY};
    use leptos::prelude::use_context;
    let (Some(nonce), Some(response)) = (
        leptos::nonce::use_nonce(),
        use_context::<leptos_actix::ResponseOptions>(),
    ) else {
        return;
    };
    if let Ok(value) = HeaderValue::from_str(&page_policy(&nonce)) {
        response.insert_header(CONTENT_SECURITY_POLICY, value);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn scripts_need_the_nonce_and_nothing_frames_the_portal() {
        let p = page_policy("abc123");
        assert!(
            p.contains("script-src 'self' 'nonce-abc123' 'wasm-unsafe-eval';"),
            "{p}"
        );
        assert!(
            p.contains("frame-ancestors 'none'") && p.contains("object-src 'none'"),
            "{p}"
        );
        assert!(!p.contains("unsafe-inline"), "{p}");
    }
}
