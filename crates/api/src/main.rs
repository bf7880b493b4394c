//! The `taskpulse` binary: `serve` (the default) or `migrate`.

use std::path::Path;
use std::process::ExitCode;

use clap::{Parser, Subcommand};
use taskpulse_api::settings::{AppEnv, Settings};
use taskpulse_api::startup::{Application, connect};
use taskpulse_api::telemetry;
use taskpulse_infra::MigrationCommand;

/// mimalloc instead of the system allocator: a request allocates and frees
/// many small blocks, which glibc's malloc spends several per cent of the
/// server's CPU on.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

/// TaskPulse: a multi-user task-management REST backend.
#[derive(Debug, Parser)]
#[command(name = "taskpulse", version, about)]
struct Cli {
    #[command(subcommand)]
    command: Option<Command>,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Check the configuration, migrate, and serve (the default).
    Serve,
    /// Run database migrations by hand.
    Migrate {
        #[command(subcommand)]
        action: MigrateAction,
    },
}

#[derive(Debug, Clone, Copy, Subcommand)]
enum MigrateAction {
    /// Apply every pending migration.
    Up,
    /// Roll back the last migration.
    Down,
    /// Show which migrations are applied.
    Status,
    /// Drop everything and migrate from scratch.
    Fresh,
}

impl From<MigrateAction> for MigrationCommand {
    fn from(action: MigrateAction) -> Self {
        match action {
            MigrateAction::Up => Self::Up,
            MigrateAction::Down => Self::Down,
            MigrateAction::Status => Self::Status,
            MigrateAction::Fresh => Self::Fresh,
        }
    }
}

#[actix_web::main]
async fn main() -> ExitCode {
    let cli = Cli::parse();
    let _ = dotenvy::dotenv();
    let settings = match AppEnv::from_env().and_then(|env| Settings::load(env, Path::new("config")))
    {
        Ok(settings) => settings,
        Err(err) => {
            eprintln!("{err}");
            return ExitCode::from(2);
        }
    };
    telemetry::init(&settings.log);
    if settings.secret_generated {
        tracing::warn!(
            "auth.secret is not set: using a random one; tokens will not survive a restart"
        );
    }
    let result = match cli.command.unwrap_or(Command::Serve) {
        Command::Serve => serve(settings).await,
        Command::Migrate { action } => migrate(&settings, action.into()).await,
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(err) => {
            tracing::error!("{err}");
            eprintln!("{err}");
            ExitCode::FAILURE
        }
    }
}

async fn serve(settings: Settings) -> Result<(), Box<dyn std::error::Error>> {
    let host = settings.server.host.clone();
    let app = Application::build(settings).await?;
    tracing::info!("listening on http://{host}:{}", app.port());
    app.run_until_stopped().await?;
    Ok(())
}

async fn migrate(
    settings: &Settings,
    command: MigrationCommand,
) -> Result<(), Box<dyn std::error::Error>> {
    let db = connect(settings).await?;
    db.migrate(command).await?;
    tracing::info!(?command, "migration command finished");
    Ok(())
}
