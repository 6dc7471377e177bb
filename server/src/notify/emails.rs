//! Status emails from templates (`server/templates/email`): `{{placeholder}}`s filled from the
//! request, HTML-escaped in the HTML part (except `*_html` values, built here from escaped parts).
//! Rendering fails on a placeholder left unfilled, so a broken template never reaches anyone.
use app::dto::{FailureClass, MigrationReport, ScanResult};
use app::format::human_size;

use super::html::escape;

/// One rendered email.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Rendered {
    pub subject: String,
    pub text: String,
    pub html: String,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    Started,
    Done,
    NeedsAttention,
    /// To the helpdesk: whose request needs attention, and why.
    Helpdesk,
    /// Asked by the helpdesk: connect the old account again.
    Reconnect,
}

impl Kind {
    fn templates(self) -> (&'static str, &'static str) {
        match self {
            Kind::Started => (
                include_str!("../../templates/email/started.txt"),
                include_str!("../../templates/email/started.html"),
            ),
            Kind::Done => (
                include_str!("../../templates/email/done.txt"),
                include_str!("../../templates/email/done.html"),
            ),
            Kind::NeedsAttention => (
                include_str!("../../templates/email/attention.txt"),
                include_str!("../../templates/email/attention.html"),
            ),
            Kind::Helpdesk => (
                include_str!("../../templates/email/helpdesk.txt"),
                include_str!("../../templates/email/helpdesk.html"),
            ),
            Kind::Reconnect => (
                include_str!("../../templates/email/reconnect.txt"),
                include_str!("../../templates/email/reconnect.html"),
            ),
        }
    }
}

pub const CLIENT_INSTRUCTIONS: &str = include_str!("../../templates/client-instructions.txt");

#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum TemplateError {
    #[error("the template has no placeholder {0:?}")]
    Unused(String),
    #[error("the template's placeholder {0:?} was not filled")]
    Unfilled(String),
    #[error("the text template must start with a \"Subject: \" line and a blank line")]
    NoSubject,
}

/// Fills `template`'s placeholders from `vars`; every placeholder must be filled. Values are escaped
/// for HTML when `html`, except those whose key ends in `_html`.
pub fn fill(template: &str, vars: &[(&str, String)], html: bool) -> Result<String, TemplateError> {
    let mut out = String::with_capacity(template.len() * 2);
    let mut rest = template;
    while let Some(start) = rest.find("{{") {
        out.push_str(&rest[..start]);
        let after = &rest[start + 2..];
        let end = after
            .find("}}")
            .ok_or_else(|| TemplateError::Unfilled(after.chars().take(20).collect()))?;
        let key = &after[..end];
        let value = vars
            .iter()
            .find(|(k, _)| *k == key)
            .map(|(_, v)| v)
            .ok_or_else(|| TemplateError::Unfilled(key.to_owned()))?;
        if html && !key.ends_with("_html") {
            out.push_str(&escape(value));
        } else {
            out.push_str(value);
        }
        rest = &after[end + 2..];
    }
    out.push_str(rest);
    Ok(out)
}

/// Renders one email. Every value given must be used by the text or the HTML template (a misspelt
/// placeholder is caught), and every placeholder filled.
pub fn render(kind: Kind, vars: &[(&str, String)]) -> Result<Rendered, TemplateError> {
    let (text_template, html_template) = kind.templates();
    for (key, _) in vars {
        let tag = format!("{{{{{key}}}}}");
        if !text_template.contains(&tag) && !html_template.contains(&tag) {
            return Err(TemplateError::Unused((*key).to_owned()));
        }
    }
    let text = fill(text_template, vars, false)?;
    let (subject_line, body) = text.split_once("\n\n").ok_or(TemplateError::NoSubject)?;
    let subject = subject_line
        .strip_prefix("Subject: ")
        .ok_or(TemplateError::NoSubject)?;
    Ok(Rendered {
        subject: subject.trim().to_owned(),
        text: body.to_owned(),
        html: fill(html_template, vars, true)?,
    })
}

/// The "started" email for a request of `folders` out of a scan.
pub fn started(
    name: &str,
    folders: &[String],
    scan: Option<&ScanResult>,
    portal_url: &str,
) -> Result<Rendered, TemplateError> {
    let (messages, bytes) = scan
        .map(|s| s.totals(|f| folders.iter().any(|x| x == f)))
        .unwrap_or_default();
    render(
        Kind::Started,
        &[
            ("name", name.to_owned()),
            ("folders", folders.len().to_string()),
            ("messages", messages.to_string()),
            ("size", human_size(bytes)),
            ("portal_url", portal_url.to_owned()),
        ],
    )
}

