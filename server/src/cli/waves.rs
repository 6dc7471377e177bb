//! `fountain waves …`: division IT's waves from a terminal. Exit codes: 0 done, 2 refused (the file
//! has lines that cannot be taken, or the wave cannot take them; nothing was changed), 1 failed.
use std::path::PathBuf;

use app::dto::{EmailAddress, WaveMode, WaveName};
use clap::{Args, Subcommand};

use crate::config::Config;
use crate::jobs::waves::lifecycle::Command;
use crate::jobs::waves::store::CommandError;
use crate::jobs::waves::store::{self, Settings, WaveError};
use crate::jobs::waves::{outreach, preview, report};

#[derive(Debug, Args)]
pub struct WavesArgs {
    #[command(subcommand)]
    pub command: WavesCommand,
}

#[derive(Debug, Subcommand)]
pub enum WavesCommand {
    /// Add the people of a CSV file (columns email, old_login, destination, note) to a wave, made if
    /// there is none: everyone, or nobody when a line cannot be taken (each such line is listed).
    Import {
        file: PathBuf,
        #[arg(long)]
        wave: String,
        /// Who is importing, for the record.
        #[arg(long, env = "USER", default_value = "fountain-cli")]
        by: String,
        #[arg(long)]
        json: bool,
    },
    /// Add one person to a wave by hand (made if there is none), with the import's checks.
    Add {
        name: String,
        email: String,
        #[arg(long)]
        note: Option<String>,
        #[arg(long, env = "USER", default_value = "fountain-cli")]
        by: String,
    },
    /// Take one person out of a wave (what they have copied stays).
    Remove {
        name: String,
        email: String,
        #[arg(long, env = "USER", default_value = "fountain-cli")]
        by: String,
    },
    /// Every wave with its counts.
    List {
        #[arg(long)]
        json: bool,
    },
    /// Change a wave: copies at once, who starts them, its window (UTC, "2026-12-05 18:00"; "none"
    /// clears it).
    Set {
        name: String,
        #[arg(long)]
        concurrency: Option<u32>,
        /// invite (people do it themselves) or it-run (Fountain does it for them).
        #[arg(long)]
        mode: Option<String>,
        #[arg(long)]
        window_start: Option<String>,
        #[arg(long)]
        window_end: Option<String>,
        #[arg(long, env = "USER", default_value = "fountain-cli")]
        by: String,
    },
    /// The wave's plan before it starts: largest first, each person's start and finish (p50, p90),
    /// and the wave's finish against its window.
    Plan {
        name: String,
        #[arg(long)]
        json: bool,
    },
    /// The wave's results person by person: state, folders, messages and bytes on the old server
    /// against the new, kept aside, left behind, repaired.
    Report {
        name: String,
        #[arg(long)]
        csv: bool,
        #[arg(long)]
        json: bool,
    },
    /// Start a planned wave: its schedule gives each person's copy its turn (largest first, inside
    /// the window, at the wave's copies at once).
    Start {
        name: String,
        #[arg(long, env = "USER", default_value = "fountain-cli")]
        by: String,
        #[arg(long)]
        json: bool,
    },
    /// Pause a running wave: what is copying stops (to resume exactly where it was), nothing new starts.
    Pause {
        name: String,
        #[arg(long, env = "USER", default_value = "fountain-cli")]
        by: String,
        #[arg(long)]
        json: bool,
    },
    /// Resume a paused wave.
    Resume {
        name: String,
        #[arg(long, env = "USER", default_value = "fountain-cli")]
        by: String,
        #[arg(long)]
        json: bool,
    },
    /// What the wave tells its people, a dry run: who gets the invitation (or an IT-run wave's
    /// notice) and each reminder, and when; what went out already.
    Messages {
        name: String,
        #[arg(long)]
        json: bool,
    },
    /// One wave and its people.
    Show {
        name: String,
        #[arg(long)]
        json: bool,
    },
}

