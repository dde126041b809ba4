//! `pindrift pin`: pin requirements files (and Dockerfiles) in place to what a source runs.

use super::check::configured_settings;
use super::{EXIT_ERROR, EXIT_FINDINGS};
use crate::discover::{discover_all, FileKind};
use crate::drift::session::read_source;
use crate::inventory::Via;
use crate::pin::facts::Facts;
use crate::pin::plan::PinOptions;
use crate::pin::{self, Mode, PinRequest};
use crate::requirement_name_list;
use anyhow::Context;
use std::io::{self, Write};
use std::path::PathBuf;

/// Output of `pin`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum PinFormat {
    Human,
    Json,
}

/// Pin requirements files in place to the versions a known-good source runs.
///
/// Files are found as `check` finds them (same discovery, configuration and `exclude`).
/// Unpinned and loose requirements become `name==VERSION` with the version the source has
/// installed; VCS requirements on a branch or tag get the commit the source installed.
/// Everything else on the line stays byte for byte. Requirements absent from the source, or
/// whose marker is false there, are left as they are and reported.
#[derive(Debug, clap::Args)]
#[command(after_help = PIN_HELP)]
pub struct PinArgs {
    /// Files or folders to pin (default: the current folder).
    #[arg(value_name = "PATH")]
    paths: Vec<PathBuf>,
    /// What runs: container:NAME|ID, image:REF, freeze:FILE (- for stdin), req:FILE.
    #[arg(long, value_name = "SOURCE")]
    from: String,
    /// Write nothing; exit 1 when anything would change or cannot be resolved.
    #[arg(long)]
    check: bool,
    /// Write nothing; print a unified diff of what would change (the summary goes to stderr).
    #[arg(long, conflicts_with = "format")]
    diff: bool,
    /// Output format.
    #[arg(long, value_enum, default_value = "human")]
    format: PinFormat,
    /// Also rewrite exact pins that differ from what the source runs (drift).
    #[arg(long)]
    sync: bool,
    /// Also pin `-c` constraints files.
    #[arg(long)]
    constraints: bool,
    /// Also write a constraints file with every package of the source (transitive ones
    /// included), and add `-c FILE` to the root requirements files.
    #[arg(long, value_name = "FILE")]
    lock: Option<PathBuf>,
    /// Also pin OS packages (apt-get, apk) in Dockerfiles.
    #[arg(long)]
    os: bool,
    /// Choose the source's Python environment (venv path, site folder, or key such as `system`).
    #[arg(long, value_name = "PATH")]
    python_env: Option<String>,
    /// Evaluate markers with this Python version (`X.Y`): a freeze file does not say which
    /// it ran on (overrides what the source says).
    #[arg(long, value_name = "X.Y")]
    python_version: Option<String>,
    /// Evaluate markers on this platform: a freeze file does not say which it ran on
    /// (overrides what the source says).
    #[arg(long, value_name = "OS", value_parser = ["linux", "windows"])]
    platform: Option<String>,
    /// How to read a container: `archive` or `exec` (see `pindrift drift --help`).
    #[arg(long, default_value = "archive", value_parser = ["archive", "exec"])]
    via: String,
    /// Neither read nor write the image inventory cache.
    #[arg(long)]
    no_cache: bool,
    /// Read every named file as this kind, whatever its name.
    #[arg(long, value_enum)]
    kind: Option<super::check::KindArg>,
    /// Packages allowed to float (comma-separated): left unpinned.
    #[arg(long, value_delimiter = ',', value_name = "NAMES")]
    allow_unpinned: Vec<String>,
    /// gitignore-style patterns of paths to skip (repeatable).
    #[arg(long, value_name = "GLOB")]
    exclude: Vec<String>,
    /// Follow includes outside the tree.
    #[arg(long)]
    allow_outside: bool,
    /// Files larger than this are not read, e.g. `10MiB` (the default).
    #[arg(long, value_name = "SIZE", value_parser = crate::read::parse_size)]
    max_file_size: Option<u64>,
    /// Seconds to wait for each answer of the Docker Engine (reading the source, resolving
    /// digests) before giving up.
    #[arg(long, value_name = "SECONDS", default_value_t = crate::docker::DEFAULT_TIMEOUT.as_secs(), value_parser = clap::value_parser!(u64).range(1..=86400))]
    timeout: u64,
    /// A build argument for Dockerfiles, as `docker build --build-arg` (repeatable).
    #[arg(long = "build-arg", value_name = "NAME=VALUE")]
    build_args: Vec<String>,
    /// Configuration file (default: nearest pindrift.toml or pyproject.toml [tool.pindrift]).
    #[arg(long, value_name = "FILE", conflicts_with = "no_config")]
    config: Option<PathBuf>,
    /// Ignore configuration files.
    #[arg(long)]
    no_config: bool,
}

const PIN_HELP: &str = "\
Examples:
  pindrift pin --from container:web                 # rewrite ./ in place
  pindrift pin --check --from freeze:prod.txt       # CI: exit 1 when anything is unpinned
  pindrift pin --diff --from image:app:1.2 svc/
  pindrift pin --from container:web --lock constraints.txt

