//! `pindrift drift`: installed-package drift between containers, images, freeze files and
//! requirements files.

use std::collections::BTreeSet;
use std::io::{Read, Write};
use std::path::Path;

use anyhow::{bail, Context, Result};
use clap::Args;

use crate::docker::{exec_inventory, Engine, ImageHandle};
use crate::drift::report::{render, DriftReport, Format};
use crate::drift::{self, FailOn, Options, ReplicaResult};
use crate::inventory::freeze::parse_freeze;
use crate::inventory::{Inventory, SourceInfo, SourceKind};
use crate::names::normalize_name;

/// Compare the installed packages of containers, images, freeze files and requirements.
///
/// With two sources the first is "before". With one `container:` source the container is
/// compared with the image it was created from, files changed in place included. With
/// `--replicas` every running replica is compared with its image and the others. A `req:`
/// file is a specification: against an environment every requirement is reported as
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
    /// With a `req:` source: installed packages the requirements do not name are drift.
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
}

const SOURCES_HELP: &str = "\
Sources:
  container:NAME|ID   a container, running or stopped         container:web
  image:REF           an image (never pulled)                 image:app:1.2
  freeze:FILE         saved `pip freeze` output (- = stdin)   freeze:prod.freeze.txt
  req:FILE            a requirements file (a specification)   req:requirements.txt

Examples:
  pindrift drift container:prod image:app:0.20.1 --fail-on patch
  pindrift drift container:prod                     # the container against its own image
  pindrift drift req:requirements.txt image:app:1.2  # is the image what the file asks for?
  pindrift drift --ignore pip,setuptools freeze:old.txt freeze:new.txt
  pindrift drift --replicas app=web

Exit codes: 0 nothing at the threshold, 1 drift, 2 usage, I/O or engine errors (also when
interrupted by SIGINT or SIGTERM).";

fn parse_format(s: &str) -> Result<Format, String> {
    s.parse()
}

fn parse_fail_on(s: &str) -> Result<FailOn, String> {
    s.parse()
}

enum Source {
    Container(String),
    Image(String),
    Freeze(String),
    Req(String),
}

fn parse_source(s: &str) -> Result<Source> {
    let (kind, rest) = s.split_once(':').unwrap_or(("", s));
    if rest.is_empty() {
        bail!("source `{s}` names nothing; expected container:NAME, image:REF, freeze:FILE or req:FILE");
    }
    Ok(match kind {
        "container" => Source::Container(rest.to_string()),
        "image" => Source::Image(rest.to_string()),
        "freeze" => Source::Freeze(rest.to_string()),
        "req" => Source::Req(rest.to_string()),
        _ => bail!(
            "source `{s}` has no kind; write container:NAME, image:REF, freeze:FILE or req:FILE"
        ),
    })
}

fn needs_engine(sources: &[Source]) -> bool {
    sources
        .iter()
        .any(|s| matches!(s, Source::Container(_) | Source::Image(_)))
}

async fn read_freeze(spec: &str, file: &str) -> Result<Inventory> {
    let (text, display) = if file == "-" {
        // On a blocking thread, so that Ctrl-C is still seen while stdin stays open.
        let t = tokio::task::spawn_blocking(|| {
            let mut t = String::new();
            std::io::stdin().read_to_string(&mut t).map(|_| t)
        })
        .await
        .context("reading pip freeze output from stdin")?
        .context("reading pip freeze output from stdin")?;
        (t, "<stdin>".to_string())
    } else {
        let path = Path::new(file);
        let t = std::fs::read_to_string(path)
            .with_context(|| format!("reading {}", crate::paths::display_path(path)))?;
        (t, crate::paths::display_path(path))
    };
    let (env, warnings) = parse_freeze(&text, &display, "freeze");
    Ok(Inventory {
        source: SourceInfo::file(spec, SourceKind::Freeze),
        envs: vec![env],
        os: None,
        warnings,
        requirements: Vec::new(),
    })
}

fn read_req(spec: &str, file: &str) -> Result<Inventory> {
    let requirements = crate::inventory::requirements::read_requirements(Path::new(file))?;
    Ok(Inventory {
        source: SourceInfo::file(spec, SourceKind::Requirements),
        envs: Vec::new(),
        os: None,
        warnings: Vec::new(),
        requirements,
    })
}

/// A source after its first step: file sources are read, images are opened (their
/// temporary container exists, unless the cache has them).
enum Opened {
    Done(Box<Inventory>),
    Image(Box<ImageHandle>),
    Container,
}

/// Open image sources first (creating their temporary containers), then read files and
/// stdin, so that an interrupted read of stdin also exercises the clean-up of containers.
async fn open_source(engine: Option<&Engine>, spec: &str, source: &Source) -> Result<Opened> {
    Ok(match source {
        Source::Image(r) => {
            Opened::Image(Box::new(engine.context("no engine")?.open_image(r).await?))
        }
        Source::Container(_) => Opened::Container,
        Source::Freeze(f) => Opened::Done(Box::new(read_freeze(spec, f).await?)),
        Source::Req(f) => Opened::Done(Box::new(read_req(spec, f)?)),
    })
}