pub async fn run(config: Config, args: WavesArgs) -> anyhow::Result<i32> {
    let db = crate::db::connect_configured(&config.database).await?;
    match args.command {
        WavesCommand::Import {
            file,
            wave,
            by,
            json,
        } => {
            let name = WaveName::parse(&wave)?;
            let reader = std::fs::File::open(&file)
                .map_err(|e| anyhow::anyhow!("cannot open {}: {e}", file.display()))?;
            let destinations = crate::jobs::destinations::configured(config.migration.as_ref());
            match store::import(&db, &name, reader, &destinations, &by).await {
                Ok(imported) => {
                    if json {
                        println!("{}", serde_json::to_string_pretty(&imported)?);
                    } else {
                        println!(
                            "{} added to the wave “{name}” ({} already in it)",
                            imported.added, imported.already_in
                        );
                    }
                    Ok(0)
                }
                Err(WaveError::Refused { problems, count }) => {
                    if json {
                        let listed: Vec<_> = problems
                            .iter()
                            .map(|p| serde_json::json!({ "line": p.line, "problem": p.what }))
                            .collect();
                        println!(
                            "{}",
                            serde_json::to_string_pretty(
                                &serde_json::json!({ "refused": count, "problems": listed })
                            )?
                        );
                    } else {
                        for p in &problems {
                            eprintln!("{}:{}: {}", file.display(), p.line, p.what);
                        }
                        if count > problems.len() as u64 {
                            eprintln!("… and {} more", count - problems.len() as u64);
                        }
                        eprintln!(
                            "{count} line(s) cannot be taken, so nobody was added: correct them and import again"
                        );
                    }
                    Ok(2)
                }
                Err(e @ WaveError::Finished(_)) => {
                    eprintln!("{e}");
                    Ok(2)
                }
                Err(e) => Err(e.into()),
            }
        }
        WavesCommand::Add {
            name,
            email,
            note,
            by,
        } => {
            let name = WaveName::parse(&name)?;
            let email = match EmailAddress::parse(&email) {
                Ok(email) => email,
                Err(why) => {
                    eprintln!("{why}");
                    return Ok(2);
                }
            };
            let note = note.as_deref().map(str::trim).filter(|n| !n.is_empty());
            let max = crate::jobs::waves::import::MAX_NOTE_CHARS;
            if note.is_some_and(|n| n.chars().count() > max || n.chars().any(char::is_control)) {
                eprintln!("the note is over {max} characters or holds control characters");
                return Ok(2);
            }
            match store::add(&db, &name, &email, note, &by).await {
                Ok(true) => println!("{email} added to the wave “{name}”"),
                Ok(false) => println!("{email} is in the wave “{name}” already"),
                Err(e @ (WaveError::Elsewhere { .. } | WaveError::Finished(_))) => {
                    eprintln!("{e}");
                    return Ok(2);
                }
                Err(e) => return Err(e.into()),
            }
            Ok(0)
        }
        WavesCommand::Remove { name, email, by } => {
            let Some((name, wave)) = existing(&db, &name).await? else {
                return Ok(2);
            };
            let Ok(email) = EmailAddress::parse(&email) else {
                eprintln!("{email:?} is not an email address");
                return Ok(2);
            };
            if store::remove(&db, &wave, &email, &by).await? {
                println!("{email} is out of the wave “{name}”");
                Ok(0)
            } else {
                eprintln!("{email} is not in the wave “{name}”");
                Ok(2)
            }
        }
        WavesCommand::List { json } => {
            let waves = store::list(&db).await?;
            if json {
                println!("{}", serde_json::to_string_pretty(&waves)?);
            } else if waves.is_empty() {
                println!("no waves yet: fountain waves import FILE --wave NAME");
            } else {
                for w in waves {
                    println!(
                        "{}\t{}\t{} people ({} sized, {})\t{} at once",
                        w.name,
                        w.state.as_str(),
                        w.members,
                        w.scanned,
                        app::format::human_size(w.bytes),
                        w.concurrency
                    );
                }
            }
            Ok(0)
        }
        WavesCommand::Set {
            name,
            concurrency,
            mode,
            window_start,
            window_end,
            by,
        } => {
            let Some((name, wave)) = existing(&db, &name).await? else {
                return Ok(2);
            };
            let change = match settings(concurrency, mode, window_start, window_end) {
                Ok(change) => change,
                Err(why) => {
                    eprintln!("{why}");
                    return Ok(2);
                }
            };
            match store::update(&db, &wave, &change, admin_login(&config), &by).await? {
                Ok(_) => {
                    println!("the wave “{name}” is changed");
                    Ok(0)
                }
                Err(why) => {
                    eprintln!("{why}; nothing was changed");
                    Ok(2)
                }
            }
        }
        WavesCommand::Plan { name, json } => {
            let Some((name, wave)) = existing(&db, &name).await? else {
                return Ok(2);
            };
            let (connections, rate, per_copy, assumed_mb) = match &config.migration {
                Some(m) => {
                    let (connections, rate) = m.limits_of(&m.old_server);
                    (connections, rate, m.parallel_folders, m.assumed_mb_per_sec)
                }
                None => (2, None, 1, 2.0),
            };
            let allowed = preview::old_server_allows(&db, connections, rate, per_copy).await?;
            let plan = preview::preview(&db, &wave, allowed, assumed_mb * 1_000_000.0).await?;
            if json {
                println!("{}", serde_json::to_string_pretty(&plan)?);
            } else {
                print_plan(&name, wave.window_start, &plan);
            }
            Ok(0)
        }
        WavesCommand::Report { name, csv, json } => {
            let Some((_, wave)) = existing(&db, &name).await? else {
                return Ok(2);
            };
            let rows = report::rows(&db, &wave).await?;
            if json {
                println!("{}", serde_json::to_string_pretty(&rows)?);
            } else if csv {
                print!("{}", report::csv(&rows));
            } else {
                for r in &rows {
                    let t = &r.totals;
                    let new = t
                        .destination_messages
                        .map_or_else(|| "?".to_owned(), |n| n.to_string());
                    println!(
                        "{}\t{}\t{} messages, {} on the new server; {} kept aside, {} left behind, {} repaired",
                        r.email, r.state, t.source_messages, new, t.quarantined, t.left_behind, t.repaired
                    );
                }
            }
            Ok(0)
        }
        WavesCommand::Start { name, by, json } => {
            drive(&config, &db, &name, Command::Start, &by, json).await
        }
        WavesCommand::Pause { name, by, json } => {
            drive(&config, &db, &name, Command::Pause, &by, json).await
        }
        WavesCommand::Resume { name, by, json } => {
            drive(&config, &db, &name, Command::Resume, &by, json).await
        }
        WavesCommand::Messages { name, json } => {
            let Some((name, wave)) = existing(&db, &name).await? else {
                return Ok(2);
            };
            let days = config
                .migration
                .as_ref()
                .map_or_else(|| vec![7, 1], |m| m.wave_reminder_days.clone());
            let planned = outreach::messages(&db, &days, &wave, crate::db::now()).await?;
            if json {
                println!("{}", serde_json::to_string_pretty(&planned)?);
            } else {
                print_messages(&name, &planned);
            }
            Ok(0)
        }
        WavesCommand::Show { name, json } => {
            let Some((_, wave)) = existing(&db, &name).await? else {
                return Ok(2);
            };
            let members = store::members(&db, &wave).await?;
            let summary = store::summary(&db, wave).await?;
            if json {
                let people: Vec<_> = members
                    .iter()
                    .map(|m| {
                        serde_json::json!({
                            "email": m.email,
                            "old_login": m.old_login,
                            "destination": m.destination,
                            "note": m.note,
                            "bytes": m.bytes,
                        })
                    })
                    .collect();
                println!(
                    "{}",
                    serde_json::to_string_pretty(
                        &serde_json::json!({ "wave": summary, "people": people })
                    )?
                );
            } else {
                println!(
                    "{} ({}, {} at once): {} people",
                    summary.name,
                    summary.state.as_str(),
                    summary.concurrency,
                    summary.members
                );
                for m in members {
                    let size = m.bytes.map_or_else(
                        || "not sized yet".to_owned(),
                        |b| app::format::human_size(u64::try_from(b).unwrap_or(0)),
                    );
                    println!("{}\t{size}\t{}", m.email, m.note.unwrap_or_default());
                }
            }
            Ok(0)
        }
    }
}

