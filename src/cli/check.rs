//! `pindrift check`.

use super::{EXIT_ERROR, EXIT_FINDINGS};
use crate::baseline::Baseline;
use crate::config::{
    discover_config, parse_fail_on, read_config_file, validate_codes, Profile, Settings,
};
use crate::discover::{discover_all, FileKind};
use crate::lint::check;
use crate::report::{render_with_errors, Format, Summary};
use crate::requirement_name_list;
use anyhow::{anyhow, Context};
use std::io::{self, IsTerminal, Write};
use std::path::PathBuf;

#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum KindArg {
    Requirements,
    Dockerfile,
    Compose,
}

#[derive(Debug, clap::Args)]
#[command(
    after_help = "Example:\n  pindrift check --strict --format github services/ requirements.txt"
)]
pub struct CheckArgs {
    /// Files or folders to lint (default: the current folder).
    #[arg(value_name = "PATH")]
    paths: Vec<PathBuf>,
    /// Output format.
    #[arg(long, value_enum, default_value = "human")]
    format: Format,
    /// Exit 1 when a finding is at or above this level.
    #[arg(long, value_name = "LEVEL", value_parser = ["note", "warning", "error"])]
    fail_on: Option<String>,
    /// Read every named file as this kind, whatever its name.
    #[arg(long, value_enum)]
    kind: Option<KindArg>,
    /// Strict profile: digests for images, hashes for requirements.
    #[arg(long)]
    strict: bool,
    /// Only these codes or prefixes (comma-separated), e.g. `PD1,PD201`.
    #[arg(long, value_delimiter = ',', value_name = "CODES")]
    select: Vec<String>,
    /// Also ignore these codes or prefixes (comma-separated).
    #[arg(long, value_delimiter = ',', value_name = "CODES")]
    ignore: Vec<String>,
    /// Packages allowed to float (comma-separated), e.g. `pip,setuptools`.
    #[arg(long, value_delimiter = ',', value_name = "NAMES")]
    allow_unpinned: Vec<String>,
    /// gitignore-style patterns of paths to skip (repeatable).
    #[arg(long, value_name = "GLOB")]
    exclude: Vec<String>,
    /// A build argument for Dockerfiles, as `docker build --build-arg` (repeatable).
    #[arg(long = "build-arg", value_name = "NAME=VALUE")]
    build_args: Vec<String>,
    /// Build context for Dockerfiles (default: each Dockerfile's folder).
    #[arg(long, value_name = "DIR")]
    context: Option<PathBuf>,
    /// A named build context, as `docker buildx build --build-context` (repeatable): in
    /// `FROM` and `COPY --from` it is not an image.
    #[arg(long = "build-context", value_name = "NAME[=VALUE]")]
    build_contexts: Vec<String>,
    /// Follow includes and `pip install -r` files outside the tree (the git work tree of
    /// each named path, else the named folder).
    #[arg(long)]
    allow_outside: bool,
    /// Files larger than this are not read (PD005), e.g. `10MiB` (the default), `512KiB`.
    #[arg(long, value_name = "SIZE", value_parser = crate::read::parse_size)]
    max_file_size: Option<u64>,
    /// Configuration file (default: nearest pindrift.toml or pyproject.toml [tool.pindrift]).
    #[arg(long, value_name = "FILE", conflicts_with = "no_config")]
    config: Option<PathBuf>,
    /// Ignore configuration files.
    #[arg(long)]
    no_config: bool,
    /// Report only findings this baseline file does not hold (made with
    /// --update-baseline; format in docs/baseline.md); say how many it matched and how many
    /// of its entries are gone.
    #[arg(long, value_name = "FILE")]
    baseline: Option<PathBuf>,
    /// Write every current finding to the --baseline file (created or replaced, atomically)
    /// and report none: the findings accepted when adopting pindrift on a legacy repository.
    #[arg(long, requires = "baseline")]
    update_baseline: bool,
}

/// The settings of the configuration file: `config` when given, else (unless `no_config`)
/// the one found from the first named path (its folder for a file), not the working
/// directory: `cd svc && pindrift check` and `pindrift check svc` use svc's configuration.
/// Shared by every command that finds files as `check` does (`pin`).
/// `--build-arg NAME=VALUE` options, as `docker build` takes them.
pub(super) fn add_build_args(settings: &mut Settings, pairs: &[String]) -> anyhow::Result<()> {
    for pair in pairs {
        let (name, value) = pair
            .split_once('=')
            .ok_or_else(|| anyhow!("--build-arg `{pair}`: expected NAME=VALUE"))?;
        settings
            .build_args
            .push((name.to_string(), value.to_string()));
    }
    Ok(())
}

pub(super) fn configured_settings(
    config: Option<&std::path::Path>,
    no_config: bool,
    first_path: Option<&PathBuf>,
) -> anyhow::Result<Settings> {
    let mut settings = Settings::default();
    if let Some(path) = config {
        let config = read_config_file(path)?
            .ok_or_else(|| anyhow!("{}: no [tool.pindrift] table", path.display()))?;
        settings.apply_file(config, path)?;
    } else if !no_config {
        let cwd = std::env::current_dir().context("cannot read the working directory")?;
        let start = first_path.map_or(cwd.clone(), |named| {
            let named = crate::paths::absolute(named);
            if named.is_dir() {
                named
            } else {
                named
                    .parent()
                    .map_or(cwd.clone(), std::path::Path::to_path_buf)
            }
        });
        if let Some((path, config)) = discover_config(&start)? {
            settings.apply_file(config, &path)?;
        }
    }
    Ok(settings)
}

