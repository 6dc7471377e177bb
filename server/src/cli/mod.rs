//! The `fountain` command line.
mod check;
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
    /// Check the configuration, then try the database, the identity provider, each IMAP server and
    /// SMTP, writing nothing. Exit codes: 0 all OK, 1 something failed (each line says what and why).
    Check(check::CheckArgs),
    /// Bring the database schema up to date, then exit (one process at a time; others wait).
    Migrate,
    /// Copy the SQLite database to a new file while Fountain runs (PostgreSQL: use pg_dump). The
    /// secrets key is not in it: back that up apart.
    Backup {
        /// The new file to write.
        #[arg(long)]
        to: PathBuf,
    },
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
        | Command::Check(_)
        | Command::Migrate
        | Command::Backup { .. }
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
        Command::Check(args) => {
            let code = runtime()?.block_on(check::run(config, args))?;
            std::process::exit(code);
        }
        Command::Backup { to } => runtime()?.block_on(async {
            let bytes = crate::db::backup::backup(&config.database.url, &to).await?;
            println!(
                "backup written to {} ({bytes} bytes); the secrets key is not in it: back it up apart",
                to.display()
            );
            Ok(())
        }),
        Command::Migrate => runtime()?.block_on(async {
            let applied = crate::db::migrate(&config.database.url).await?;
            println!(
                "database {} is up to date ({applied} migration(s) applied now)",
                crate::db::redact(&config.database.url)
            );
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
