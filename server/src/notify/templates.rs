//! The templates of every email and of the client instructions, in minijinja with strict undefined
//! handling: a placeholder that is misspelt, or that this template is not given, is an error. They
//! load from `migration.templates_dir` where IT put a file, else the built-in ones
//! (`server/templates`), and each is checked when it loads — rendered once with sample values and
//! required to use the placeholders people cannot do without — so a broken edit is refused, with
//! its file and line, before anyone receives it.
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use minijinja::{AutoEscape, Environment, ErrorKind, UndefinedBehavior, Value};

use super::html::escape;

/// One template file: where it lives under the templates folder, its built-in text, the
/// placeholders it is given (name, what it holds), and those it must use.
#[derive(Debug)]
pub struct Spec {
    pub file: &'static str,
    builtin: &'static str,
    pub placeholders: &'static [(&'static str, &'static str)],
    pub required: &'static [&'static str],
}

const NAME: (&str, &str) = ("name", "the person's name");
const PORTAL: (&str, &str) = ("portal_url", "the link to the person's page in the portal");

const STARTED: &[(&str, &str)] = &[
    NAME,
    ("folders", "how many folders are being copied"),
    ("messages", "how many messages the scan found in them"),
    ("size", "their size, in words (\"34 MB\")"),
    PORTAL,
];
const DONE: &[(&str, &str)] = &[
    NAME,
    ("messages", "messages copied"),
    ("size", "their size, in words"),
    ("folders", "folders copied"),
    (
        "summary",
        "old folder -> new folder: copied of total, one line each",
    ),
    (
        "summary_html",
        "the same as a table (HTML, already escaped)",
    ),
    (
        "instructions",
        "how to set up the mail program (the client instructions)",
    ),
    PORTAL,
];
const ATTENTION: &[(&str, &str)] = &[NAME, ("problem", "what stopped it, in words"), PORTAL];
const HELPDESK: &[(&str, &str)] = &[
    ("person", "the person's name"),
    ("email", "the person's address"),
    ("request_id", "the request's number"),
    ("problem", "what stopped it, in words"),
    ("class", "its failure class"),
    ("next_step", "what to do next for that class"),
    ("helpdesk_url", "the request's page in the helpdesk area"),
];
const RECONNECT: &[(&str, &str)] = &[NAME, PORTAL];
const WAVE: (&str, &str) = ("wave", "the wave's name");
const WINDOW: (&str, &str) = (
    "window",
    "when the wave runs, in words (\"from 2026-12-05 18:00 to 2026-12-06 06:00 (UTC)\")",
);
const INVITATION: &[(&str, &str)] = &[NAME, WAVE, WINDOW, PORTAL];
const REMINDER: &[(&str, &str)] = &[
    NAME,
    WAVE,
    WINDOW,
    (
        "when",
        "how soon, in a few words (\"in 7 days\", \"tomorrow\", \"now\")",
    ),
    (
        "when_sentence",
        "the same as a sentence (\"The time to do it starts tomorrow.\")",
    ),
    PORTAL,
];
const NOTICE: &[(&str, &str)] = &[NAME, WAVE, WINDOW, PORTAL];
const INSTRUCTIONS: &[(&str, &str)] = &[
    ("imap_host", "the new IMAP server's name"),
    ("smtp_host", "the new SMTP server's name"),
    ("login", "the person's login on the new server"),
    (
        "help",
        "\"More help: <url>\" when migration.client.help_url is set, else empty",
    ),
];

macro_rules! spec {
    ($file:literal, $placeholders:expr, $required:expr) => {
        Spec {
            file: $file,
            builtin: include_str!(concat!("../../templates/", $file)),
            placeholders: $placeholders,
            required: $required,
        }
    };
}

