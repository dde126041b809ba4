//! Dockerfile linting (base images, build args, install commands in RUN).
//!
//! [`parse`] reads the file the way BuildKit does, keeping a source offset for every byte;
//! [`lint_dockerfile`] walks the instructions with the build-arg/ENV scopes of [`vars`],
//! checks every image reference (`FROM`, `COPY --from`, `RUN --mount=from=`, the `# syntax=`
//! image in strict mode) and every install command found by [`shell`] + [`installers`]
//! (also inside `sh -c '…'`, heredocs and command substitutions), and hands each finding to
//! one rule under [`rules`].

pub mod image_ref;
pub mod installers;
pub mod lists;
pub mod parse;
pub mod rules;
pub mod shell;
pub mod sites;
pub mod suppressions;
pub mod vars;

use std::collections::HashMap;
use std::path::{Path, PathBuf};

use crate::config::Settings;
use crate::diagnostic::{Finding, Span};
use crate::lint::requirements::install::FileCache;
use crate::registry::Rule;
use crate::source::SourceFile;
use crate::span::Mapped;
use installers::{classify, Arg, Classified, Install};
use parse::Instruction;
use shell::{parse_script, Command, Part, Word};
use vars::{expand_word, key_values, Lookup, Scopes};

/// hadolint rules and the pindrift codes that cover the same problem, so that
/// `# hadolint ignore=DL3013` keeps working.
pub use crate::suppress::HADOLINT_EQUIVALENTS;

/// Lints one Dockerfile.
pub fn lint_dockerfile(source: &SourceFile, settings: &Settings) -> Vec<Finding> {
    lint_dockerfile_cached(source, settings, None).findings
}

/// What linting one Dockerfile found.
pub struct DockerfileOutcome {
    pub findings: Vec<Finding>,
    /// Every requirements/constraints file its `pip install` commands read (absolute,
    /// lexically normalized): they are linted here, as part of that install, and are not
    /// install roots of their own.
    pub installed: Vec<PathBuf>,
    /// What the last stage copies from the build context (`hotfix export` maps container
    /// paths back through it).
    pub final_stage: FinalStage,
}

/// The last stage of a Dockerfile: its `WORKDIR` and its `COPY`/`ADD` from the build
/// context, in order (a later copy overwrites an earlier one).
#[derive(Debug, Clone, Default)]
pub struct FinalStage {
    pub workdir: String,
    pub copies: Vec<ContextCopy>,
}

/// One source of a `COPY`/`ADD` from the build context.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ContextCopy {
    /// Path inside the context (relative, `/`-separated; `.` for the whole context).
    pub src: String,
    /// Absolute destination in the image.
    pub dest: String,
    /// The destination is a directory (sources go inside it).
    pub dest_is_dir: bool,
    /// The source is a directory (its contents are copied).
    pub src_is_dir: bool,
}

/// The `WORKDIR` and context copies of the last stage of a Dockerfile, found by the same walk
/// as [`lint_dockerfile`] (build arguments and `ENV` expanded); an error when the file cannot
/// be parsed.
pub fn final_stage(
    source: &SourceFile,
    settings: &Settings,
) -> Result<FinalStage, parse::ParseError> {
    let df = parse::parse(&source.text)?;
    Ok(walk(source, &df, settings, None, None).final_stage)
}

/// Lints one Dockerfile; requirements files reached through `pip install -r`/`-c` (and
/// `PIP_CONSTRAINT`) are linted as one install, read through `cache` when given (so a
/// tree's requirements files are parsed once).
pub fn lint_dockerfile_cached(
    source: &SourceFile,
    settings: &Settings,
    cache: Option<&FileCache>,
) -> DockerfileOutcome {
    match parse::parse(&source.text) {
        Ok(df) => walk(source, &df, settings, cache, None),
        Err(e) => DockerfileOutcome {
            findings: vec![rules::syntax_error::finding(source, e.span, &e.message)],
            installed: Vec::new(),
            final_stage: FinalStage::default(),
        },
    }
}

/// Every image reference and install-command package of one Dockerfile, found by the same
/// walk as [`lint_dockerfile`] (so `pin` sees exactly what `check` judges); an error when the
/// file cannot be parsed. `cache` shares the requirements files that `pip install -c` reads
/// (for the packages a constraints file pins) between Dockerfiles.
pub fn pin_sites(
    source: &SourceFile,
    settings: &Settings,
    cache: Option<&FileCache>,
) -> Result<sites::Sites, parse::ParseError> {
    let df = parse::parse(&source.text)?;
    let mut found = sites::Sites::default();
    walk(source, &df, settings, cache, Some(&mut found));
    Ok(found)
}

