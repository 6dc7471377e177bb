//! The `fountain` command line.
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
}

pub fn run() -> anyhow::Result<()> {
    let cli = Cli::parse();
    let config = Config::load(cli.config.as_deref(), std::env::vars())?;
    crate::telemetry::init(config.log.format);
    let runtime = || {
        tokio::runtime::Builder::new_multi_thread()
            .enable_all()
            .build()
    };
    match cli.command.unwrap_or(Command::Serve) {
        Command::Serve => {
            actix_web::rt::System::with_tokio_rt(|| runtime().expect("tokio runtime"))
                .block_on(crate::web::serve(config))
        }
        Command::Check => runtime()?.block_on(async {
            crate::db::connect(&config.database.url).await?;
            println!(
                "configuration and database OK ({})",
                crate::db::redact(&config.database.url)
            );
            Ok(())
        }),
    }
}