/// Every template, in the order the IT page lists them.
pub const SPECS: [Spec; 19] = [
    spec!("email/started.txt", STARTED, &["portal_url"]),
    spec!("email/started.html", STARTED, &["portal_url"]),
    spec!("email/done.txt", DONE, &["instructions", "portal_url"]),
    spec!("email/done.html", DONE, &["instructions", "portal_url"]),
    spec!("email/attention.txt", ATTENTION, &["problem", "portal_url"]),
    spec!(
        "email/attention.html",
        ATTENTION,
        &["problem", "portal_url"]
    ),
    spec!("email/helpdesk.txt", HELPDESK, &["problem", "helpdesk_url"]),
    spec!(
        "email/helpdesk.html",
        HELPDESK,
        &["problem", "helpdesk_url"]
    ),
    spec!("email/reconnect.txt", RECONNECT, &["portal_url"]),
    spec!("email/reconnect.html", RECONNECT, &["portal_url"]),
    spec!("email/catch-up.txt", RECONNECT, &["portal_url"]),
    spec!("email/catch-up.html", RECONNECT, &["portal_url"]),
    spec!(
        "email/invitation.txt",
        INVITATION,
        &["window", "portal_url"]
    ),
    spec!(
        "email/invitation.html",
        INVITATION,
        &["window", "portal_url"]
    ),
    spec!("email/reminder.txt", REMINDER, &["window", "portal_url"]),
    spec!("email/reminder.html", REMINDER, &["window", "portal_url"]),
    spec!("email/notice.txt", NOTICE, &["window"]),
    spec!("email/notice.html", NOTICE, &["window"]),
    // The settings people type into their mail program: a typo here is what the seed's instructions
    // email had, so the server names and the login must come from the configuration.
    spec!(
        "client-instructions.txt",
        INSTRUCTIONS,
        &["imap_host", "smtp_host", "login"]
    ),
];

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum TemplateError {
    #[error("{file}, line {line}: {message}")]
    Invalid {
        file: String,
        line: usize,
        message: String,
    },
    #[error(
        "{file} must use {{{{ {placeholder} }}}}: without it people cannot do what the email asks"
    )]
    Missing { file: String, placeholder: String },
    #[error("{file} must start with a \"Subject: \" line and a blank line")]
    NoSubject { file: String },
    #[error("cannot read the template {path}: {error}")]
    Unreadable { path: String, error: String },
    #[error("there is no template {0}")]
    Unknown(String),
}

/// Where a template came from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Origin {
    BuiltIn,
    Folder(PathBuf),
}

/// The loaded, checked templates.
pub struct Templates {
    env: Environment<'static>,
    sources: Vec<(&'static Spec, Origin, String)>,
}

impl std::fmt::Debug for Templates {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Templates").finish_non_exhaustive()
    }
}

impl Templates {
    /// The built-in templates.
    pub fn builtin() -> Templates {
        Self::load(None).expect("the built-in templates are checked by the tests")
    }

    /// The templates of `dir` (for each file it has), else the built-in ones; each is checked.
    pub fn load(dir: Option<&Path>) -> Result<Templates, TemplateError> {
        let mut sources = Vec::with_capacity(SPECS.len());
        for spec in &SPECS {
            let path = dir.map(|d| d.join(spec.file)).filter(|p| p.exists());
            let (origin, source) = match path {
                Some(path) => {
                    let source =
                        std::fs::read_to_string(&path).map_err(|e| TemplateError::Unreadable {
                            path: path.display().to_string(),
                            error: e.to_string(),
                        })?;
                    (Origin::Folder(path), source)
                }
                None => (Origin::BuiltIn, spec.builtin.to_owned()),
            };
            sources.push((spec, origin, source));
        }
        Self::from_sources(sources)
    }

    /// Checks `source` as the template `file` would be, without keeping it (an edit tried first).
    pub fn check(file: &str, source: &str) -> Result<(), TemplateError> {
        let spec = spec(file)?;
        let mut env = environment();
        add(&mut env, spec, source.to_owned())?;
        check_one(&env, spec)
    }

