//! `fountain destinations …`: who goes to a destination server other than the default new one.
//! Exit codes: 0 done, 2 refused (someone kept their destination, or the input was wrong), 1 failed.
use app::dto::{DestinationName, EmailAddress, SwitchTarget, WaveName};
use clap::{Args, Subcommand};

use crate::config::Config;
use crate::jobs::destinations::{self, PeopleError};

#[derive(Debug, Args)]
pub struct DestinationsArgs {
    #[command(subcommand)]
    pub command: DestinationsCommand,
}

#[derive(Debug, Subcommand)]
pub enum DestinationsCommand {
    /// Send a wave or people to a configured destination (`default`: back to the new server).
    /// Someone whose migration has started keeps theirs, and is named on stderr.
    Set {
        /// A name under `[migration.destinations]`, or `default`.
        #[arg(long)]
        to: String,
        #[arg(long, conflicts_with = "person", required_unless_present = "person")]
        wave: Option<String>,
        #[arg(long, num_args = 1..)]
        person: Vec<String>,
        #[arg(long, env = "USER", default_value = "fountain-cli")]
        by: String,
        #[arg(long)]
        json: bool,
    },
    /// The destinations configured and everyone sent to one.
    List {
        #[arg(long)]
        json: bool,
    },
}

pub async fn run(config: Config, args: DestinationsArgs) -> anyhow::Result<i32> {
    let db = crate::db::connect_configured(&config.database).await?;
    let configured = config
        .migration
        .as_ref()
        .map(|m| m.destination_names())
        .unwrap_or_default();
    match args.command {
        DestinationsCommand::Set {
            to,
            wave,
            person,
            by,
            json,
        } => {
            let to = match to.trim() {
                "default" => None,
                name => match DestinationName::parse(name) {
                    Ok(name) if configured.contains(&name) => Some(name),
                    Ok(name) => {
                        eprintln!(
                            "no destination “{name}” is configured: the destinations are {}",
                            destinations::listed(&configured)
                        );
                        return Ok(2);
                    }
                    Err(e) => {
                        eprintln!("{e}");
                        return Ok(2);
                    }
                },
            };
            let target = match wave {
                Some(name) => SwitchTarget::Wave(WaveName::parse(&name)?),
                None => {
                    let people: Result<Vec<_>, _> =
                        person.iter().map(|p| EmailAddress::parse(p)).collect();
                    match people {
                        Ok(people) => SwitchTarget::People(people),
                        Err(why) => {
                            eprintln!("{why}");
                            return Ok(2);
                        }
                    }
                }
            };
            let people = match destinations::people_of(&db, target).await {
                Ok(people) => people,
                Err(PeopleError::Db(e)) => return Err(e.into()),
                Err(e) => {
                    eprintln!("{e}");
                    return Ok(2);
                }
            };
            let outcome =
                destinations::set(&db, &people, to.as_ref(), &by, crate::db::now()).await?;
            if json {
                println!("{}", serde_json::to_string_pretty(&outcome)?);
            } else {
                let going = to.as_ref().map_or("the default new server", |n| n.as_str());
                println!("{} now go to {going}", outcome.set);
                for (email, why) in &outcome.refused {
                    eprintln!("{email} stays: {why}");
                }
            }
            Ok(if outcome.refused.is_empty() { 0 } else { 2 })
        }
        DestinationsCommand::List { json } => {
            let board = destinations::board(&db, configured).await?;
            if json {
                println!("{}", serde_json::to_string_pretty(&board)?);
                return Ok(0);
            }
            let names: Vec<&str> = board.configured.iter().map(|n| n.as_str()).collect();
            println!("destinations besides the default: {}", names.join(", "));
            for p in &board.people {
                let started = if p.started { "started" } else { "not started" };
                println!(
                    "{}\t{}\t{started}\tset by {} at {}",
                    p.email,
                    p.destination,
                    p.set_by,
                    app::format::format_unix(p.set_at)
                );
            }
            Ok(0)
        }
    }
}
