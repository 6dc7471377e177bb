//! Division IT's view of what Fountain sends: every template with where it was loaded from, and any
//! email previewed with a real person's data (their request, scan and report; made-up values only
//! where they have none yet) or test-sent to IT themselves, before anyone receives it.
use app::dto::{EmailKind, EmailPreview, FailureClass, FolderResult, MigrationReport, Person};
use app::dto::{TemplateFile, Viewer};
use app::error::AppError;

use super::self_service::{internal, open};
use crate::db::stored;
use crate::jobs::queue::Queue;
use crate::jobs::Migrations;
use crate::notify::emails::{self, Rendered};
use crate::notify::outbox;
use crate::notify::templates::{Origin, Templates};

/// Every template, as loaded (the built-in ones while migrations are not configured yet).
pub fn templates(m: Option<&Migrations>) -> Result<Vec<TemplateFile>, AppError> {
    let builtin;
    let templates = match m {
        Some(m) => &m.templates,
        None => {
            builtin = Templates::builtin();
            &builtin
        }
    };
    Ok(templates
        .sources()
        .map(|(spec, origin, source)| TemplateFile {
            file: spec.file.to_owned(),
            loaded_from: match origin {
                Origin::BuiltIn => None,
                Origin::Folder(path) => Some(path.display().to_string()),
            },
            source: source.to_owned(),
            placeholders: spec
                .placeholders
                .iter()
                .map(|(name, holds)| ((*name).to_owned(), (*holds).to_owned()))
                .collect(),
            required: spec.required.iter().map(|r| (*r).to_owned()).collect(),
        })
        .collect())
}

/// `kind` as `person` (an address; empty: the viewer) would receive it.
pub async fn preview(
    m: Option<&Migrations>,
    viewer: &Viewer,
    kind: EmailKind,
    person: &str,
) -> Result<EmailPreview, AppError> {
    let m = open(m)?;
    let person = find_person(m, viewer, person).await?;
    let (email, sample_data) = render_for(m, kind, &person).await?;
    Ok(EmailPreview {
        kind,
        person: person.email,
        sent_to: None,
        subject: email.subject,
        text: email.text,
        html: email.html,
        sample_data,
    })
}

/// Sends the preview of `kind` for `person` to the viewer, marked as a test.
pub async fn send_test(
    m: Option<&Migrations>,
    viewer: &Viewer,
    kind: EmailKind,
    person: &str,
) -> Result<EmailPreview, AppError> {
    let mut shown = preview(m, viewer, kind, person).await?;
    let m = open(m)?;
    let email = Rendered {
        subject: format!("[Test] {}", shown.subject),
        text: shown.text.clone(),
        html: shown.html.clone(),
    };
    let about = outbox::About {
        user_id: Some(viewer.user_id),
        request_id: None,
        recipient: &viewer.email,
    };
    outbox::enqueue(&m.db, about, email)
        .await
        .map_err(internal)?;
    tracing::info!(by = %viewer.email, ?kind, person = %shown.person, "test email sent");
    shown.sent_to = Some(viewer.email.clone());
    Ok(shown)
}

async fn find_person(m: &Migrations, viewer: &Viewer, typed: &str) -> Result<Person, AppError> {
    let address = if typed.trim().is_empty() {
        viewer.email.as_str()
    } else {
        typed.trim()
    };
    crate::db::people::by_email(&m.db, address)
        .await
        .map_err(internal)?
        .ok_or_else(|| {
            AppError::BadRequest(format!(
                "Nobody with the address {address:?} has signed in to Fountain: preview with someone who has."
            ))
        })
}

