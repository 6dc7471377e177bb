//! `fountain cutover …` and `fountain addresses …`: delivery switched to the new server, the
//! catch-ups and the mail still arriving; the old addresses people confirmed, as routing maps.
//! Exit codes: 0 done, 2 refused (nothing changed), 1 failed.
use std::path::PathBuf;

use app::dto::{EmailAddress, WaveName};
use clap::{Args, Subcommand, ValueEnum};

use crate::config::Config;
use crate::jobs::cutover::{addresses, board, exports, store};

#[derive(Debug, Args)]
pub struct CutoverArgs {
    #[command(subcommand)]
    pub command: CutoverCommand,
}

#[derive(Debug, Subcommand)]
pub enum CutoverCommand {
    /// Mark delivery as moved to the new server, now, for a whole wave or for people by address:
    /// Fountain then catches each one up on its schedule (`[migration.cutover]`).
    Switch {
        #[arg(long, conflicts_with = "person", required_unless_present = "person")]
        wave: Option<String>,
        #[arg(long, num_args = 1..)]
        person: Vec<String>,
        #[arg(long, env = "USER", default_value = "fountain-cli")]
        by: String,
        #[arg(long)]
        json: bool,
    },
    /// Everyone switched: catch-ups, mail still reaching the old server (by address), who is quiet.
    Status {
        #[arg(long)]
        json: bool,
    },
}

#[derive(Debug, Args)]
pub struct AddressesArgs {
    #[command(subcommand)]
    pub command: AddressesCommand,
}

#[derive(Debug, Subcommand)]
pub enum AddressesCommand {
    /// The old addresses found in people's mail and what each person said of them; conflicts first.
    List {
        #[arg(long)]
        json: bool,
    },
    /// The confirmed old addresses → new addresses, for the mail routing. An address two people
    /// confirmed is left out and named on stderr.
    Export {
        #[arg(long, value_enum)]
        format: ExportFormat,
        /// Write here instead of standard output.
        #[arg(long)]
        output: Option<PathBuf>,
    },
}

#[derive(Debug, Clone, Copy, ValueEnum)]
pub enum ExportFormat {
    /// A Postfix `virtual` table (run `postmap` on it).
    Postfix,
    Csv,
    /// LDIF adding `mailAlternateAddress` to each person's entry (`migration.cutover.ldif_dn`).
    Ldif,
}

impl From<ExportFormat> for exports::Format {
    fn from(format: ExportFormat) -> Self {
        match format {
            ExportFormat::Postfix => exports::Format::Postfix,
            ExportFormat::Csv => exports::Format::Csv,
            ExportFormat::Ldif => exports::Format::Ldif,
        }
    }
}

/// `[migration.cutover]`, or its defaults where there is no `[migration]`.
fn cutover_of(config: &Config) -> crate::config::CutoverConfig {
    config
        .migration
        .as_ref()
        .map(|m| m.cutover.clone())
        .unwrap_or_default()
}

pub async fn run(config: Config, args: CutoverArgs) -> anyhow::Result<i32> {
    let db = crate::db::connect_configured(&config.database).await?;
    let cutover = cutover_of(&config);
    match args.command {
        CutoverCommand::Switch {
            wave,
            person,
            by,
            json,
        } => {
            let at = crate::db::now();
            let schedule = cutover.schedule();
            let switched = match wave {
                Some(name) => {
                    let name = WaveName::parse(&name)?;
                    match store::switch_wave(&db, &name, &by, at, &schedule).await {
                        Ok(switched) => switched,
                        Err(e @ (store::SwitchError::NoWave(_) | store::SwitchError::Empty(_))) => {
                            eprintln!("{e}");
                            return Ok(2);
                        }
                        Err(store::SwitchError::Db(e)) => return Err(e.into()),
                    }
                }
                None => {
                    let mut people = Vec::new();
                    for typed in &person {
                        match EmailAddress::parse(typed) {
                            Ok(email) => people.push(email),
                            Err(why) => {
                                eprintln!("{why}");
                                return Ok(2);
                            }
                        }
                    }
                    store::switch(&db, &people, None, &by, at, &schedule).await?
                }
            };
            if json {
                println!("{}", serde_json::to_string_pretty(&switched)?);
            } else {
                println!(
                    "delivery switched for {} ({} switched before; their earlier switch stands); the first catch-up runs now",
                    switched.switched.len(),
                    switched.already.len()
                );
            }
            Ok(0)
        }
        CutoverCommand::Status { json } => {
            let board = board::board(&db, cutover.quiet_secs()).await?;
            if json {
                println!("{}", serde_json::to_string_pretty(&board)?);
                return Ok(0);
            }
            println!("{} switched, {} quiet", board.people.len(), board.quiet);
            for p in &board.people {
                let arrived: u64 = p.arrived.iter().map(|a| a.messages).sum();
                println!(
                    "{}\t{}\t{} catch-up(s)\t{} arrived since the switch\t{}",
                    p.email,
                    p.quietness.in_words(),
                    p.catch_ups,
                    arrived,
                    p.trouble.as_deref().unwrap_or("")
                );
                for a in &p.arrived {
                    let address = if a.address.is_empty() {
                        "(not said)"
                    } else {
                        &a.address
                    };
                    println!(
                        "\t{address}: {} message(s), last {}",
                        a.messages,
                        app::format::format_unix(a.last)
                    );
                }
            }
            Ok(0)
        }
    }
}

pub async fn run_addresses(config: Config, args: AddressesArgs) -> anyhow::Result<i32> {
    let db = crate::db::connect_configured(&config.database).await?;
    match args.command {
        AddressesCommand::List { json } => {
            let people = addresses::everyone(&db).await?;
            if json {
                println!("{}", serde_json::to_string_pretty(&people)?);
                return Ok(0);
            }
            for p in &people {
                println!("{}", p.email);
                for a in &p.addresses {
                    let conflict = if a.also_claimed_by.is_empty() {
                        String::new()
                    } else {
                        let others: Vec<&str> =
                            a.also_claimed_by.iter().map(|e| e.as_str()).collect();
                        format!("\tCONFLICT: also confirmed by {}", others.join(", "))
                    };
                    println!(
                        "\t{}\t{}\t{} message(s){conflict}",
                        a.address,
                        a.decision.as_str(),
                        a.messages
                    );
                }
            }
            Ok(0)
        }
        AddressesCommand::Export { format, output } => {
            let routes = addresses::routes(&db).await?;
            for c in &routes.conflicts {
                let people: Vec<&str> = c.people.iter().map(|e| e.as_str()).collect();
                eprintln!(
                    "{} is left out: {} each claim it (decide whose it is, then export again)",
                    c.address,
                    people.join(" and ")
                );
            }
            let text =
                exports::Format::from(format).render(&routes.routes, &cutover_of(&config).ldif_dn);
            match output {
                Some(path) => std::fs::write(&path, text)
                    .map_err(|e| anyhow::anyhow!("cannot write {}: {e}", path.display()))?,
                None => print!("{text}"),
            }
            Ok(0)
        }
    }
}
