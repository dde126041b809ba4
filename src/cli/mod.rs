//! Command-line definitions and dispatch. `anyhow` lives here only; the library
//! returns typed errors.

mod audit;
mod check;
mod drift;
mod hotfix;
mod hotfix_group;
mod hotfix_keep;
mod hotfix_promote;
mod hotfix_reload;
mod pin;
mod rules;
mod shell;

use clap::{Parser, Subcommand};
use std::io::{self, Write};
use std::process::ExitCode;

/// `--version`: the package version and, when known, the commit (see build.rs).
pub const VERSION: &str = env!("PINDRIFT_VERSION");

/// Keeps Python services in Docker honest about their dependencies.
#[derive(Debug, Parser)]
#[command(
    name = "pindrift",
    version = VERSION,
    about,
    propagate_version = true,
    after_help = "Example:\n  pindrift check && pindrift drift container:prod image:app:2.3\n\n\
                  `pindrift COMMAND --help` shows each command's options and examples."
)]
pub struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Lint Dockerfiles and pip requirements/constraints files for anything not pinned.
    Check(check::CheckArgs),
    /// List every rule: code, name, default level, fixable.
    Rules(rules::RulesArgs),
    /// Print one rule's documentation page.
    Rule(rules::RuleArgs),
    /// Compare installed packages of containers, images, freeze files and requirements.
    Drift(drift::DriftArgs),
    /// Pin requirements files in place to the versions a container, image or freeze file runs.
    Pin(pin::PinArgs),
    /// Patch a running container safely: a journal, backups, reload, rollback.
    Hotfix(hotfix::HotfixArgs),
    /// One GO / NO-GO before a deploy: pins, drift from production, base image, hotfixes.
    Audit(audit::AuditArgs),
    /// Print a shell completion script (bash, zsh, fish, elvish, powershell).
    Completions(shell::CompletionsArgs),
    /// Print the man page (roff), or write one per command with --dir.
    Man(shell::ManArgs),
}

/// Exit codes are an API: 0 clean, 1 findings at or above the threshold, 2 errors.
pub const EXIT_FINDINGS: u8 = 1;
pub const EXIT_ERROR: u8 = 2;

pub fn main() -> ExitCode {
    let cli = match Cli::try_parse() {
        Ok(cli) => cli,
        Err(err) => {
            let code = if err.use_stderr() { EXIT_ERROR } else { 0 };
            let _ = err.print();
            return ExitCode::from(code);
        }
    };
    let result = match cli.command {
        Command::Check(args) => check::run(args),
        Command::Rules(args) => rules::list(args),
        Command::Rule(args) => rules::show(args),
        Command::Drift(args) => drift::run(args),
        Command::Pin(args) => pin::run(args),
        Command::Hotfix(args) => hotfix::run(args),
        Command::Audit(args) => audit::run(args),
        Command::Completions(args) => shell::completions(args),
        Command::Man(args) => shell::man(args),
    };
    match result {
        Ok(code) => ExitCode::from(code),
        Err(err) if is_broken_pipe(&err) => ExitCode::SUCCESS,
        Err(err) => {
            let _ = writeln!(io::stderr(), "pindrift: error: {err:#}");
            ExitCode::from(EXIT_ERROR)
        }
    }
}

/// A reader that closed the pipe (`pindrift check | head`) is not an error.
fn is_broken_pipe(err: &anyhow::Error) -> bool {
    err.chain()
        .filter_map(|cause| cause.downcast_ref::<io::Error>())
        .any(|io| io.kind() == io::ErrorKind::BrokenPipe)
}
