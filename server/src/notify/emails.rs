//! The emails Fountain sends and the client instructions, rendered from [`Templates`] (minijinja,
//! strict: a placeholder left unfilled is an error, so a broken template never reaches anyone).
//! Values are HTML-escaped in the HTML part, except `*_html` values, built here from escaped parts.
use app::dto::{FailureClass, MigrationReport, ScanResult};
use app::format::human_size;

use super::html::escape;
pub use super::templates::{TemplateError, Templates};

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
    /// After the switch: catch-ups wait for the old password Fountain forgot.
    CatchUpPassword,
    /// An invitation wave has started: do it yourself, in its window.
    Invitation,
    /// An invitation wave's reminder to those who have not started.
    Reminder,
    /// An IT-run wave has started: IT will copy your mailbox.
    Notice,
}

impl Kind {
    /// Its text and HTML templates.
    pub fn files(self) -> (&'static str, &'static str) {
        match self {
            Kind::Started => ("email/started.txt", "email/started.html"),
            Kind::Done => ("email/done.txt", "email/done.html"),
            Kind::NeedsAttention => ("email/attention.txt", "email/attention.html"),
            Kind::Helpdesk => ("email/helpdesk.txt", "email/helpdesk.html"),
            Kind::Reconnect => ("email/reconnect.txt", "email/reconnect.html"),
            Kind::CatchUpPassword => ("email/catch-up.txt", "email/catch-up.html"),
            Kind::Invitation => ("email/invitation.txt", "email/invitation.html"),
            Kind::Reminder => ("email/reminder.txt", "email/reminder.html"),
            Kind::Notice => ("email/notice.txt", "email/notice.html"),
        }
    }
}

/// Renders one email: the text template's first line is its subject.
pub fn render(
    t: &Templates,
    kind: Kind,
    vars: &[(&str, String)],
) -> Result<Rendered, TemplateError> {
    let (text_file, html_file) = kind.files();
    let text = t.render(text_file, vars)?;
    let (subject, body) = super::templates::subject_and_body(text_file, &text)?;
    Ok(Rendered {
        subject: subject.to_owned(),
        text: body.to_owned(),
        html: t.render(html_file, vars)?,
    })
}

