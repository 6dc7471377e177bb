//! The `fountain` command line.
mod copy;
mod cutover;
mod destinations;
mod progress;
mod waves;
mod worker;

use std::path::PathBuf;

use clap::{Parser, Subcommand};

use crate::config::Config;

#[derive(Debug, Parser)]
#[command(
    name = "fountain",
    version,
    about = "Self-service mailbox migration portal"
)]
pub struct Cli {
    /// Configuration file (TOML). Environment variables FOUNTAIN__SECTION__KEY override it.
    #[arg(long, short, global = true, env = "FOUNTAIN_CONFIG")]
    pub config: Option<PathBuf>,
    #[command(subcommand)]
    pub command: Option<Command>,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Run the web portal (the default).
    Serve,
    /// Check the configuration and the database, then exit.
    Check,
    /// Run workers only (scans, copies, status emails), without the web portal.
    Worker,
    /// Copy one mailbox from an old IMAP server to a new one (journalled, resumable).
    /// Exit codes: 0 done, 2 needs attention (quarantined messages, nothing lost), 1 failed.
    Copy(Box<copy::CopyArgs>),
    /// Division IT's waves: import people from CSV, list, show.
    /// Exit codes: 0 done, 2 refused (nothing changed; each bad line listed), 1 failed.
    Waves(waves::WavesArgs),
    /// Delivery moved to the new server: switch a wave or people, see catch-ups and mail still
    /// arriving at the old server. Exit codes: 0 done, 2 refused (nothing changed), 1 failed.
    Cutover(cutover::CutoverArgs),
    /// The old addresses people confirmed as theirs: list them, export the routing maps.
    Addresses(cutover::AddressesArgs),
    /// Who goes to a destination server other than the default new one: set, list.
    Destinations(destinations::DestinationsArgs),
}

pub fn run() -> anyhow::Result<()> {
    let cli = Cli::parse();
    let runtime = || {
        tokio::runtime::Builder::new_multi_thread()
            .enable_all()
            .build()
    };
    let command = cli.command.unwrap_or(Command::Serve);
    if let Command::Copy(args) = command {
        // The CLI copy needs no portal configuration.
        crate::telemetry::init(
            crate::config::LogFormat::Text,
            crate::telemetry::TERMINAL_LEVEL,
        );
        let code = runtime()?.block_on(copy::run(*args))?;
        std::process::exit(code);
    }
    let config = Config::load(cli.config.as_deref(), std::env::vars())?;
    // A command run at a terminal says only what went wrong besides its own output.
    let level = match &command {
        Command::Waves(_)
        | Command::Cutover(_)
        | Command::Addresses(_)
        | Command::Destinations(_) => crate::telemetry::TERMINAL_LEVEL,
        _ => crate::telemetry::SERVICE_LEVEL,
    };
    crate::telemetry::init(config.log.format, level);
    match command {
        Command::Serve => {
            actix_web::rt::System::with_tokio_rt(|| runtime().expect("tokio runtime")).block_on(
                async {
                    let listener = crate::startup::listener(&config)?;
                    let portal = crate::startup::Application::build(config, listener).await?;
                    portal.run_until_stopped().await
                },
            )
        }
        Command::Check => runtime()?.block_on(async {
            crate::db::connect(&config.database.url).await?;
            println!(
                "configuration and database OK ({})",
                crate::db::redact(&config.database.url)
            );
            if let Some(migration) = &config.migration {
                let dir = migration.templates_dir.as_deref();
                let templates = crate::notify::templates::Templates::load(dir)
                    .map_err(|e| anyhow::anyhow!("migration.templates_dir: {e}"))?;
                let edited = templates
                    .sources()
                    .filter(|(_, origin, _)| **origin != crate::notify::templates::Origin::BuiltIn)
                    .count();
                println!("templates OK ({edited} from migration.templates_dir, the rest built in)");
            }
            Ok(())
        }),
        Command::Worker => runtime()?.block_on(worker::run(config)),
        Command::Waves(args) => {
            let code = runtime()?.block_on(waves::run(config, args))?;
            std::process::exit(code);
        }
        Command::Cutover(args) => {
            let code = runtime()?.block_on(cutover::run(config, args))?;
            std::process::exit(code);
        }
        Command::Addresses(args) => {
            let code = runtime()?.block_on(cutover::run_addresses(config, args))?;
            std::process::exit(code);
        }
        Command::Destinations(args) => {
            let code = runtime()?.block_on(destinations::run(config, args))?;
            std::process::exit(code);
        }
        Command::Copy(_) => unreachable!("handled above"),
    }
}
