//! `pindrift drift`: installed-package drift between containers, images, freeze files and
//! requirements files.

use std::io::Write;

use anyhow::{Context, Result};
use clap::Args;

use crate::drift::report::Format;
use crate::drift::session::{self, Request};
use crate::drift::{FailOn, OptionError};
use crate::inventory::Via;

/// Compare the installed packages of containers, images, freeze files and requirements.
///
/// With two sources the first is "before". With one `container:` source the container is
/// compared with the image it was created from, files changed in place included. With
/// `--replicas` every running replica is compared with its image and the others. A `req:`
/// or `lock:` file is a specification: against an environment every requirement is reported as
/// satisfied, violated, unpinned, missing, not applicable or unknown.
#[derive(Debug, Args)]
#[command(after_help = SOURCES_HELP)]
pub struct DriftArgs {
    /// Sources to compare: BEFORE [AFTER] (kinds below).
    #[arg(value_name = "SOURCE", num_args = 0..=2)]
    pub sources: Vec<String>,
    /// Output format: table, json, markdown, github.
    #[arg(long, default_value = "table", value_parser = parse_format)]
    pub format: Format,
    /// Exit 1 when a change at or above this exists: any, major, minor, patch, downgrade,
    /// or never (report only). Violated, missing and unknown requirements fail at every
    /// threshold but never; unpinned ones at `any` only.
    #[arg(long, default_value = "any", value_parser = parse_fail_on)]
    pub fail_on: FailOn,
    /// Package names to leave out: comma-separated (`--ignore six,pip`), repeatable.
    #[arg(long, value_name = "NAME,...", value_delimiter = ',')]
    pub ignore: Vec<String>,
    /// With a `req:` or `lock:` source: installed packages the requirements do not name are drift.
    #[arg(long)]
    pub strict_extra: bool,
    /// Show unchanged packages too.
    #[arg(long)]
    pub all: bool,
    /// How to read containers: `archive` (metadata through the Engine's archive API; works
    /// on stopped containers and images without pip or shell) or `exec` (`pip freeze --all`
    /// inside a running container).
    #[arg(long, default_value = "archive", value_parser = ["archive", "exec"])]
    pub via: String,
    /// Choose one Python environment (venv path, site folder, or key such as `system`).
    #[arg(long, value_name = "PATH")]
    pub python_env: Option<String>,
    /// Compare the running replicas selected by `LABEL=VALUE` or `image:REF`.
    #[arg(long, value_name = "SELECTOR", conflicts_with = "sources")]
    pub replicas: Option<String>,
    /// Leave OS packages (dpkg, apk) out.
    #[arg(long)]
    pub no_os: bool,
    /// Neither read nor write the image inventory cache (`$PINDRIFT_CACHE_DIR`, else
    /// `$XDG_CACHE_HOME/pindrift`, else `~/.cache/pindrift`); read everything from the engine.
    #[arg(long)]
    pub no_cache: bool,
    /// `freeze:`, `req:` and `lock:` files (and stdin) larger than this are an error, e.g. `10MiB`
    /// (the default), `512KiB`.
    #[arg(long, value_name = "SIZE", value_parser = crate::read::parse_size)]
    pub max_file_size: Option<u64>,
    /// Seconds to wait for each answer of the Docker Engine (a request, or the next piece
    /// of an archive) before giving up with exit 2; temporary containers are still removed.
    #[arg(long, value_name = "SECONDS", default_value_t = crate::docker::DEFAULT_TIMEOUT.as_secs(), value_parser = clap::value_parser!(u64).range(1..=86400))]
    pub timeout: u64,
    /// An engine to read (repeatable): `unix:///PATH`, `tcp://HOST:PORT` (TLS with
    /// DOCKER_TLS_VERIFY and DOCKER_CERT_PATH, as the Docker CLI), or `NAME=URL`. With
    /// --replicas every engine is searched; `container:NAME@HOST` picks one; other sources
    /// are read on the first.
    #[arg(long = "host", value_name = "URL")]
    pub hosts: Vec<String>,
    /// A file listing engines, one a line: `URL` or `NAME URL` (`#` comments).
    #[arg(long, value_name = "FILE")]
    pub hosts_file: Option<std::path::PathBuf>,
    /// An engine that cannot be reached, or a service task that cannot be read, is an
    /// error (exit 2) instead of a warning.
    #[arg(long)]
    pub require_all: bool,
}

const SOURCES_HELP: &str = "\
Sources:
  container:NAME|ID   a container, running or stopped         container:web
  image:REF           an image (never pulled)                 image:app:1.2
  freeze:FILE         saved `pip freeze` output (- = stdin)   freeze:prod.freeze.txt
  req:FILE            a requirements file (a specification)   req:requirements.txt
  lock:FILE           uv.lock, poetry.lock, Pipfile.lock or   lock:uv.lock
                      pylock.toml (a specification)
  container:NAME@HOST a container on one engine of --host       container:web@node-b
  service:NAME        a Swarm service: every running task      service:app
                      (on a manager; tasks read on the engines
                      given with --host)