Exit codes: 0 done or nothing to do, 1 (--check) changes pending or requirements that could
not be resolved, 2 usage, I/O or engine errors.";

pub fn run(args: PinArgs) -> anyhow::Result<u8> {
    let mut settings =
        configured_settings(args.config.as_deref(), args.no_config, args.paths.first())?;
    settings
        .allow_unpinned
        .extend(requirement_name_list(&args.allow_unpinned));
    settings.exclude.extend(args.exclude.iter().cloned());
    super::check::add_build_args(&mut settings, &args.build_args)?;
    settings.allow_outside |= args.allow_outside;
    if let Some(size) = args.max_file_size {
        settings.max_file_size = size;
    }
    let paths = if args.paths.is_empty() {
        vec![PathBuf::from(".")]
    } else {
        args.paths.clone()
    };
    if !settings.allow_outside {
        settings.trees = crate::paths::Trees::of(&paths);
    }
    let forced = args.kind.map(|kind| match kind {
        super::check::KindArg::Requirements => FileKind::Requirements,
        super::check::KindArg::Dockerfile => FileKind::Dockerfile,
        super::check::KindArg::Compose => FileKind::Compose,
    });
    let (files, unwalkable) = discover_all(&paths, forced, &settings)?;
    let facts = read_facts(&args)?;
    let options = PinOptions {
        sync: args.sync,
        constraints: args.constraints,
        os: args.os,
        source: args.from.clone(),
        timeout: std::time::Duration::from_secs(args.timeout),
    };
    let request = PinRequest {
        discovered: &files,
        settings: &settings,
        options: &options,
        lock: args.lock.clone(),
    };
    let mut outcome = pin::plan(&request, &facts);
    outcome
        .errors
        .extend(unwalkable.iter().map(ToString::to_string));
    let mode = if args.check {
        Mode::Check
    } else if args.diff {
        Mode::Diff
    } else {
        Mode::Write
    };
    let mut errors = outcome.errors.clone();
    // Only a plan made from every file is written: an unreadable file stops the write.
    if mode == Mode::Write && errors.is_empty() {
        errors.extend(pin::write(&outcome, &settings));
    }

    // The report names the write errors too (JSON's `errors`).
    outcome.errors.clone_from(&errors);
    let mut out = io::BufWriter::new(io::stdout().lock());
    if args.diff {
        out.write_all(pin::report::diff::render(&outcome).as_bytes())?;
    }
    match args.format {
        PinFormat::Json => out.write_all(pin::report::json::render(&outcome, mode).as_bytes())?,
        // The diff is the output of --diff; the summary goes with it on stderr.
        PinFormat::Human if args.diff => {
            io::stderr().write_all(pin::report::human::render(&outcome, mode).as_bytes())?
        }
        PinFormat::Human => out.write_all(pin::report::human::render(&outcome, mode).as_bytes())?,
    }
    out.flush()?;
    let mut err = io::stderr().lock();
    for note in &outcome.notes {
        writeln!(err, "pindrift: note: {note}")?;
    }
    if !errors.is_empty() {
        for message in &errors {
            writeln!(err, "pindrift: error: {message}")?;
        }
        return Ok(EXIT_ERROR);
    }
    let failing = mode == Mode::Check && (outcome.pending() || outcome.unresolved() > 0);
    Ok(if failing { EXIT_FINDINGS } else { 0 })
}

/// Reads the source through drift's readers, on a runtime of its own; Ctrl-C removes the
/// temporary containers an image source made.
fn read_facts(args: &PinArgs) -> anyhow::Result<Facts> {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .context("starting the async runtime")?;
    let via = if args.via == "exec" {
        Via::Exec
    } else {
        Via::Archive
    };
    let progress = crate::report::progress::Progress::start(
        format!("reading {}", args.from),
        args.format == PinFormat::Human,
    );
    let inventory = runtime.block_on(async {
        read_source(
            &args.from,
            via,
            args.no_cache,
            args.max_file_size
                .unwrap_or(crate::read::DEFAULT_MAX_FILE_SIZE),
            std::time::Duration::from_secs(args.timeout),
            interrupted(),
        )
        .await
    });
    runtime.shutdown_background();
    progress.finish();
    let mut facts = Facts::from_inventory(inventory?, args.python_env.as_deref())?;
    facts.assume(args.python_version.clone(), args.platform.clone());
    Ok(facts)
}

async fn interrupted() -> &'static str {
    #[cfg(unix)]
    {
        use tokio::signal::unix::{signal, SignalKind};
        match (
            signal(SignalKind::interrupt()),
            signal(SignalKind::terminate()),
        ) {
            (Ok(mut int), Ok(mut term)) => tokio::select! {
                _ = int.recv() => "SIGINT",
                _ = term.recv() => "SIGTERM",
            },
            _ => std::future::pending().await,
        }
    }
    #[cfg(not(unix))]
    {
        let _ = tokio::signal::ctrl_c().await;
        "Ctrl-C"
    }
}