/// The wave named `typed`, or `None` once the terminal has been told there is none.
async fn existing(
    db: &sea_orm::DatabaseConnection,
    typed: &str,
) -> anyhow::Result<Option<(WaveName, crate::db::entity::wave::Model)>> {
    let name = WaveName::parse(typed)?;
    let found = store::find(db, &name).await?;
    if found.is_none() {
        eprintln!("there is no wave named “{name}”: fountain waves list shows them");
    }
    Ok(found.map(|wave| (name, wave)))
}

/// The change the flags ask for, or what is wrong with them.
fn settings(
    concurrency: Option<u32>,
    mode: Option<String>,
    window_start: Option<String>,
    window_end: Option<String>,
) -> Result<Settings, String> {
    let mode = match mode.as_deref() {
        None => None,
        Some("invite") => Some(WaveMode::Invite),
        Some("it-run" | "it_run") => Some(WaveMode::ItRun),
        Some(other) => return Err(format!("--mode {other:?}: say invite or it-run")),
    };
    let when = |flag: &str, typed: Option<String>| -> Result<Option<Option<i64>>, String> {
        match typed {
            None => Ok(None),
            Some(t) => app::format::parse_window_time(&t).map(Some).ok_or_else(|| {
                format!("{flag} {t:?}: write a time in UTC as 2026-12-05 18:00 (or none)")
            }),
        }
    };
    Ok(Settings {
        concurrency,
        mode,
        window_start: when("--window-start", window_start)?,
        window_end: when("--window-end", window_end)?,
    })
}

