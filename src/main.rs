//! The `chatstream` command: serve (default), migrate, export-schema,
//! create-superuser.

use std::io::{BufRead, IsTerminal};

use anyhow::Context;
use chatstream::{Application, config::Config, domain::accounts, graphql, telemetry};
use clap::{Parser, Subcommand};

/// glibc's malloc keeps argon2's 19 MiB buffers and per-thread arenas
/// long after use (measured: 2.2 GB resident after a load run); mimalloc
/// returns memory and is faster on the many small allocations of fan-out.
#[cfg(not(feature = "system-allocator"))]
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

/// Shown after `--help`: the settings live in the environment.
const CONFIGURATION: &str = "\
Configuration comes from environment variables, also read from a `.env` file
in the working directory. Every one is optional in development:
  DATABASE_URL   sqlite://chatstream.db?mode=rwc (default) or postgres://…
  REDIS_URL      unset: embedded message log and rate limiter; set: Redis
                 (redis://… one server, redis+cluster://h:p,h:p a cluster)
  BIND_ADDR      127.0.0.1:8000      APP_ENV     development | production
  JWT_SECRET     required (32+ bytes) when APP_ENV=production
  LOG_FORMAT     json | pretty       RUST_LOG    info
and more (rate limits, WebSocket timeouts, metrics token): see .env.example
and the README's Configuration table.";

#[derive(Parser)]
#[command(
    name = "chatstream",
    version,
    about = "Real-time chat server",
    after_help = CONFIGURATION
)]
struct Cli {
    #[command(subcommand)]
    command: Option<Command>,
}

#[derive(Subcommand)]
enum Command {
    /// Run the server (the default).
    Serve,
    /// Apply database migrations and exit.
    Migrate,
    /// Print the GraphQL schema (SDL).
    ExportSchema,
    /// Create a staff superuser.
    CreateSuperuser {
        #[arg(long)]
        email: String,
        #[arg(long)]
        username: String,
        /// Read the password from standard input instead of a prompt.
        #[arg(long)]
        password_stdin: bool,
    },
}

#[tokio::main]
async fn main() -> std::process::ExitCode {
    let cli = Cli::parse();
    if let Some(Command::ExportSchema) = cli.command {
        print!("{}", graphql::sdl());
        return std::process::ExitCode::SUCCESS;
    }
    let config = match Config::load() {
        Ok(config) => config,
        Err(e) => {
            eprintln!("chatstream: {e}");
            return std::process::ExitCode::from(2);
        }
    };
    telemetry::init(config.log_format, &config.log_filter);
    match run(cli.command.unwrap_or(Command::Serve), config).await {
        Ok(()) => std::process::ExitCode::SUCCESS,
        // Once, on stderr like a configuration error: the log line would
        // only repeat it.
        Err(e) => {
            eprintln!("chatstream: {}", causes(&e));
            std::process::ExitCode::FAILURE
        }
    }
}

async fn run(command: Command, config: Config) -> anyhow::Result<()> {
    match command {
        Command::Serve => {
            raise_open_file_limit();
            for warning in config.warnings() {
                tracing::warn!("{warning}");
            }
            Application::build(config).await?.run_until_stopped().await
        }
        Command::Migrate => {
            chatstream::store::connect_and_migrate(&config).await?;
            tracing::info!("migrations applied");
            Ok(())
        }
        Command::ExportSchema => Ok(()),
        Command::CreateSuperuser {
            email,
            username,
            password_stdin,
        } => {
            let password = read_password(password_stdin)?;
            // No listener: this must work while the server itself is running.
            let state = chatstream::domain::state::AppState::build(config).await?;
            let input = accounts::SuperuserInput {
                email,
                username,
                password,
            };
            match accounts::create_superuser(&state, input).await {
                Ok(user) => {
                    println!("Superuser {} (id {}) created.", user.username, user.id);
                    Ok(())
                }
                Err(chatstream::error::Error::Validation(fields)) => {
                    for (field, messages) in fields {
                        eprintln!("{field}: {}", messages.join(" "));
                    }
                    anyhow::bail!("superuser not created")
                }
                Err(e) => Err(anyhow::anyhow!(
                    "superuser not created: {}",
                    e.public_message()
                )),
            }
        }
    }
}

/// Every WebSocket is a file descriptor; the default soft limit (1024) would
/// cap the server far below what it can hold.
fn raise_open_file_limit() {
    match rlimit::increase_nofile_limit(u64::MAX) {
        Ok(limit) => tracing::info!(limit, "open-file limit"),
        Err(e) => tracing::warn!(error = %e, "cannot raise the open-file limit"),
    }
}

/// The error and its causes, each said once: many errors print their
/// source inside their own message, and anyhow's `{:#}` would repeat it.
fn causes(error: &anyhow::Error) -> String {
    let mut text = String::new();
    for cause in error.chain().map(ToString::to_string) {
        if text.contains(&cause) {
            continue;
        }
        if !text.is_empty() {
            text.push_str(": ");
        }
        text.push_str(&cause);
    }
    text
}

fn read_password(from_stdin: bool) -> anyhow::Result<String> {
    anyhow::ensure!(
        from_stdin || std::io::stdin().is_terminal(),
        "no terminal to prompt for the password: pass --password-stdin and pipe it in"
    );
    if from_stdin {
        let mut line = String::new();
        std::io::stdin().lock().read_line(&mut line)?;
        return Ok(line.trim_end_matches(['\r', '\n']).to_owned());
    }
    let first = rpassword::prompt_password("Password: ").context("cannot read the password")?;
    let second =
        rpassword::prompt_password("Password (again): ").context("cannot read the password")?;
    anyhow::ensure!(first == second, "passwords do not match");
    Ok(first)
}
