//! `fountain waves …`: division IT's waves from a terminal. Exit codes: 0 done, 2 refused (the file
//! has lines that cannot be taken, or the wave cannot take them; nothing was changed), 1 failed.
use std::collections::HashSet;
use std::path::PathBuf;

use app::dto::WaveName;
use clap::{Args, Subcommand};

use crate::config::Config;
use crate::jobs::waves::store::{self, WaveError};

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
    /// Every wave with its counts.
    List {
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
    let db = crate::db::connect(&config.database.url).await?;
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
            let reader = std::io::BufReader::new(reader);
            // Named destinations come with per-person destinations; until then, the default only.
            let destinations = HashSet::new();
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
        WavesCommand::Show { name, json } => {
            let name = WaveName::parse(&name)?;
            let Some(wave) = store::find(&db, &name).await? else {
                eprintln!("there is no wave named “{name}”: fountain waves list shows them");
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