/// The email for `person` from what Fountain knows of them; `true` when made-up values stood in.
async fn render_for(
    m: &Migrations,
    kind: EmailKind,
    person: &Person,
) -> Result<(Rendered, bool), AppError> {
    let t = &m.templates;
    let portal = m.portal_url();
    let request = Queue { db: &m.db }
        .latest_for(person.user_id)
        .await
        .map_err(internal)?;
    let name = &person.display_name;
    let mut sample = false;
    let rendered = match kind {
        EmailKind::Started => {
            let scan = m
                .latest_scan(person.user_id)
                .await
                .map_err(internal)?
                .and_then(|s| s.result);
            let folders = match (&request, &scan) {
                (Some(r), _) => r.folders.clone(),
                (None, Some(scan)) => scan.folders.iter().map(|f| f.name.clone()).collect(),
                (None, None) => {
                    sample = true;
                    vec!["INBOX".to_owned()]
                }
            };
            emails::started(t, name, &folders, scan.as_ref(), &portal)
        }
        EmailKind::Done => {
            let stored = match &request {
                Some(r) => {
                    let (_, report) = (Queue { db: &m.db })
                        .details(r.id)
                        .await
                        .map_err(internal)?;
                    report.and_then(|r| stored::read::<stored::Report>(&r))
                }
                None => None,
            };
            let mut report: MigrationReport = match stored {
                Some(report) => report.into(),
                None => {
                    sample = true;
                    sample_report()
                }
            };
            // Today's instructions template, for this person and where their mail goes.
            let to = match &request {
                Some(r) => r.destination.clone(),
                None => crate::jobs::destinations::of_person(&m.db, &person.email)
                    .await
                    .map_err(internal)?,
            };
            report.instructions = m
                .client_instructions(&person.email, to.as_ref())
                .map_err(internal)?;
            emails::done(t, name, &report, &portal)
        }
        EmailKind::NeedsAttention => {
            let problem = request.as_ref().and_then(|r| r.last_error.clone());
            sample |= problem.is_none();
            let problem = problem.unwrap_or_else(sample_problem);
            emails::needs_attention(t, name, &problem, &portal)
        }
        EmailKind::Helpdesk => {
            let problem = request.as_ref().and_then(|r| r.last_error.clone());
            let class = request.as_ref().and_then(|r| r.failure_class);
            sample |= problem.is_none() || class.is_none();
            let id = request.as_ref().map_or(0, |r| r.id.get());
            let url = m.request_page_url(app::dto::RequestId(id));
            let problem = problem.unwrap_or_else(sample_problem);
            emails::to_helpdesk(
                t,
                &emails::HelpdeskNotice {
                    person: name,
                    email: &person.email,
                    request_id: id,
                    problem: &problem,
                    class: class.unwrap_or(FailureClass::CorruptMessages),
                    helpdesk_url: &url,
                },
            )
        }
        EmailKind::Reconnect => emails::reconnect(t, name, &portal),
        EmailKind::CatchUpPassword => emails::catch_up_password(t, name, &portal),
        EmailKind::Invitation | EmailKind::Reminder | EmailKind::Notice => {
            let (wave, window, made_up) = wave_of(m, &person.email).await?;
            sample |= made_up;
            let words = emails::WaveWords {
                wave: &wave,
                window: &window,
                portal_url: &portal,
            };
            match kind {
                EmailKind::Invitation => {
                    emails::wave_email(t, emails::Kind::Invitation, name, words)
                }
                EmailKind::Notice => emails::wave_email(t, emails::Kind::Notice, name, words),
                _ => emails::reminder(
                    t,
                    name,
                    words,
                    "tomorrow",
                    "The time to do it starts tomorrow.",
                ),
            }
        }
    };
    Ok((rendered.map_err(internal)?, sample))
}

/// The name and window of the latest wave `email` is in, or made-up ones (`true`).
async fn wave_of(m: &Migrations, email: &str) -> Result<(String, String, bool), AppError> {
    use crate::db::entity::{wave, wave_member};
    use crate::jobs::waves::outreach::window_in_words;
    use sea_orm::{ColumnTrait, EntityTrait, QueryFilter, QueryOrder};
    let member = wave_member::Entity::find()
        .filter(wave_member::Column::Email.eq(email.to_lowercase()))
        .order_by_desc(wave_member::Column::Id)
        .one(&m.db)
        .await
        .map_err(internal)?;
    let found = match member {
        Some(member) => wave::Entity::find_by_id(member.wave_id)
            .one(&m.db)
            .await
            .map_err(internal)?,
        None => None,
    };
    Ok(match found {
        Some(w) => (w.name, window_in_words(w.window_start, w.window_end), false),
        None => {
            let tomorrow_evening = (crate::db::now() / 86_400 + 1) * 86_400 + 18 * 3_600;
            let window =
                window_in_words(Some(tomorrow_evening), Some(tomorrow_evening + 12 * 3_600));
            ("Sample wave".to_owned(), window, true)
        }
    })
}

fn sample_problem() -> String {
    "(example) INBOX: 1 message(s) could not be copied: the new server refused them.".to_owned()
}

fn sample_report() -> MigrationReport {
    MigrationReport {
        folders: vec![FolderResult {
            source: "INBOX".into(),
            destination: "INBOX".into(),
            source_messages: 12,
            source_bytes: 340_000,
            destination_messages: Some(12),
            destination_bytes: Some(340_000),
            copied: 12,
            quarantined: vec![],
            left_behind: vec![],
            repaired: vec![],
            notes: vec![],
        }],
        instructions: String::new(),
    }
}