async fn finish_source(
    engine: Option<&Engine>,
    spec: &str,
    source: &Source,
    opened: Opened,
    via_exec: bool,
) -> Result<Inventory> {
    match opened {
        Opened::Done(inv) => Ok(*inv),
        Opened::Image(h) => Ok(engine.context("no engine")?.read_image(*h, spec).await?),
        Opened::Container => read_source(engine, spec, source, via_exec).await,
    }
}

async fn read_source(
    engine: Option<&Engine>,
    spec: &str,
    source: &Source,
    via_exec: bool,
) -> Result<Inventory> {
    match source {
        Source::Freeze(f) => read_freeze(spec, f).await,
        Source::Req(f) => read_req(spec, f),
        Source::Container(name) => {
            let engine = engine.context("no engine")?;
            if via_exec {
                Ok(exec_inventory(engine, name, spec).await?)
            } else {
                Ok(engine.container_inventory(name, spec).await?)
            }
        }
        Source::Image(r) => {
            let engine = engine.context("no engine")?;
            // Images are never started: they are always read through the archive API.
            Ok(engine.image_inventory(r, spec).await?)
        }
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
    let sources: Vec<Source> = args
        .sources
        .iter()
        .map(|s| parse_source(s))
        .collect::<Result<_>>()?;
    if args.replicas.is_none() && sources.is_empty() {
        bail!("give one or two sources (e.g. `container:web image:app:1.2`), or --replicas LABEL=VALUE");
    }
    if sources.len() == 1 && !matches!(sources[0], Source::Container(_)) {
        bail!(
            "one source is only enough for `container:NAME` (compared with its image); give two sources"
        );
    }
    // Options that would have no effect are usage errors, not silently dropped.
    if args.strict_extra
        && (args.replicas.is_some() || !sources.iter().any(|s| matches!(s, Source::Req(_))))
    {
        bail!(
            "--strict-extra applies to a `req:` source compared with an environment; there is none"
        );
    }
    if args.via == "exec"
        && args.replicas.is_none()
        && !sources.iter().any(|s| matches!(s, Source::Container(_)))
    {
        bail!("--via exec reads running containers; none of the sources is a `container:` (images are always read through the archive API)");
    }
    let engine = if args.replicas.is_some() || needs_engine(&sources) {
        let mut e = Engine::connect().await?;
        if !args.no_cache {
            e.set_cache_dir(crate::inventory::cache::default_dir());
        }
        Some(e)
    } else {
        None
    };
    let work = async {
        match &args.replicas {
            Some(sel) => replicas(engine.as_ref().context("no engine")?, sel, &args).await,
            None => compare(engine.as_ref(), &sources, &args).await,
        }
    };
    let result = tokio::select! {
        r = work => r,
        sig = signals.recv() => Err(anyhow::anyhow!("interrupted by {sig}; temporary containers removed")),
    };
    if let Some(e) = &engine {
        e.cleanup().await;
    }
    let (text, code) = result?;
    let mut out = std::io::stdout().lock();
    out.write_all(text.as_bytes())?;
    out.flush()?;
    Ok(code)
}

fn ignore_set(args: &DriftArgs) -> BTreeSet<String> {
    args.ignore
        .iter()
        .map(|n| n.trim())
        .filter(|n| !n.is_empty())
        .flat_map(|n| [normalize_name(n), n.to_string()])
        .collect()
}

async fn compare(
    engine: Option<&Engine>,
    sources: &[Source],
    args: &DriftArgs,
) -> Result<(String, u8)> {
    let via_exec = args.via == "exec";
    let ignore = ignore_set(args);
    let mut raw_changes = None;
    let (before, after, in_place) = if sources.len() == 1 {
        let Source::Container(name) = &sources[0] else {
            bail!("one source must be a container");
        };
        let engine = engine.context("no engine")?;
        let (after, raw) = if via_exec {
            let after = read_source(Some(engine), &args.sources[0], &sources[0], true).await?;
            (after, None)
        } else {
            engine
                .container_inventory_changes(name, &args.sources[0], true)
                .await?
        };
        raw_changes = raw;
        let image_id = after.source.image_id.clone().unwrap_or_default();
        let before = engine
            .image_inventory(
                &image_id,
                &format!(
                    "image:{}",
                    after.source.image_ref.clone().unwrap_or(image_id.clone())
                ),
            )
            .await
            .with_context(|| format!("reading the image container {name} was created from"))?;
        let mut before = before;
        before.source.image_ref = after.source.image_ref.clone();
        (before, after, true)
    } else {
        // Images are opened (temporary containers created) before stdin is read.
        let mut order: Vec<usize> = vec![0, 1];
        order.sort_by_key(|&i| !matches!(sources[i], Source::Image(_)));
        let mut opened: [Option<Opened>; 2] = [None, None];
        for i in order {
            opened[i] = Some(open_source(engine, &args.sources[i], &sources[i]).await?);
        }
        let [oa, ob] = opened;
        let (a, b) = tokio::try_join!(
            finish_source(
                engine,
                &args.sources[0],
                &sources[0],
                oa.context("source not opened")?,
                via_exec
            ),
            finish_source(
                engine,
                &args.sources[1],
                &sources[1],
                ob.context("source not opened")?,
                via_exec
            ),
        )?;
        (a, b, false)
    };
    let opts = Options {
        python_env: args.python_env.as_deref(),
        ignore: &ignore,
        no_os: args.no_os,
        strict_extra: args.strict_extra,
    };
    let mut outcome = drift::compare_with(&before, &after, &opts)?;
    if in_place {
        let engine = engine.context("no engine")?;
        let id = after.source.id.clone().unwrap_or_default();
        let facts = engine.container_facts(&id).await?;
        let mut focus: Vec<String> = ["/app", "/usr/src/app", "/srv", "/opt", "/home", "/code"]
            .iter()
            .map(|s| s.to_string())
            .collect();
        if let Some(wd) = facts.working_dir.filter(|w| w != "/") {
            focus.push(wd);
        }
        let site_dirs: Vec<String> = after
            .envs
            .iter()
            .chain(before.envs.iter())
            .flat_map(|e| e.dirs.iter().cloned())
            .collect();
        outcome.files = match raw_changes {
            Some(raw) => crate::docker::summarize_changes(&raw, &focus, &site_dirs),
            None => engine.changes(&id, &focus, &site_dirs).await?,
        };
        outcome
            .files
            .retain(|f| !drift::file_of_ignored_package(f, &ignore));
    }
    let report = DriftReport {
        before: &before,
        after: &after,
        outcome: &outcome,
        show_all: args.all,
        fail_on: args.fail_on,
        in_place,
    };
    let code = u8::from(report.tripped());
    Ok((render(&report, args.format), code))
}

async fn replicas(engine: &Engine, selector: &str, args: &DriftArgs) -> Result<(String, u8)> {
    let ignore = ignore_set(args);
    let list = engine.replicas(selector).await?;
    if list.is_empty() {
        bail!("no running container matches --replicas {selector}");
    }
    let mut images = std::collections::BTreeMap::new();
    let mut results = Vec::new();
    let mut fingerprints = Vec::new();
    let mut inventories = Vec::new();
    let opts = Options {
        python_env: args.python_env.as_deref(),
        ignore: &ignore,
        no_os: args.no_os,
        strict_extra: args.strict_extra,
    };
    for r in &list {
        let spec = format!("container:{}", r.name);
        let inv = if args.via == "exec" {
            exec_inventory(engine, &r.id, &spec).await?
        } else {
            engine.container_inventory(&r.id, &spec).await?
        };
        if !images.contains_key(&r.image_id) {
            let img = engine
                .image_inventory(
                    &r.image_id,
                    &format!("image:{}", inv.source.image_ref.clone().unwrap_or_default()),
                )
                .await?;
            images.insert(r.image_id.clone(), img);
        }
        let image = &images[&r.image_id];
        let mut outcome = drift::compare_with(image, &inv, &opts)?;
        let facts = engine.container_facts(&r.id).await?;
        let mut focus: Vec<String> = ["/app", "/usr/src/app", "/srv", "/opt", "/code"]
            .iter()
            .map(|s| s.to_string())
            .collect();
        if let Some(wd) = facts.working_dir.filter(|w| w != "/") {
            focus.push(wd);
        }
        let site_dirs: Vec<String> = inv
            .envs
            .iter()
            .flat_map(|e| e.dirs.iter().cloned())
            .collect();
        outcome.files = engine.changes(&r.id, &focus, &site_dirs).await?;
        outcome
            .files
            .retain(|f| !drift::file_of_ignored_package(f, &ignore));
        fingerprints.push((drift::fingerprint(&inv, &opts), r.image_id.clone()));
        results.push(ReplicaResult {
            name: r.name.clone(),
            id: r.id.clone(),
            image_id: r.image_id.clone(),
            outcome,
            odd_one_out: false,
        });
        inventories.push(inv);
    }
    let matches: Vec<bool> = results
        .iter()
        .map(|r| !r.outcome.has_drift() && r.outcome.files.is_empty())
        .collect();
    let fps: Vec<_> = results
        .iter()
        .zip(fingerprints.iter())
        .map(|(r, (fp, img))| (fp.clone(), img.clone(), r.outcome.files.clone()))
        .collect();
    for (r, odd) in results.iter_mut().zip(drift::odd_ones_out(&fps, &matches)) {
        r.odd_one_out = odd;
    }
    let unread = inventories
        .iter()
        .chain(images.values())
        .flat_map(|i| i.warnings.iter())
        .any(|w| w.package_unread());
    let tripped = (unread && args.fail_on != FailOn::Never)
        || results.iter().any(|r| r.outcome.trips(args.fail_on))
        || (args.fail_on == FailOn::Any
            && results
                .iter()
                .any(|r| r.odd_one_out || !r.outcome.files.is_empty()));
    let text = crate::drift::report::render_replicas(
        selector,
        &results,
        &inventories,
        args.format,
        args.fail_on,
        args.all,
        tripped,
    );
    Ok((text, u8::from(tripped)))
}