/// The "started" email for a request of `folders` out of a scan.
pub fn started(
    t: &Templates,
    name: &str,
    folders: &[String],
    scan: Option<&ScanResult>,
    portal_url: &str,
) -> Result<Rendered, TemplateError> {
    let (messages, bytes) = scan
        .map(|s| s.totals(|f| folders.iter().any(|x| x == f)))
        .unwrap_or_default();
    render(
        t,
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
    t: &Templates,
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
    let (left, repaired) = exceptions(report);
    let summary = [summary, left.join("\n"), repaired.join("\n")]
        .into_iter()
        .filter(|s| !s.is_empty())
        .collect::<Vec<_>>()
        .join("\n\n");
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
    let list = |lines: &[String]| match lines.split_first() {
        None => String::new(),
        Some((title, items)) => format!(
            "<p>{}</p><ul>{}</ul>",
            escape(title),
            items
                .iter()
                .map(|i| format!("<li>{}</li>", escape(i.trim_start())))
                .collect::<String>()
        ),
    };
    let summary_html = format!(
        "<table style=\"border-collapse: collapse;\" cellpadding=\"4\"><tr><th align=\"left\">Old folder</th>\
         <th align=\"left\">New folder</th><th align=\"right\">Messages</th></tr>{rows}</table>{}{}",
        list(&left),
        list(&repaired)
    );
    render(
        t,
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

/// What the person is told of messages left behind and repaired: a title line, then one line each
/// (empty when there are none).
fn exceptions(report: &MigrationReport) -> (Vec<String>, Vec<String>) {
    let named = |subject: &Option<String>| {
        subject
            .as_deref()
            .map_or("(no subject)".to_owned(), |s| format!("“{s}”"))
    };
    let mut left = Vec::new();
    let mut repaired = Vec::new();
    for f in &report.folders {
        for m in &f.left_behind {
            let from = m
                .from
                .as_deref()
                .map(|f| format!(" from {f}"))
                .unwrap_or_default();
            let date = m
                .date
                .as_deref()
                .map(|d| format!(", {d}"))
                .unwrap_or_default();
            left.push(format!("  {}: {}{from}{date}", f.source, named(&m.subject)));
        }
        for m in &f.repaired {
            let how: Vec<&str> = m.repairs.iter().map(|r| r.label()).collect();
            repaired.push(format!(
                "  {}: {} ({})",
                f.source,
                named(&m.subject),
                how.join("; ")
            ));
        }
    }
    if !left.is_empty() {
        left.insert(
            0,
            format!(
                "Not migrated: IT could not copy these {} message(s), which stay in your old mailbox; \
                 you can download each from your page:",
                left.len()
            ),
        );
    }
    if !repaired.is_empty() {
        repaired.insert(
            0,
            "Repaired by IT so the new server would take them (nothing else changed):".to_owned(),
        );
    }
    (left, repaired)
}

/// The "needs attention" email, saying what happened.
pub fn needs_attention(
    t: &Templates,
    name: &str,
    problem: &str,
    portal_url: &str,
) -> Result<Rendered, TemplateError> {
    render(
        t,
        Kind::NeedsAttention,
        &[
            ("name", name.to_owned()),
            ("problem", problem.to_owned()),
            ("portal_url", portal_url.to_owned()),
        ],
    )
}

/// Asks the person to connect their old account again (the helpdesk's button).
pub fn reconnect(t: &Templates, name: &str, portal_url: &str) -> Result<Rendered, TemplateError> {
    to_person(t, Kind::Reconnect, name, portal_url)
}

/// Asks the person for their old password once more: after the switch, their catch-ups wait for it.
pub fn catch_up_password(
    t: &Templates,
    name: &str,
    portal_url: &str,
) -> Result<Rendered, TemplateError> {
    to_person(t, Kind::CatchUpPassword, name, portal_url)
}

/// An email whose only words from outside are the person's name and the portal's address.
fn to_person(
    t: &Templates,
    kind: Kind,
    name: &str,
    portal_url: &str,
) -> Result<Rendered, TemplateError> {
    render(
        t,
        kind,
        &[
            ("name", name.to_owned()),
            ("portal_url", portal_url.to_owned()),
        ],
    )
}

/// What a wave's email says of the wave.
#[derive(Debug, Clone, Copy)]
pub struct WaveWords<'a> {
    pub wave: &'a str,
    /// When it runs, in words (see `jobs::waves::messages::window_in_words`).
    pub window: &'a str,
    pub portal_url: &'a str,
}

/// An invitation wave's first email, or an IT-run wave's notice (`kind` says which).
pub fn wave_email(
    t: &Templates,
    kind: Kind,
    name: &str,
    w: WaveWords<'_>,
) -> Result<Rendered, TemplateError> {
    render(
        t,
        kind,
        &[
            ("name", name.to_owned()),
            ("wave", w.wave.to_owned()),
            ("window", w.window.to_owned()),
            ("portal_url", w.portal_url.to_owned()),
        ],
    )
}

/// A reminder to someone who has not started; `when` and `when_sentence` say how soon.
pub fn reminder(
    t: &Templates,
    name: &str,
    w: WaveWords<'_>,
    when: &str,
    when_sentence: &str,
) -> Result<Rendered, TemplateError> {
    render(
        t,
        Kind::Reminder,
        &[
            ("name", name.to_owned()),
            ("wave", w.wave.to_owned()),
            ("window", w.window.to_owned()),
            ("when", when.to_owned()),
            ("when_sentence", when_sentence.to_owned()),
            ("portal_url", w.portal_url.to_owned()),
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
pub fn to_helpdesk(t: &Templates, notice: &HelpdeskNotice<'_>) -> Result<Rendered, TemplateError> {
    render(
        t,
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
    t: &Templates,
    imap_host: &str,
    smtp_host: &str,
    login: &str,
    help_url: Option<&str>,
) -> Result<String, TemplateError> {
    let help = help_url
        .map(|url| format!("More help: {url}"))
        .unwrap_or_default();
    t.render(
        "client-instructions.txt",
        &[
            ("imap_host", imap_host.to_owned()),
            ("smtp_host", smtp_host.to_owned()),
            ("login", login.to_owned()),
            ("help", help),
        ],
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
                left_behind: vec![],
                repaired: vec![],
                notes: vec![],
            }],
            instructions: instructions(
                &Templates::builtin(),
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
        let t = Templates::builtin();
        let started = started(&t, "Alice Archer", &["INBOX".into()], Some(&scan), PORTAL).unwrap();
        assert_complete(&started);
        assert!(
            started.text.contains("1 folders, 12 messages (34 kB)"),
            "{}",
            started.text
        );
        let done = done(&t, "Alice Archer", &report(), PORTAL).unwrap();
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
        let helpdesk = to_helpdesk(
            &t,
            &HelpdeskNotice {
                person: "Alice <A>",
                email: "alice@example.org",
                request_id: 7,
                problem: "INBOX: 1 message(s)",
                class: FailureClass::CorruptMessages,
                helpdesk_url: PORTAL,
            },
        )
        .unwrap();
        assert_complete(&helpdesk);
        assert!(
            helpdesk.text.contains("Corrupt messages") && helpdesk.text.contains("Hand it to IT")
        );
        assert!(helpdesk.subject.contains("Alice <A>"));
        assert!(helpdesk.html.contains("Alice &lt;A&gt;") && helpdesk.text.contains("request 7"));
        let attention = needs_attention(&t, "A & B", "2 messages were refused", PORTAL).unwrap();
        assert_complete(&attention);
        assert!(attention.html.contains("A &amp; B"));
        assert_eq!(attention.subject, "Your mailbox move needs attention");
        let reconnect = reconnect(&t, "Zoë <Z>", PORTAL).unwrap();
        assert_complete(&reconnect);
        assert!(reconnect.html.contains("Zoë &lt;Z&gt;") && reconnect.text.contains("Zoë <Z>"));
    }

    #[test]
    fn instructions_name_the_new_server_and_login() {
        let text = instructions(&Templates::builtin(), "imap.x", "smtp.x", "alice", None).unwrap();
        assert!(text.contains("imap.x") && text.contains("smtp.x") && text.contains("alice"));
        assert!(!text.contains("{{"));
    }
}
