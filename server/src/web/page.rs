//! Small server-rendered pages for answers that come before the Leptos app (sign-in errors, 403 gate).
use actix_web::http::StatusCode;
use actix_web::HttpResponse;

use crate::notify::html::escape;

pub fn message_page(
    status: StatusCode,
    title: &str,
    message: &str,
    action: (&str, &str),
) -> HttpResponse {
    let (href, label) = action;
    let body = format!(
        r#"<!DOCTYPE html><html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>{title} — Fountain</title><link rel="stylesheet" href="/pkg/fountain.css"></head>
<body><header class="topbar"><a class="brand" href="/"><svg class="brand-mark" viewBox="0 0 24 24" width="22" height="22" aria-hidden="true"><path d="M12 2C9 7 6 10.5 6 14a6 6 0 0 0 12 0c0-3.5-3-7-6-12z" fill="currentColor"></path></svg>Fountain</a></header>
<main class="page"><section class="card" role="alert"><h1>{title}</h1><p>{message}</p><a class="button" href="{href}">{label}</a></section></main></body></html>"#,
        title = escape(title),
        message = escape(message),
        href = escape(href),
        label = escape(label),
    );
    HttpResponse::build(status)
        .content_type("text/html; charset=utf-8")
        .body(body)
}