/// The "done" email: the per-folder summary and the client instructions.
pub fn done(
    name: &str,
    report: &MigrationReport,
    portal_url: &str,
) -> Result<Rendered, TemplateError> {
    let messages: u64 = report.folders.iter().map(|f| f.copied).sum();
    let bytes: u64 = report.folders.iter().map(|f| f.source_bytes).sum();
    let summary = report
        .folders
        .iter()
        .map(|f| {
            format!(
                "  {} -> {}: {} of {} messages",
                f.source, f.destination, f.copied, f.source_messages
            )
        })
        .collect::<Vec<_>>()
        .join("\n");
    let rows: String = report
        .folders
        .iter()
        .map(|f| {
            format!(
                "<tr><td>{}</td><td>{}</td><td style=\"text-align:right\">{} of {}</td></tr>",
                escape(&f.source),
                escape(&f.destination),
                f.copied,
                f.source_messages
            )
        })
        .collect();
    let summary_html = format!(
        "<table style=\"border-collapse: collapse;\" cellpadding=\"4\"><tr><th align=\"left\">Old folder</th>\
         <th align=\"left\">New folder</th><th align=\"right\">Messages</th></tr>{rows}</table>"
    );
    render(
        Kind::Done,
        &[
            ("name", name.to_owned()),
            ("messages", messages.to_string()),
            ("size", human_size(bytes)),
            ("folders", report.folders.len().to_string()),
            ("summary", summary),
            ("summary_html", summary_html),
            ("instructions", report.instructions.clone()),
            ("portal_url", portal_url.to_owned()),
        ],
    )
}

/// The "needs attention" email, saying what happened.
pub fn needs_attention(
    name: &str,
    problem: &str,
    portal_url: &str,
) -> Result<Rendered, TemplateError> {
    render(
        Kind::NeedsAttention,
        &[
            ("name", name.to_owned()),
            ("problem", problem.to_owned()),
            ("portal_url", portal_url.to_owned()),
        ],
    )
}

/// Asks the person to connect their old account again (the helpdesk's button).
pub fn reconnect(name: &str, portal_url: &str) -> Result<Rendered, TemplateError> {
    render(
        Kind::Reconnect,
        &[
            ("name", name.to_owned()),
            ("portal_url", portal_url.to_owned()),
        ],
    )
}

/// What the helpdesk is told of a request that stopped short.
pub struct HelpdeskNotice<'a> {
    pub person: &'a str,
    pub email: &'a str,
    pub request_id: i64,
    pub problem: &'a str,
    pub class: FailureClass,
    pub helpdesk_url: &'a str,
}

/// The helpdesk's copy of a request that needs attention, with its class and what to do next.
pub fn to_helpdesk(notice: &HelpdeskNotice<'_>) -> Result<Rendered, TemplateError> {
    render(
        Kind::Helpdesk,
        &[
            ("person", notice.person.to_owned()),
            ("email", notice.email.to_owned()),
            ("request_id", notice.request_id.to_string()),
            ("problem", notice.problem.to_owned()),
            ("class", notice.class.label().to_owned()),
            ("next_step", notice.class.suggested_action().to_owned()),
            ("helpdesk_url", notice.helpdesk_url.to_owned()),
        ],
    )
}

/// The client reconfiguration instructions for one person.
pub fn instructions(
    imap_host: &str,
    smtp_host: &str,
    login: &str,
    help_url: Option<&str>,
) -> Result<String, TemplateError> {
    let help = help_url
        .map(|url| format!("More help: {url}"))
        .unwrap_or_default();
    fill(
        CLIENT_INSTRUCTIONS,
        &[
            ("imap_host", imap_host.to_owned()),
            ("smtp_host", smtp_host.to_owned()),
            ("login", login.to_owned()),
            ("help", help),
        ],
        false,
    )
    .map(|s| s.trim_end().to_owned())
}

#[cfg(test)]
mod tests {
    use super::*;
    use app::dto::{FolderResult, ScannedFolder};

    const PORTAL: &str = "https://fountain.example.org/";