    fn from_sources(
        sources: Vec<(&'static Spec, Origin, String)>,
    ) -> Result<Templates, TemplateError> {
        let mut env = environment();
        for (spec, _, source) in &sources {
            add(&mut env, spec, source.clone())?;
        }
        for (spec, ..) in &sources {
            check_one(&env, spec)?;
        }
        Ok(Templates { env, sources })
    }

    /// Each template with where it came from and its text, for IT to read.
    pub fn sources(&self) -> impl Iterator<Item = (&'static Spec, &Origin, &str)> {
        self.sources
            .iter()
            .map(|(spec, origin, source)| (*spec, origin, source.as_str()))
    }

    /// Renders `file` with `vars`; values are escaped in `.html` templates, except those whose
    /// name ends in `_html` (built by Fountain from escaped parts).
    pub fn render(&self, file: &str, vars: &[(&str, String)]) -> Result<String, TemplateError> {
        let template = self
            .env
            .get_template(file)
            .map_err(|_| TemplateError::Unknown(file.to_owned()))?;
        let context: BTreeMap<&str, Value> = vars
            .iter()
            .map(|(key, value)| {
                let value = if key.ends_with("_html") {
                    Value::from_safe_string(value.clone())
                } else {
                    Value::from(value.as_str())
                };
                (*key, value)
            })
            .collect();
        template.render(context).map_err(|e| invalid(file, &e))
    }
}

fn environment() -> Environment<'static> {
    let mut env = Environment::new();
    env.set_undefined_behavior(UndefinedBehavior::Strict);
    // Emails end as their templates do.
    env.set_keep_trailing_newline(true);
    // HTML escaping as the rest of Fountain does it (minijinja's also escapes `/`, which mangles
    // every link's text).
    env.set_formatter(|out, state, value| {
        if state.auto_escape() == AutoEscape::Html && !value.is_safe() {
            out.write_str(&escape(&value.to_string()))
                .map_err(|_| minijinja::Error::new(ErrorKind::WriteFailure, "writing the email"))
        } else {
            minijinja::escape_formatter(out, state, value)
        }
    });
    env
}

fn spec(file: &str) -> Result<&'static Spec, TemplateError> {
    SPECS
        .iter()
        .find(|s| s.file == file)
        .ok_or_else(|| TemplateError::Unknown(file.to_owned()))
}

fn add(env: &mut Environment<'static>, spec: &Spec, source: String) -> Result<(), TemplateError> {
    env.add_template_owned(spec.file, source)
        .map_err(|e| invalid(spec.file, &e))
}

/// Renders the template once with a sample value for every placeholder it is given (so a misspelt
/// one fails with its line), and requires the placeholders it cannot do without.
fn check_one(env: &Environment<'static>, spec: &Spec) -> Result<(), TemplateError> {
    let template = env
        .get_template(spec.file)
        .map_err(|e| invalid(spec.file, &e))?;
    let used = template.undeclared_variables(false);
    if let Some(missing) = spec.required.iter().find(|r| !used.contains(**r)) {
        return Err(TemplateError::Missing {
            file: spec.file.to_owned(),
            placeholder: (*missing).to_owned(),
        });
    }
    let samples: BTreeMap<&str, Value> = spec
        .placeholders
        .iter()
        .map(|(name, _)| (*name, Value::from(format!("[{name}]"))))
        .collect();
    let text = template
        .render(samples)
        .map_err(|e| invalid(spec.file, &e))?;
    if spec.file.starts_with("email/") && spec.file.ends_with(".txt") {
        subject_and_body(spec.file, &text)?;
    }
    Ok(())
}

/// A rendered text email's subject (its first line, after "Subject: ") and body.
pub fn subject_and_body<'a>(
    file: &str,
    text: &'a str,
) -> Result<(&'a str, &'a str), TemplateError> {
    let no_subject = || TemplateError::NoSubject {
        file: file.to_owned(),
    };
    let (subject_line, body) = text.split_once("\n\n").ok_or_else(no_subject)?;
    let subject = subject_line
        .strip_prefix("Subject: ")
        .filter(|s| !s.trim().is_empty() && !s.contains('\n'))
        .ok_or_else(no_subject)?;
    Ok((subject.trim(), body))
}

