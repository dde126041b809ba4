//! `pindrift completions SHELL` and `pindrift man`: generated from the command-line
//! definitions (clap_complete, clap_mangen), so they never fall behind the flags.

use super::Cli;
use anyhow::Context;
use clap::CommandFactory;
use std::io::{self, Write};
use std::path::PathBuf;

/// Print a shell completion script.
#[derive(Debug, clap::Args)]
#[command(after_help = "\
Example:
  pindrift completions bash > ~/.local/share/bash-completion/completions/pindrift
  pindrift completions zsh > ~/.zfunc/_pindrift        # with fpath+=~/.zfunc before compinit
  pindrift completions fish > ~/.config/fish/completions/pindrift.fish")]
pub struct CompletionsArgs {
    /// The shell.
    #[arg(value_enum)]
    shell: clap_complete::Shell,
}

/// Print the man page.
#[derive(Debug, clap::Args)]
#[command(after_help = "\
Example:
  pindrift man > pindrift.1 && man -l pindrift.1
  pindrift man --dir /usr/local/share/man/man1        # pindrift.1, pindrift-check.1, …")]
pub struct ManArgs {
    /// Write one page per command (pindrift.1, pindrift-check.1, pindrift-hotfix-apply.1,
    /// …) into this folder instead of printing pindrift(1).
    #[arg(long, value_name = "DIR")]
    dir: Option<PathBuf>,
}

pub fn completions(args: CompletionsArgs) -> anyhow::Result<u8> {
    let mut command = Cli::command();
    let mut out = io::BufWriter::new(io::stdout().lock());
    clap_complete::generate(args.shell, &mut command, "pindrift", &mut out);
    out.flush()?;
    Ok(0)
}

pub fn man(args: ManArgs) -> anyhow::Result<u8> {
    let command = Cli::command();
    match args.dir {
        Some(dir) => {
            std::fs::create_dir_all(&dir)
                .with_context(|| format!("{}: cannot create the folder", dir.display()))?;
            clap_mangen::generate_to(command, &dir)
                .with_context(|| format!("{}: cannot write the man pages", dir.display()))?;
            Ok(0)
        }
        None => {
            let mut out = io::BufWriter::new(io::stdout().lock());
            clap_mangen::Man::new(command).render(&mut out)?;
            out.flush()?;
            Ok(0)
        }
    }
}