    fn report() -> MigrationReport {
        MigrationReport {
            folders: vec![FolderResult {
                source: "INBOX.<Projects>".into(),
                destination: "<Projects>".into(),
                source_messages: 3,
                source_bytes: 2_500_000,
                destination_messages: Some(3),
                destination_bytes: Some(2_500_000),
                copied: 3,
                quarantined: vec![],
                notes: vec![],
            }],
            instructions: instructions(
                "imap.new.example.org",
                "smtp.new.example.org",
                "alice",
                Some("https://help.example.org/mail"),
            )
            .unwrap(),
        }
    }

    /// No `{{` left, and every link is the portal (or the help page): absolute, https.
    fn assert_complete(r: &Rendered) {
        for part in [&r.subject, &r.text, &r.html] {
            assert!(!part.contains("{{") && !part.contains("}}"), "{part}");
        }
        assert!(!r.subject.is_empty());
        let links: Vec<&str> = r
            .html
            .split("href=\"")
            .skip(1)
            .map(|s| s.split('"').next().unwrap())
            .collect();
        assert!(!links.is_empty(), "{}", r.html);
        for link in links {
            assert!(link == PORTAL, "unexpected link {link}");
        }
        assert!(r.text.contains(PORTAL));
    }

    #[test]
    fn every_email_renders_with_every_placeholder_filled_and_links_to_the_portal() {
        let scan = ScanResult {
            folders: vec![ScannedFolder {
                name: "INBOX".into(),
                destination: "INBOX".into(),
                messages: 12,
                bytes: 34_000,
                notes: vec![],
                selected_by_default: true,
            }],
        };
        let started = started("Alice Archer", &["INBOX".into()], Some(&scan), PORTAL).unwrap();
        assert_complete(&started);
        assert!(
            started.text.contains("1 folders, 12 messages (34 kB)"),
            "{}",
            started.text
        );
        let done = done("Alice Archer", &report(), PORTAL).unwrap();
        assert_complete(&done);
        assert!(done.text.contains("imap.new.example.org"));
        assert!(done.text.contains("INBOX.<Projects> -> <Projects>: 3 of 3"));
        assert!(
            done.html.contains("INBOX.&lt;Projects&gt;"),
            "escaped in HTML"
        );
        assert!(!done.html.contains("<Projects>"));
        assert!(
            done.html.contains("<table"),
            "the summary table is not escaped"
        );
        let helpdesk = to_helpdesk(&HelpdeskNotice {
            person: "Alice <A>",
            email: "alice@example.org",
            request_id: 7,
            problem: "INBOX: 1 message(s)",
            class: FailureClass::CorruptMessages,
            helpdesk_url: PORTAL,
        })
        .unwrap();
        assert_complete(&helpdesk);
        assert!(
            helpdesk.text.contains("Corrupt messages") && helpdesk.text.contains("Hand it to IT")
        );
        assert!(helpdesk.subject.contains("Alice <A>"));
        assert!(helpdesk.html.contains("Alice &lt;A&gt;") && helpdesk.text.contains("request 7"));
        let attention = needs_attention("A & B", "2 messages were refused", PORTAL).unwrap();
        assert_complete(&attention);
        assert!(attention.html.contains("A &amp; B"));
        assert_eq!(attention.subject, "Your mailbox move needs attention");
        let reconnect = reconnect("Zoë <Z>", PORTAL).unwrap();
        assert_complete(&reconnect);
        assert!(reconnect.html.contains("Zoë &lt;Z&gt;") && reconnect.text.contains("Zoë <Z>"));
    }

    #[test]
    fn unfilled_or_misspelt_placeholders_are_errors() {
        assert_eq!(
            fill("Hi {{name}}", &[], false),
            Err(TemplateError::Unfilled("name".into()))
        );
        assert_eq!(
            render(Kind::NeedsAttention, &[("nmae", "x".into())]),
            Err(TemplateError::Unused("nmae".into()))
        );
        assert!(matches!(
            render(Kind::NeedsAttention, &[("name", "x".into())]),
            Err(TemplateError::Unfilled(_))
        ));
    }

    #[test]
    fn instructions_name_the_new_server_and_login() {
        let text = instructions("imap.x", "smtp.x", "alice", None).unwrap();
        assert!(text.contains("imap.x") && text.contains("smtp.x") && text.contains("alice"));
        assert!(!text.contains("{{"));
    }
}