fn invalid(file: &str, e: &minijinja::Error) -> TemplateError {
    let message = match e.detail() {
        Some(detail) => format!("{}: {detail}", e.kind()),
        None => e.kind().to_string(),
    };
    TemplateError::Invalid {
        file: file.to_owned(),
        line: e.line().unwrap_or(0),
        message,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_built_in_templates_pass_their_own_checks() {
        let t = Templates::load(None).unwrap();
        assert_eq!(t.sources().count(), SPECS.len());
        assert!(t.sources().all(|(_, origin, _)| *origin == Origin::BuiltIn));
    }

    #[test]
    fn a_misspelt_placeholder_is_refused_with_its_line() {
        let edited = "Subject: Done\n\nHello {{ name }},\n\nSee {{ portal_url }}\n{{ instructions }}\nBye {{ nmae }}\n";
        let e = Templates::check("email/done.txt", edited).unwrap_err();
        match &e {
            TemplateError::Invalid { file, line, .. } => {
                assert_eq!((file.as_str(), *line), ("email/done.txt", 7), "{e}")
            }
            other => panic!("{other:?}"),
        }
        assert!(e.to_string().contains("line 7"), "{e}");
    }

    #[test]
    fn a_template_without_what_people_need_or_with_bad_syntax_is_refused() {
        let no_login = "1. IMAP server {{ imap_host }}\n2. SMTP server {{ smtp_host }}\n";
        assert_eq!(
            Templates::check("client-instructions.txt", no_login),
            Err(TemplateError::Missing {
                file: "client-instructions.txt".into(),
                placeholder: "login".into()
            })
        );
        let unclosed = "Subject: x\n\n{{ portal_url }}\n{% if name %}\n";
        assert!(matches!(
            Templates::check("email/reconnect.txt", unclosed),
            Err(TemplateError::Invalid { line: 4, .. })
        ));
        let no_subject = "Hello {{ name }}\n\n{{ portal_url }}\n";
        assert!(matches!(
            Templates::check("email/reconnect.txt", no_subject),
            Err(TemplateError::NoSubject { .. })
        ));
        assert!(matches!(
            Templates::check("email/nope.txt", "x"),
            Err(TemplateError::Unknown(_))
        ));
    }

    #[test]
    fn a_folder_overrides_only_the_files_it_has() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::create_dir_all(dir.path().join("email")).unwrap();
        std::fs::write(
            dir.path().join("email/reconnect.txt"),
            "Subject: Bitte erneut verbinden\n\nHallo {{ name }}, {{ portal_url }}\n",
        )
        .unwrap();
        let t = Templates::load(Some(dir.path())).unwrap();
        let origins: Vec<bool> = t
            .sources()
            .map(|(_, origin, _)| matches!(origin, Origin::Folder(_)))
            .collect();
        assert_eq!(origins.iter().filter(|o| **o).count(), 1);
        let text = t
            .render(
                "email/reconnect.txt",
                &[
                    ("name", "Zoë".into()),
                    ("portal_url", "https://p/me".into()),
                ],
            )
            .unwrap();
        assert_eq!(
            text,
            "Subject: Bitte erneut verbinden\n\nHallo Zoë, https://p/me\n"
        );
        // A broken file in the folder stops the load, naming it.
        std::fs::write(
            dir.path().join("email/done.html"),
            "{{ portal_url }} {{ instructions }} {{ oops }}",
        )
        .unwrap();
        let e = Templates::load(Some(dir.path())).unwrap_err();
        assert!(e.to_string().starts_with("email/done.html, line 1"), "{e}");
    }

    #[test]
    fn html_templates_escape_values_but_not_the_prebuilt_html_ones() {
        let t = Templates::builtin();
        let vars = |name: &str| -> Vec<(&str, String)> {
            DONE.iter()
                .map(|(k, _)| {
                    (
                        *k,
                        if *k == "name" {
                            name.to_owned()
                        } else {
                            format!("<b>{k}</b>")
                        },
                    )
                })
                .collect()
        };
        let html = t.render("email/done.html", &vars("A & <B>")).unwrap();
        assert!(html.contains("A &amp; &lt;B&gt;"), "{html}");
        assert!(html.contains("<b>summary_html</b>"), "{html}");
        let text = t.render("email/done.txt", &vars("A & <B>")).unwrap();
        assert!(text.contains("A & <B>"), "{text}");
    }
}