fn walk(
    source: &SourceFile,
    df: &parse::Dockerfile,
    settings: &Settings,
    cache: Option<&FileCache>,
    sites: Option<&mut sites::Sites>,
) -> DockerfileOutcome {
    // Absolute, so that mapping paths into it does not depend on the working directory
    // (`Dockerfile` named in its own folder has the parent ``).
    let context = crate::paths::absolute(
        &settings
            .context
            .clone()
            .or_else(|| source.path.parent().map(Path::to_path_buf))
            .unwrap_or_default(),
    );
    let own_cache;
    let cache = match cache {
        Some(cache) => cache,
        None => {
            own_cache = FileCache::new().with_max_file_size(settings.max_file_size);
            &own_cache
        }
    };
    let mut cx = Cx {
        source,
        settings,
        findings: Vec::new(),
        scopes: Scopes::new(&settings.build_args),
        stages: Vec::new(),
        context,
        workdir: "/".to_string(),
        copies: Vec::new(),
        stage_files: Vec::new(),
        linted_installs: Vec::new(),
        installed: Vec::new(),
        cache,
        shell_comments: Vec::new(),
        sites,
    };
    if let Some(d) = df.directive("syntax") {
        if let Some(sites) = cx.sites.as_deref_mut() {
            sites.images.push(sites::ImageSite {
                place: sites::ImagePlace::Syntax,
                arg: Arg {
                    text: d.value.clone(),
                    span: d.value_span,
                    unresolved: Vec::new(),
                    opaque: false,
                    verbatim: Some(d.value_span),
                },
                target: sites::ImageTarget::Image,
                tail_param: None,
            });
        }
    }
    if settings.strict() {
        if let Some(d) = df.directive("syntax") {
            let span = d.value_span;
            let arg = Arg {
                text: d.value.clone(),
                span,
                unresolved: Vec::new(),
                opaque: false,
                verbatim: Some(span),
            };
            rules::check_image(&mut cx, &arg, "the `# syntax=` frontend image");
        }
    }
    for inst in &df.instructions {
        cx.instruction(inst);
    }
    let directives = suppressions::directives(source, df, &cx.shell_comments);
    let (mine, mut others): (Vec<Finding>, Vec<Finding>) = cx
        .findings
        .into_iter()
        .partition(|f| *f.path == *source.display);
    let report_unused = crate::suppress::reports_unused(settings);
    others.extend(crate::suppress::apply(
        &directives,
        mine,
        source,
        report_unused,
    ));
    DockerfileOutcome {
        findings: others,
        installed: cx.installed,
        final_stage: FinalStage {
            workdir: cx.workdir,
            copies: cx
                .copies
                .iter()
                .map(|c| ContextCopy {
                    src: c.src.clone(),
                    dest: c.dest.clone(),
                    dest_is_dir: c.dest_is_dir,
                    src_is_dir: c.src_is_dir,
                })
                .collect(),
        },
    }
}

/// A file copied (or bind-mounted) from the build context into the image.
#[derive(Clone, Debug)]
struct CopyMap {
    /// Source path inside the context (relative, `/`-separated; `.` for the whole context).
    src: String,
    /// Absolute destination in the image.
    dest: String,
    /// The destination is a directory (sources go inside it).
    dest_is_dir: bool,
    /// The source is a directory (its contents are copied).
    src_is_dir: bool,
}

/// Linting state for one Dockerfile.
pub struct Cx<'a> {
    pub source: &'a SourceFile,
    pub settings: &'a Settings,
    pub findings: Vec<Finding>,
    scopes: Scopes,
    /// Lowercased stage names (`None` for unnamed stages), by index.
    stages: Vec<Option<String>>,
    context: PathBuf,
    workdir: String,
    copies: Vec<CopyMap>,
    /// WORKDIR and context files of each finished stage, by index.
    stage_files: Vec<(String, Vec<CopyMap>)>,
    /// The (requirements, constraints) sets already linted, once per Dockerfile.
    linted_installs: Vec<(Vec<PathBuf>, Vec<PathBuf>)>,
    installed: Vec<PathBuf>,
    cache: &'a FileCache,
    /// Source spans of the shell comments in the file's scripts (for suppressions).
    shell_comments: Vec<Span>,
    /// What `pin` may change, collected when asked for ([`pin_sites`]).
    sites: Option<&'a mut sites::Sites>,
}

