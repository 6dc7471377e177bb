//! IT imports a wave's people from the IT page: a plain form (the wave's name and a CSV file) posted
//! as multipart, so it works without scripts. The file is read into memory up to a bound and taken
//! whole or not at all by the same import as `fountain waves import`; refused lines come back on a
//! page of their own, each with its line number and what is wrong, and nothing was saved.

use actix_multipart::Multipart;
use actix_web::http::StatusCode;
use actix_web::{post, web, HttpMessage, HttpRequest, HttpResponse};
use app::dto::{Viewer, WaveName};
use futures_util::StreamExt;

use super::page::message_page;
use crate::jobs::destinations;
use crate::jobs::waves::import::Problem;
use crate::jobs::waves::store::{self, WaveError};
use crate::notify::html::escape;

/// The largest file taken (50,000 people with notes fit many times over).
pub const MOST_BYTES: usize = 32 * 1024 * 1024;
/// The wave's name field, at most.
const MOST_NAME_BYTES: usize = 4 * 1024;

const BACK: (&str, &str) = ("/it#waves-card", "Back to the waves");

#[post("/it/waves/import")]
async fn import(
    req: HttpRequest,
    payload: Multipart,
    state: web::Data<super::AppState>,
) -> HttpResponse {
    let Some(viewer) = req.extensions().get::<Viewer>().cloned() else {
        return message_page(
            StatusCode::UNAUTHORIZED,
            "Sign in first",
            "Your session has ended. Sign in again and import the file once more; nothing was saved.",
            ("/it", "Sign in"),
        );
    };
    if !app::areas::IT.iter().any(|r| viewer.has(*r)) {
        return message_page(
            StatusCode::FORBIDDEN,
            "Division IT only",
            "Importing people into a wave needs the Division IT role; nothing was saved.",
            ("/", "Home"),
        );
    }
    let form = match read_form(payload).await {
        Ok(form) => form,
        Err(refusal) => return refusal,
    };
    let name = match WaveName::parse(&form.wave) {
        Ok(name) => name,
        Err(e) => return refused(StatusCode::BAD_REQUEST, "Name the wave", &e.to_string()),
    };
    if form.file.is_empty() {
        return refused(
            StatusCode::BAD_REQUEST,
            "Choose a file",
            "No CSV file came with the form: choose one (a first line naming the columns, then a person a line).",
        );
    }
    let reader = std::io::Cursor::new(form.file);
    let destinations = destinations::configured(state.config.migration.as_ref());
    match store::import(&state.db, &name, reader, &destinations, &viewer.email).await {
        Ok(done) => message_page(
            StatusCode::OK,
            "People imported",
            &format!(
                "{} added to the wave “{name}”{}. Plan it, set its window and start it from the IT page.",
                people(done.added),
                if done.already_in > 0 {
                    format!(" ({} already in it)", people(done.already_in))
                } else {
                    String::new()
                }
            ),
            BACK,
        ),
        Err(WaveError::Refused { problems, count }) => HttpResponse::UnprocessableEntity()
            .content_type("text/html; charset=utf-8")
            .body(refused_page(&name, &form.file_name, &problems, count)),
        Err(WaveError::Db(e)) => {
            let shown = super::internal("cannot import a wave", e);
            refused(
                StatusCode::INTERNAL_SERVER_ERROR,
                "The import failed",
                &shown.to_string(),
            )
        }
        Err(e) => refused(StatusCode::CONFLICT, "Nobody was added", &format!("{e}.")),
    }
}

fn people(n: u64) -> String {
    match n {
        1 => "1 person".to_owned(),
        n => format!("{n} people"),
    }
}

fn refused(status: StatusCode, title: &str, why: &str) -> HttpResponse {
    message_page(status, title, why, BACK)
}

/// What the form brought.
struct Form {
    wave: String,
    file_name: String,
    file: Vec<u8>,
}

/// Reads the form's fields, each within its bound; a refusal says which bound.
async fn read_form(mut payload: Multipart) -> Result<Form, HttpResponse> {
    let mut form = Form {
        wave: String::new(),
        file_name: String::new(),
        file: Vec::new(),
    };
    let unreadable = |e: actix_multipart::MultipartError| {
        refused(
            StatusCode::BAD_REQUEST,
            "The form could not be read",
            &format!("The upload was cut or malformed ({e}); choose the file and import it again."),
        )
    };
    while let Some(field) = payload.next().await {
        let mut field = field.map_err(unreadable)?;
        let name = field.name().unwrap_or_default().to_owned();
        let most = match name.as_str() {
            "file" => MOST_BYTES,
            _ => MOST_NAME_BYTES,
        };
        if name == "file" {
            form.file_name = field
                .content_disposition()
                .and_then(|d| d.get_filename())
                .unwrap_or("the file")
                .to_owned();
        }
        let mut bytes = Vec::new();
        while let Some(chunk) = field.next().await {
            let chunk = chunk.map_err(unreadable)?;
            if bytes.len() + chunk.len() > most {
                return Err(refused(
                    StatusCode::PAYLOAD_TOO_LARGE,
                    "The file is too large",
                    &format!(
                        "Fountain takes files up to {} MB here; split it into several imports into the same wave, or use fountain waves import.",
                        MOST_BYTES / (1024 * 1024)
                    ),
                ));
            }
            bytes.extend_from_slice(&chunk);
        }
        match name.as_str() {
            "wave" => form.wave = String::from_utf8_lossy(&bytes).into_owned(),
            "file" => form.file = bytes,
            _ => {}
        }
    }
    Ok(form)
}

/// The page that lists why nobody was added: each refused line (the first ones), how many in all.
pub fn refused_page(wave: &WaveName, file: &str, problems: &[Problem], count: u64) -> String {
    let rows: String = problems
        .iter()
        .map(|p| {
            format!(
                "<li data-line=\"{}\">Line {}: {}</li>",
                p.line,
                p.line,
                escape(&p.what)
            )
        })
        .collect();
    let more = count.saturating_sub(problems.len() as u64);
    let more = if more > 0 {
        format!("<p>… and {more} more.</p>")
    } else {
        String::new()
    };
    format!(
        r#"<!DOCTYPE html><html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>Nobody was added — Fountain</title><link rel="stylesheet" href="/pkg/fountain.css"></head>
<body><main class="page"><section class="card" role="alert" id="import-refused">
<h1>Nobody was added</h1>
<p>{count} line(s) of {file} cannot be taken into the wave “{wave}”, so nothing was saved. Correct them and import the file again.</p>
<ul id="import-problems">{rows}</ul>{more}
<a class="button" href="{back}">{label}</a>
</section></main></body></html>"#,
        file = escape(file),
        wave = escape(wave.as_str()),
        back = BACK.0,
        label = BACK.1,
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_refused_line_is_listed_escaped_with_the_rest_counted() {
        let wave = WaveName::parse("Finance <März>").unwrap();
        let problems = [
            Problem {
                line: 3,
                what: "\"bob@<script>\" is not an email address".into(),
            },
            Problem {
                line: 7,
                what: "ann@example.org is twice in the file (line 2)".into(),
            },
        ];
        let page = refused_page(&wave, "people <1>.csv", &problems, 5);
        assert!(page.contains("Line 3: &quot;bob@&lt;script&gt;&quot; is not an email address"));
        assert!(page.contains("data-line=\"7\""));
        assert!(page.contains("… and 3 more."));
        assert!(page.contains("“Finance &lt;März&gt;”") && page.contains("people &lt;1&gt;.csv"));
        assert!(!page.contains("<script>"));
    }
}