Examples:
  pindrift drift container:prod image:app:0.20.1 --fail-on patch
  pindrift drift container:prod                     # the container against its own image
  pindrift drift req:requirements.txt image:app:1.2  # is the image what the file asks for?
  pindrift drift container:prod lock:uv.lock        # does production run what the lock says?
  pindrift drift --ignore pip,setuptools freeze:old.txt freeze:new.txt
  pindrift drift --replicas app=web
  pindrift drift --host a=unix:///var/run/docker.sock --host b=tcp://10.0.0.6:2376 --replicas image:app:1.2
  pindrift drift service:app --hosts-file fleet.txt

Exit codes: 0 nothing at the threshold, 1 drift, 2 usage, I/O or engine errors (also when
interrupted by SIGINT or SIGTERM).";

fn parse_format(s: &str) -> Result<Format, OptionError> {
    s.parse()
}

fn parse_fail_on(s: &str) -> Result<FailOn, OptionError> {
    s.parse()
}

impl DriftArgs {
    /// The session's request: the arguments, resolved.
    fn request(&self) -> Result<Request> {
        let hosts = crate::docker::hosts::resolve_hosts(&self.hosts, self.hosts_file.as_deref())?;
        Ok(Request {
            sources: self.sources.clone(),
            replicas: self.replicas.clone(),
            fail_on: self.fail_on,
            ignore: self.ignore.clone(),
            strict_extra: self.strict_extra,
            all: self.all,
            via: if self.via == "exec" {
                Via::Exec
            } else {
                Via::Archive
            },
            python_env: self.python_env.clone(),
            no_os: self.no_os,
            no_cache: self.no_cache,
            max_file_size: self
                .max_file_size
                .unwrap_or(crate::read::DEFAULT_MAX_FILE_SIZE),
            timeout: std::time::Duration::from_secs(self.timeout),
            hosts,
            require_all: self.require_all,
        })
    }
}

/// Run `pindrift drift`; 0 no drift at the threshold, 1 drift; errors become exit 2.
pub fn run(args: DriftArgs) -> Result<u8> {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .context("starting the async runtime")?;
    let result = runtime.block_on(run_async(args));
    // A read of stdin may still block a thread after Ctrl-C: do not wait for it.
    runtime.shutdown_background();
    result
}

/// SIGINT and SIGTERM, caught from the start of the run: an interrupted run removes its
/// temporary containers and exits 2.
struct Signals {
    #[cfg(unix)]
    int: tokio::signal::unix::Signal,
    #[cfg(unix)]
    term: tokio::signal::unix::Signal,
}

impl Signals {
    fn install() -> Result<Signals> {
        #[cfg(unix)]
        {
            use tokio::signal::unix::{signal, SignalKind};
            Ok(Signals {
                int: signal(SignalKind::interrupt()).context("catching SIGINT")?,
                term: signal(SignalKind::terminate()).context("catching SIGTERM")?,
            })
        }
        #[cfg(not(unix))]
        Ok(Signals {})
    }

    async fn recv(&mut self) -> &'static str {
        #[cfg(unix)]
        {
            tokio::select! {
                _ = self.int.recv() => "SIGINT",
                _ = self.term.recv() => "SIGTERM",
            }
        }
        #[cfg(not(unix))]
        {
            let _ = tokio::signal::ctrl_c().await;
            "Ctrl-C"
        }
    }
}

async fn run_async(args: DriftArgs) -> Result<u8> {
    let mut signals = Signals::install()?;
    let reading = if args.sources.is_empty() {
        format!(
            "reading the replicas {}",
            args.replicas.as_deref().unwrap_or("")
        )
    } else {
        format!("reading {}", args.sources.join(", "))
    };
    let progress = crate::report::progress::Progress::start(reading, args.format == Format::Table);
    let finished = session::run(&args.request()?, signals.recv()).await;
    progress.finish();
    let finished = finished?;
    if let session::Finished::Replicas(r) = &finished {
        if let Some(f) = &r.fleet {
            let mut err = std::io::stderr().lock();
            for e in f.unreachable() {
                writeln!(
                    err,
                    "pindrift: warning: engine {} ({}) not reached; the report covers the others: {}",
                    e.name,
                    e.url,
                    e.error.as_deref().unwrap_or("")
                )?;
            }
            for u in &f.unread {
                writeln!(err, "pindrift: warning: {} not read: {}", u.name, u.reason)?;
            }
        }
    }
    let text = finished.render(args.format);
    let mut out = std::io::stdout().lock();
    out.write_all(text.as_bytes())?;
    out.flush()?;
    Ok(u8::from(finished.failed()))
}