impl Cx<'_> {
    pub fn finding(&self, code: Rule, span: Span, message: impl Into<String>) -> Finding {
        Finding::new(code, self.source, span, message)
    }

    pub fn push(&mut self, f: Finding) {
        self.findings.push(f);
    }

    fn stage_index(&self, name: &str) -> Option<usize> {
        let lower = name.to_ascii_lowercase();
        if let Ok(i) = name.parse::<usize>() {
            if i < self.stages.len() {
                return Some(i);
            }
        }
        self.stages
            .iter()
            .position(|s| s.as_deref() == Some(lower.as_str()))
    }

    fn instruction(&mut self, inst: &Instruction) {
        match inst.keyword.as_str() {
            "FROM" => self.from(inst),
            "ARG" => {
                for (name, value) in key_values(&inst.args) {
                    if let Some(sites) = self.sites.as_deref_mut() {
                        sites.args.push(sites::ArgDecl {
                            global: self.stages.is_empty(),
                            overridden: self.scopes.build_args.contains_key(&name),
                            name: name.clone(),
                            default: value.clone(),
                        });
                    }
                    self.scopes.declare_arg(&name, value.as_ref());
                }
            }
            "ENV" => {
                for (name, value) in key_values(&inst.args) {
                    if let Some(v) = value {
                        self.scopes.set_env(&name, &v);
                    }
                }
            }
            "WORKDIR" => {
                let e = vars::expand_text(&inst.args, self.scopes.current());
                let dir = e.value.trim().to_string();
                if !dir.is_empty() {
                    self.workdir = join_abs(&self.workdir, &dir);
                }
            }
            "COPY" | "ADD" => self.copy(inst),
            "RUN" => self.run(inst),
            "ONBUILD" => {
                if let Some(inner) = inst.onbuild.as_deref() {
                    if inner.keyword == "RUN" {
                        self.run(inner);
                    }
                }
            }
            _ => {}
        }
    }

    fn from(&mut self, inst: &Instruction) {
        let script = parse_script(&inst.args);
        let words: Vec<&Word> = script
            .commands
            .iter()
            .flat_map(|c| c.assigns.iter().chain(&c.words))
            .collect();
        let Some(image_word) = words.first() else {
            self.push(rules::syntax_error::finding(
                self.source,
                inst.keyword_span,
                "FROM requires an image",
            ));
            return;
        };
        let stage_name = match words.as_slice() {
            [_, kw, name, ..] if kw.literal().is_some_and(|k| k.eq_ignore_ascii_case("as")) => {
                name.literal().map(|n| n.to_ascii_lowercase())
            }
            _ => None,
        };
        // FROM expands with the global scope.
        let lookup_global = self.scopes.global.clone();
        let e = expand_word(image_word, &lookup_global);
        let arg = Arg {
            text: if e.is_known() {
                e.value.clone()
            } else {
                image_word.display()
            },
            span: image_word.span,
            verbatim: verbatim(image_word, &e),
            unresolved: e.unresolved.clone(),
            opaque: e.opaque,
        };
        let base = if e.is_known() {
            self.stage_index(&e.value)
        } else {
            None
        };
        self.record_image(sites::ImagePlace::From, &arg, image_word, base.is_some());
        if base.is_none() {
            self.check_image_or_context(&arg, e.is_known(), "base image");
        }
        self.scopes.begin_stage(base);
        // A stage built on an earlier stage starts with its WORKDIR and files.
        if !self.stages.is_empty() {
            let ended = (self.workdir.clone(), std::mem::take(&mut self.copies));
            self.stage_files.push(ended);
        }
        self.stages.push(stage_name);
        match base.and_then(|i| self.stage_files.get(i)) {
            Some((workdir, copies)) => {
                self.workdir = workdir.clone();
                self.copies = copies.clone();
            }
            None => {
                self.workdir = "/".into();
                self.copies.clear();
            }
        }
    }

    /// Checks an image named in `--from=` / `from=` unless it is a stage.
    fn check_flag_image(&mut self, value: &Mapped, what: &str, place: sites::ImagePlace) {
        let s = parse_script(value);
        let Some(w) = s
            .commands
            .first()
            .and_then(|c| c.words.first().or(c.assigns.first()))
        else {
            return;
        };
        let e = expand_word(w, self.scopes.current());
        let known = e.is_known();
        let is_stage = known && self.stage_index(&e.value).is_some();
        let arg = Arg {
            text: if e.is_known() {
                e.value.clone()
            } else {
                w.display()
            },
            span: w.span,
            verbatim: verbatim(w, &e),
            unresolved: e.unresolved,
            opaque: e.opaque,
        };
        self.record_image(place, &arg, w, is_stage);
        if is_stage {
            return;
        }
        self.check_image_or_context(&arg, known, what);
    }

    /// Remembers an image reference for `pin` (when sites are collected).
    fn record_image(&mut self, place: sites::ImagePlace, arg: &Arg, word: &Word, is_stage: bool) {
        let context = if arg.known() && !is_stage {
            self.build_context(&arg.text).map(|(name, _)| name.clone())
        } else {
            None
        };
        let Some(sites) = self.sites.as_deref_mut() else {
            return;
        };
        let target = if is_stage {
            sites::ImageTarget::Stage(arg.text.clone())
        } else if let Some(name) = context {
            sites::ImageTarget::Context(name)
        } else {
            sites::ImageTarget::Image
        };
        let tail_param = match word.parts.last() {
            Some(Part::Param { name, op, .. }) if op.is_empty() => Some(name.clone()),
            _ => None,
        };
        sites.images.push(sites::ImageSite {
            place,
            arg: arg.clone(),
            target,
            tail_param,
        });
    }

    /// Checks an image reference, unless it names a build context: then nothing is judged,
    /// or, for `NAME=docker-image://REF`, REF is (BuildKit builds from REF).
    fn check_image_or_context(&mut self, arg: &Arg, known: bool, what: &str) {
        let context = if known {
            self.build_context(&arg.text).cloned()
        } else {
            None
        };
        match context {
            None => rules::check_image(self, arg, what),
            Some((name, Some(value))) => {
                if let Some(image) = value.strip_prefix("docker-image://") {
                    let image_arg = Arg {
                        text: image.to_string(),
                        span: arg.span,
                        unresolved: Vec::new(),
                        opaque: false,
                        verbatim: None,
                    };
                    let what = format!("{what}, from the build context `{name}`");
                    rules::check_image(self, &image_arg, &what);
                }
            }
            Some((_, None)) => {}
        }
    }

    fn copy(&mut self, inst: &Instruction) {
        if let Some(from) = inst.flag("from").and_then(|f| f.value.clone()) {
            self.check_flag_image(&from, "image in `COPY --from`", sites::ImagePlace::CopyFrom);
            return;
        }
        if !inst.heredocs.is_empty() {
            return;
        }
        // Remember context -> image paths for `pip install -r`.
        let words: Vec<String> = match &inst.json {
            Some(j) => j.iter().map(|a| a.value.as_str().to_string()).collect(),
            None => {
                let s = parse_script(&inst.args);
                s.commands
                    .iter()
                    .flat_map(|c| c.assigns.iter().chain(&c.words))
                    .map(|w| {
                        let e = expand_word(w, self.scopes.current());
                        e.value
                    })
                    .collect()
            }
        };
        if words.len() < 2 {
            return;
        }
        let (srcs, dest) = words.split_at(words.len() - 1);
        let dest = &dest[0];
        let dest_is_dir = dest.ends_with('/') || srcs.len() > 1 || dest == ".";
        let dest_abs = join_abs(&self.workdir, dest);
        for s in srcs {
            if s.contains("://") {
                continue;
            }
            let src = s.trim_start_matches("./").trim_end_matches('/').to_string();
            let src = if src.is_empty() { ".".to_string() } else { src };
            let src_is_dir = src == "." || self.context.join(&src).is_dir();
            self.copies.push(CopyMap {
                src,
                dest: dest_abs.clone(),
                dest_is_dir: dest_is_dir || src_is_dir,
                src_is_dir,
            });
        }
    }

    /// Maps a path in the image back to the build context.
    fn context_path(&self, image_path: &str, extra: &[CopyMap]) -> Option<PathBuf> {
        let abs = join_abs(&self.workdir, image_path);
        for c in extra.iter().chain(self.copies.iter().rev()) {
            if c.dest_is_dir {
                let prefix = if c.dest.ends_with('/') {
                    c.dest.clone()
                } else {
                    format!("{}/", c.dest)
                };
                if let Some(rest) = abs.strip_prefix(&prefix) {
                    let candidate = if c.src_is_dir {
                        self.context.join(&c.src).join(rest)
                    } else if Path::new(&c.src)
                        .file_name()
                        .is_some_and(|n| n.to_string_lossy() == rest)
                    {
                        self.context.join(&c.src)
                    } else {
                        continue;
                    };
                    return Some(candidate);
                }
            } else if abs == c.dest {
                return Some(self.context.join(&c.src));
            }
        }
        None
    }

    fn run(&mut self, inst: &Instruction) {
        // Images and bind mounts named by --mount.
        let mut binds = Vec::new();
        for f in inst
            .flags
            .iter()
            .filter(|f| f.name.eq_ignore_ascii_case("mount"))
        {
            let Some(v) = &f.value else { continue };
            let mut fields: HashMap<String, Mapped> = HashMap::new();
            let mut start = 0;
            let t = v.as_str();
            for (i, c) in t.char_indices().chain(std::iter::once((t.len(), ','))) {
                if c == ',' {
                    let part = v.slice(start..i);
                    let (k, val) = match part.as_str().split_once('=') {
                        Some((k, _)) => {
                            (k.to_ascii_lowercase(), part.slice(k.len() + 1..part.len()))
                        }
                        None => (part.as_str().to_ascii_lowercase(), Mapped::new()),
                    };
                    fields.insert(k, val);
                    start = i + 1;
                }
            }
            let ty = fields.get("type").map(|m| m.as_str().to_ascii_lowercase());
            if let Some(from) = fields.get("from") {
                self.check_flag_image(
                    from,
                    "image in `RUN --mount=from=`",
                    sites::ImagePlace::MountFrom,
                );
            } else if matches!(ty.as_deref(), None | Some("bind")) {
                let src = fields
                    .get("source")
                    .or(fields.get("src"))
                    .map_or(".".to_string(), |m| {
                        m.as_str().trim_start_matches("./").to_string()
                    });
                if let Some(target) = fields
                    .get("target")
                    .or(fields.get("dst"))
                    .or(fields.get("destination"))
                {
                    let src_is_dir =
                        src == "." || src.is_empty() || self.context.join(&src).is_dir();
                    binds.push(CopyMap {
                        src: if src.is_empty() { ".".into() } else { src },
                        dest: join_abs(&self.workdir, target.as_str()),
                        dest_is_dir: src_is_dir,
                        src_is_dir,
                    });
                }
            }
        }
        if let Some(j) = &inst.json {
            let args: Vec<Arg> = j
                .iter()
                .map(|a| Arg {
                    text: a.value.as_str().to_string(),
                    span: a.span,
                    unresolved: Vec::new(),
                    opaque: false,
                    verbatim: a.value.verbatim_span(0..a.value.len()),
                })
                .collect();
            match classify(&args) {
                Classified::Install(i) => {
                    let env = self
                        .scopes
                        .current()
                        .get("PIP_CONSTRAINT")
                        .map(str::to_string);
                    rules::check_install(self, &args, &i, &binds, env.as_deref());
                }
                Classified::ShellArg(n) => {
                    // Text of another quoting level: nothing in it may be edited in place.
                    let body = j[n].value.clone().derived();
                    self.script(&body, &[], &binds, 0);
                }
                _ => {}
            }
            return;
        }
        let heredocs: Vec<Mapped> = inst.heredocs.iter().map(|h| h.body.clone()).collect();
        // `RUN <<EOF` alone: the first heredoc is the script.
        let trimmed = inst.args.as_str().trim();
        if inst.heredocs.len() == 1
            && trimmed.starts_with("<<")
            && !trimmed.contains(char::is_whitespace)
        {
            let body = &heredocs[0];
            let first_line = body.as_str().lines().next().unwrap_or("");
            if first_line.starts_with("#!") && !is_shell_shebang(first_line) {
                return;
            }
            self.script(body, &[], &binds, 0);
            return;
        }
        self.script(&inst.args, &heredocs, &binds, 0);
    }

    /// Lints a shell script; `heredocs` are Dockerfile-level bodies for `<<` redirections in it.
    fn script(&mut self, text: &Mapped, heredocs: &[Mapped], binds: &[CopyMap], depth: usize) {
        if depth > 6 {
            return;
        }
        let script = parse_script(text);
        self.shell_comments.extend(script.comments.iter().cloned());
        let mut next_heredoc = 0;
        let mut shell_env: HashMap<String, String> = HashMap::new();
        // Variables of `for` loops seen so far, with their values (see [`lists`]).
        let mut loops: Vec<(String, Vec<String>)> = Vec::new();
        for (index, cmd) in script.commands.iter().enumerate() {
            // `while read p; do …; done < list`: the loop's input is the file redirected at
            // `done` (the first later command that is only `< file`), so `read` reads it.
            let redirected;
            let cmd = if cmd.stdin_file.is_none()
                && cmd.words.first().and_then(Word::literal).as_deref() == Some("read")
            {
                match script.commands[index + 1..]
                    .iter()
                    .find(|c| c.words.is_empty() && c.assigns.is_empty() && c.stdin_file.is_some())
                {
                    Some(done) => {
                        redirected = Command {
                            stdin_file: done.stdin_file.clone(),
                            ..cmd.clone()
                        };
                        &redirected
                    }
                    None => cmd,
                }
            } else {
                cmd
            };
            let bodies: Vec<Option<Mapped>> = cmd
                .heredocs
                .iter()
                .map(|h| match &h.body {
                    Some(b) => Some(b.clone()),
                    None => {
                        let b = heredocs.get(next_heredoc).cloned();
                        next_heredoc += 1;
                        b
                    }
                })
                .collect();
            if self.shell_lists(cmd, &mut shell_env, &mut loops) {
                continue;
            }
            let used: Vec<&(String, Vec<String>)> = loops
                .iter()
                .filter(|(name, _)| uses_variable(cmd, name))
                .collect();
            if used.is_empty() {
                self.command(cmd, &bodies, binds, depth, &mut shell_env);
                continue;
            }
            // The body of `for p in a b`: linted once per value (nested loops: per combination).
            let mut runs: Vec<HashMap<String, String>> = vec![shell_env.clone()];
            for (name, values) in used {
                runs = runs
                    .iter()
                    .flat_map(|env| {
                        values.iter().map(move |v| {
                            let mut env = env.clone();
                            env.insert(name.clone(), v.clone());
                            env
                        })
                    })
                    .take(lists::MAX_LOOP_RUNS)
                    .collect();
            }
            let last = runs.len().saturating_sub(1);
            for (k, mut env) in runs.into_iter().enumerate() {
                self.command(cmd, &bodies, binds, depth, &mut env);
                if k == last {
                    shell_env = env;
                }
            }
        }
        for sub in &script.substitutions {
            self.script(sub, &[], binds, depth + 1);
        }
    }

    /// `for NAME in …` and `read NAME`: records what they bind NAME to; true when `cmd` is
    /// one of them (nothing else to lint in it).
    fn shell_lists(
        &mut self,
        cmd: &Command,
        shell_env: &mut HashMap<String, String>,
        loops: &mut Vec<(String, Vec<String>)>,
    ) -> bool {
        let header = lists::loop_header(
            cmd,
            &Layered {
                top: shell_env,
                base: self.scopes.current(),
            },
        );
        if let Some((name, binding)) = header {
            loops.retain(|(n, _)| *n != name);
            match binding {
                lists::Binding::Values(values) => {
                    shell_env.remove(&name);
                    loops.push((name, values));
                }
                lists::Binding::Unknown(marker) => {
                    shell_env.insert(name, marker);
                }
            }
            return true;
        }
        if let Some((names, marker)) = lists::read_names(cmd) {
            for name in names {
                loops.retain(|(n, _)| *n != name);
                shell_env.insert(name, marker.clone());
            }
            return true;
        }
        if cmd.words.is_empty() {
            // A plain assignment ends a loop variable's values.
            for a in &cmd.assigns {
                if let Some(name) = a.assignment_name() {
                    loops.retain(|(n, _)| n != name);
                }
            }
        }
        false
    }

    fn command(
        &mut self,
        cmd: &Command,
        heredoc_bodies: &[Option<Mapped>],
        binds: &[CopyMap],
        depth: usize,
        shell_env: &mut HashMap<String, String>,
    ) {
        // `X=1` alone sets a shell variable for later commands; `X=1 cmd` only for cmd.
        if cmd.words.is_empty() {
            for a in &cmd.assigns {
                if let Some(name) = a.assignment_name().map(str::to_string) {
                    let mut w = a.clone();
                    strip_assignment_name(&mut w, name.len() + 1);
                    let e = expand_word(
                        &w,
                        &Layered {
                            top: shell_env,
                            base: self.scopes.current(),
                        },
                    );
                    if e.is_known() {
                        shell_env.insert(name, e.value);
                    } else {
                        // Computed at build time (`deps="$(scanelf …)"`) or from a variable
                        // with no known value: remembered as such, so a package list made
                        // of it is reported as one that cannot be checked (PD214).
                        shell_env.insert(name, lists::marker_for(&e));
                    }
                }
            }
            return;
        }
        let lookup = Layered {
            top: shell_env,
            base: self.scopes.current(),
        };
        let mut args: Vec<Arg> = Vec::new();
        for w in &cmd.words {
            let e = expand_word(w, &lookup);
            let unquoted_expansion = w
                .parts
                .iter()
                .any(|p| matches!(p, Part::Param { quoted: false, .. }));
            if e.is_known() && unquoted_expansion && e.value.split_whitespace().count() > 1 {
                for piece in e.value.split_whitespace() {
                    args.push(Arg {
                        text: piece.to_string(),
                        span: w.span,
                        unresolved: Vec::new(),
                        opaque: false,
                        verbatim: None,
                    });
                }
                continue;
            }
            args.push(Arg {
                verbatim: verbatim(w, &e),
                text: if e.is_known() { e.value } else { w.display() },
                span: w.span,
                unresolved: e.unresolved,
                opaque: e.opaque,
            });
        }
        if let Some(run) = lists::xargs(&args, cmd.stdin_file.as_ref().map(Word::display)) {
            // `xargs CMD`: CMD with the names xargs reads.
            if let Classified::Install(i) = classify(&run) {
                let env = self.pip_constraint(cmd, shell_env);
                rules::check_install(self, &run, &i, binds, env.as_deref());
            }
            return;
        }
        match classify(&args) {
            Classified::Install(i) => {
                let env = self.pip_constraint(cmd, shell_env);
                rules::check_install(self, &args, &i, binds, env.as_deref());
            }
            Classified::ShellArg(n) => {
                if let Some(w) = cmd.words.get(n) {
                    // The body stands in the file inside the outer shell's quoting: findings
                    // point into it, but nothing in it may be edited in place.
                    let body = w.reraw().derived();
                    self.script(&body, &[], binds, depth + 1);
                }
            }
            Classified::ShellStdin => {
                for b in heredoc_bodies.iter().flatten() {
                    // Read by the outer shell first (expansions, `\` escapes unless the
                    // delimiter is quoted): not editable in place either.
                    self.script(&b.clone().derived(), &[], binds, depth + 1);
                }
            }
            Classified::Other => {}
        }
    }

    /// Lints the files of one `pip install -r A -r B -c C` (and `PIP_CONSTRAINT`) as one
    /// install, once per Dockerfile; returns the names the constraints pin exactly, which
    /// also pin the packages named on the command line.
    fn lint_pip_install(&mut self, roots: &[PathBuf], constraints: &[PathBuf]) -> Vec<String> {
        if roots.is_empty() && constraints.is_empty() {
            return Vec::new();
        }
        let install =
            crate::lint::requirements::install::collect_install_of(roots, constraints, self.cache);
        let pins: Vec<String> = install.constraint_pins.keys().cloned().collect();
        let key = (roots.to_vec(), constraints.to_vec());
        // Collecting sites for `pin` keeps no findings: the files are `pin`'s own business.
        if self.sites.is_none() && !self.linted_installs.contains(&key) {
            self.linted_installs.push(key);
            self.installed.extend(
                install
                    .included_paths
                    .iter()
                    .map(|p| crate::paths::absolute(p)),
            );
            let found = crate::lint::requirements::lint_install(&install, self.settings);
            self.findings.extend(found);
        }
        pins
    }

    /// `PIP_CONSTRAINT` as a command sees it: `PIP_CONSTRAINT=… pip …`, else a shell
    /// variable set earlier in the `RUN`, else `ENV`/`ARG` in scope.
    fn pip_constraint(&self, cmd: &Command, shell_env: &HashMap<String, String>) -> Option<String> {
        let lookup = Layered {
            top: shell_env,
            base: self.scopes.current(),
        };
        for a in cmd.assigns.iter().rev() {
            if a.assignment_name() == Some("PIP_CONSTRAINT") {
                let mut w = a.clone();
                strip_assignment_name(&mut w, "PIP_CONSTRAINT".len() + 1);
                let e = expand_word(&w, &lookup);
                return Some(if e.is_known() {
                    e.value
                } else {
                    COMPUTED.to_string()
                });
            }
        }
        lookup.get("PIP_CONSTRAINT").map(str::to_string)
    }

    /// Whether `name` is a named build context (`--build-context NAME=…`, `build-contexts`):
    /// BuildKit looks a reference up among them first, `:latest` stripped.
    fn build_context(&self, name: &str) -> Option<&(String, Option<String>)> {
        let short = name.strip_suffix(":latest").unwrap_or(name);
        self.settings
            .build_contexts
            .iter()
            .find(|(c, _)| c == name || c == short)
    }
}