fn print_plan(name: &WaveName, window_start: Option<i64>, plan: &app::dto::WavePlan) {
    use app::format::{format_unix, human_duration, human_size};
    let mb = |rate: f64| rate / 1_000_000.0;
    let measured = match plan.measured_copies {
        0 => "assumed: nothing measured on the old server yet".to_owned(),
        1 => "measured over 1 copy on the old server".to_owned(),
        n => format!("measured over {n} copies on the old server"),
    };
    println!(
        "{name}: {} people planned, {} copies at once; one copy moves {:.1} MB/s typically, {:.1} when slow ({measured})",
        plan.people.len(),
        plan.slots,
        mb(plan.rate_p50),
        mb(plan.rate_p10),
    );
    let at = |secs: f64| match window_start {
        Some(start) => format_unix(start + secs.round() as i64),
        None => format!("+{}", human_duration(secs.round() as u64)),
    };
    for (i, p) in plan.people.iter().enumerate() {
        println!(
            "{:>5}. {}	{}	starts {}	ends {} (p90 {})",
            i + 1,
            p.email,
            human_size(p.bytes),
            at(p.start_p50_secs),
            at(p.finish_p50_secs),
            at(p.finish_p90_secs),
        );
    }
    println!(
        "the wave ends {} (p90 {}); no order could end before {}",
        at(plan.finish_p50_secs),
        at(plan.finish_p90_secs),
        at(plan.lower_bound_secs),
    );
    if let Some(fit) = plan.window_fit() {
        println!("it {fit}");
    }
    if !plan.not_sized.is_empty() {
        println!(
            "not sized yet (no finished scan), not planned: {}",
            plan.not_sized.join(", ")
        );
    }
    if !plan.already_done.is_empty() {
        println!("already copied: {}", plan.already_done.join(", "));
    }
}

/// Starts, pauses or resumes the wave `name`: 0 done, 2 refused (with why and what to do instead).
async fn drive(
    config: &Config,
    db: &sea_orm::DatabaseConnection,
    name: &str,
    command: Command,
    by: &str,
    json: bool,
) -> anyhow::Result<i32> {
    let Some((name, wave)) = existing(db, name).await? else {
        return Ok(2);
    };
    let admin_login = admin_login(config);
    let refused = |why: String| -> anyhow::Result<i32> {
        if json {
            println!("{}", serde_json::json!({ "refused": why }));
        } else {
            eprintln!("{why}");
        }
        Ok(2)
    };
    match store::command(db, &wave, command, admin_login, by).await {
        Ok(state) => {
            if json {
                println!("{}", serde_json::json!({ "wave": name, "state": state }));
            } else {
                println!("the wave “{name}” is {state}");
                if let Some(when) = window_note(&wave, crate::db::now()) {
                    println!("{when}");
                }
            }
            Ok(0)
        }
        Err(CommandError::Db(e)) => Err(e.into()),
        Err(e) => refused(format!("{e}; nothing was changed")),
    }
}

/// What the window means for a wave just started or resumed, when it holds the copies back.
fn window_note(wave: &crate::db::entity::wave::Model, now: i64) -> Option<String> {
    use app::format::format_unix;
    match (wave.window_start, wave.window_end) {
        (_, Some(end)) if now >= end => Some(format!(
            "its window ended at {} UTC, so nothing copies until it has a new one (fountain waves set NAME --window-end …)",
            format_unix(end)
        )),
        (Some(start), _) if now < start => Some(format!(
            "its window opens at {} UTC: the first copies start then",
            format_unix(start)
        )),
        _ => None,
    }
}

fn print_messages(name: &WaveName, planned: &app::dto::WaveMessages) {
    use app::format::format_unix;
    if planned.as_if_started_now {
        println!("“{name}” has not started: times are as if it started now.");
    }
    if planned.messages.is_empty() {
        println!("Nothing to send: everyone has started.");
    }
    for m in &planned.messages {
        println!(
            "{}\t{}\t{}\t{}",
            format_unix(m.due),
            m.delivery.as_str(),
            m.email,
            m.what.label()
        );
    }
}

/// Fountain can log in to the old server for people (proxy or master login).
fn admin_login(config: &Config) -> bool {
    config
        .migration
        .as_ref()
        .is_some_and(|m| m.old_server.auth != crate::config::MailAuth::Password)
}