fn settings_from(args: &CheckArgs) -> anyhow::Result<Settings> {
    let mut settings =
        configured_settings(args.config.as_deref(), args.no_config, args.paths.first())?;
    if args.strict {
        settings.profile = Profile::Strict;
    }
    if !args.select.is_empty() {
        settings.select = validate_codes(args.select.clone(), "--select")?;
    }
    if !args.ignore.is_empty() {
        settings
            .ignore
            .extend(validate_codes(args.ignore.clone(), "--ignore")?);
    }
    settings
        .allow_unpinned
        .extend(requirement_name_list(&args.allow_unpinned));
    settings.exclude.extend(args.exclude.iter().cloned());
    if let Some(level) = &args.fail_on {
        settings.fail_on = parse_fail_on(level)?;
    }
    add_build_args(&mut settings, &args.build_args)?;
    settings.context = args.context.clone();
    for context in &args.build_contexts {
        settings.build_contexts.push(
            crate::config::parse_build_context(context)
                .map_err(|e| anyhow!("--build-context: {e}"))?,
        );
    }
    settings.allow_outside |= args.allow_outside;
    if let Some(size) = args.max_file_size {
        settings.max_file_size = size;
    }
    Ok(settings)
}

pub fn run(args: CheckArgs) -> anyhow::Result<u8> {
    let mut settings = settings_from(&args)?;
    let paths = if args.paths.is_empty() {
        vec![PathBuf::from(".")]
    } else {
        args.paths.clone()
    };
    if !settings.allow_outside {
        // The build context named with --context is a named path too.
        let named: Vec<PathBuf> = paths.iter().chain(&settings.context).cloned().collect();
        settings.trees = crate::paths::Trees::of(&named);
    }
    let forced = args.kind.map(|kind| match kind {
        KindArg::Requirements => FileKind::Requirements,
        KindArg::Dockerfile => FileKind::Dockerfile,
        KindArg::Compose => FileKind::Compose,
    });
    // A big tree takes seconds: a line of progress on a terminal, for the human format.
    let progress =
        crate::report::progress::Progress::start("finding files", args.format == Format::Human);
    // A folder that cannot be walked is an error (exit 2) that does not hide the rest.
    let (files, unwalkable) = discover_all(&paths, forced, &settings)?;
    progress.set_message(format!("checking {} files", files.len()));
    let mut outcome = check(&files, &settings);
    progress.finish();
    outcome
        .errors
        .extend(unwalkable.iter().map(ToString::to_string));
    let mut accepted_by_baseline = 0;
    if let Some(path) = &args.baseline {
        let mut baseline = Baseline::open(path, args.update_baseline)?;
        let shown = crate::paths::display_path(path);
        let mut err = io::stderr().lock();
        if args.update_baseline {
            // A baseline from a run that could not read everything would hide nothing
            // today but would say "accepted" for files it never saw: not written.
            if !outcome.errors.is_empty() {
                for message in &outcome.errors {
                    writeln!(err, "pindrift: error: {message}")?;
                }
                writeln!(
                    err,
                    "pindrift: error: {shown}: not written: {} could not be read",
                    plural(outcome.errors.len(), "file or folder")
                )?;
                return Ok(EXIT_ERROR);
            }
            let written = baseline.write(&outcome.findings)?;
            writeln!(
                err,
                "pindrift: {shown}: baseline written with {}",
                plural(written, "finding")
            )?;
            outcome.findings.clear();
            accepted_by_baseline = written;
        } else {
            let (new, matched) = baseline.filter(std::mem::take(&mut outcome.findings));
            outcome.findings = new;
            accepted_by_baseline = matched.matched;
            writeln!(
                err,
                "pindrift: {shown}: {} matched the baseline (not shown), {} gone{}",
                plural(matched.matched, "finding"),
                plural(matched.gone, "baseline entry"),
                if matched.gone > 0 {
                    " (fixed: --update-baseline drops them)"
                } else {
                    ""
                }
            )?;
        }
        outcome.files_with_findings = outcome
            .findings
            .iter()
            .map(|f| &*f.path)
            .collect::<std::collections::HashSet<_>>()
            .len();
    }

    let stdout = io::stdout();
    let color = stdout.is_terminal() && std::env::var_os("NO_COLOR").is_none_or(|v| v.is_empty());
    let mut out = io::BufWriter::new(stdout.lock());
    render_with_errors(
        args.format,
        &outcome.findings,
        &Summary {
            files: outcome.files,
            files_with_findings: outcome.files_with_findings,
            accepted_by_baseline,
        },
        &outcome.errors,
        color,
        &mut out,
    )?;
    out.flush()?;

    if !outcome.errors.is_empty() {
        let mut err = io::stderr().lock();
        for message in &outcome.errors {
            writeln!(err, "pindrift: error: {message}")?;
        }
        return Ok(EXIT_ERROR);
    }
    let failing = outcome.findings.iter().any(|f| f.level >= settings.fail_on);
    Ok(if failing { EXIT_FINDINGS } else { 0 })
}

fn plural(n: usize, word: &str) -> String {
    match (n, word.strip_suffix('y')) {
        (1, _) => format!("{n} {word}"),
        (_, Some(stem)) => format!("{n} {stem}ies"),
        (_, None) => format!("{n} {word}s"),
    }
}