/// Whether a command's words or assignments expand `$name`.
fn uses_variable(cmd: &Command, name: &str) -> bool {
    cmd.words
        .iter()
        .chain(&cmd.assigns)
        .flat_map(|w| &w.parts)
        .any(|p| matches!(p, Part::Param { name: n, .. } if n == name))
}

/// Where an expanded word's value stands in the file byte for byte (see [`Arg::verbatim`]).
fn verbatim(w: &Word, e: &vars::Expanded) -> Option<Span> {
    let literal = w.literal()?;
    (e.is_known() && e.value == literal)
        .then(|| w.verbatim_span())
        .flatten()
}

fn strip_assignment_name(w: &mut Word, n: usize) {
    if let Some(Part::Lit { text, .. }) = w.parts.first_mut() {
        *text = text.slice(n.min(text.len())..text.len());
    }
}

/// Marker value of a shell variable computed at build time.
const COMPUTED: &str = rules::unverifiable_package_list::COMPUTED;

struct Layered<'a> {
    top: &'a HashMap<String, String>,
    base: &'a dyn Lookup,
}

impl Lookup for Layered<'_> {
    fn get(&self, name: &str) -> Option<&str> {
        self.top
            .get(name)
            .map(String::as_str)
            .or_else(|| self.base.get(name))
    }
}

fn is_shell_shebang(line: &str) -> bool {
    let l = line.trim_start_matches("#!").trim();
    let mut parts = l.split_whitespace();
    let first = parts.next().unwrap_or("");
    let prog = if installers::basename(first) == "env" {
        parts.find(|p| !p.starts_with('-')).unwrap_or("")
    } else {
        first
    };
    matches!(
        installers::basename(prog),
        "sh" | "bash" | "dash" | "ash" | "zsh" | "ksh"
    )
}

/// Joins an image path onto a working directory, normalizing `.` and `..`.
fn join_abs(workdir: &str, path: &str) -> String {
    let full = if path.starts_with('/') {
        path.to_string()
    } else {
        format!("{}/{}", workdir.trim_end_matches('/'), path)
    };
    let mut parts: Vec<&str> = Vec::new();
    for p in full.split('/') {
        match p {
            "" | "." => {}
            ".." => {
                parts.pop();
            }
            p => parts.push(p),
        }
    }
    let mut out = format!("/{}", parts.join("/"));
    if path.ends_with('/') && out != "/" {
        out.push('/');
    }
    out
}

/// The install commands found in a RUN body (for tests and tools).
pub fn installs_in(text: &str) -> Vec<Install> {
    let m = Mapped::from_source(text, 0..text.len());
    let script = parse_script(&m);
    script
        .commands
        .iter()
        .filter_map(|c| {
            let args: Vec<Arg> = c
                .words
                .iter()
                .map(|w| Arg {
                    text: w.display(),
                    span: w.span,
                    unresolved: Vec::new(),
                    opaque: false,
                    verbatim: w.verbatim_span(),
                })
                .collect();
            match classify(&args) {
                Classified::Install(i) => Some(i),
                _ => None,
            }
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn join_paths() {
        assert_eq!(join_abs("/", "app"), "/app");
        assert_eq!(
            join_abs("/app", "requirements.txt"),
            "/app/requirements.txt"
        );
        assert_eq!(join_abs("/app", "/tmp/r.txt"), "/tmp/r.txt");
        assert_eq!(join_abs("/app", "./x/../y/"), "/app/y/");
        assert_eq!(join_abs("/app", "."), "/app");
    }
}
