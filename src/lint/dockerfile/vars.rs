//! Build arguments and environment variables: what `$X` means at a given instruction.
//!
//! BuildKit's rules, which this module follows:
//! - `ARG`s before the first `FROM` are global: they are visible in every `FROM` line (and only
//!   there, unless a stage re-declares them with a bare `ARG NAME`, which takes the global value).
//! - `--build-arg NAME=VALUE` overrides the default of a declared `ARG`.
//! - Inside a stage, declared `ARG`s and `ENV`s are in the environment of `RUN`; `ENV` wins over
//!   an `ARG` of the same name.
//! - `FROM <stage>` inherits the `ENV`s of that stage (stage names compare case-insensitively);
//!   `ARG`s are not inherited.
//! - The platform arguments (`TARGETPLATFORM`, `BUILDARCH`, ...) are predefined in the global
//!   scope; here they take the values of a linux/amd64 build.
//!
//! Expansion supports `$X`, `${X}`, `${X:-w}`, `${X-w}`, `${X:+w}`, `${X+w}`, `${X:?w}`; the
//! pattern operators (`#`, `%`, `/`) and command substitutions make a value unknown.

use std::collections::HashMap;

use super::shell::{parse_script, parse_word, Part, Word};
use crate::span::Mapped;

/// Platform arguments BuildKit predefines in the global scope.
pub const PLATFORM_ARGS: &[(&str, &str)] = &[
    ("TARGETPLATFORM", "linux/amd64"),
    ("TARGETOS", "linux"),
    ("TARGETARCH", "amd64"),
    ("TARGETVARIANT", ""),
    ("BUILDPLATFORM", "linux/amd64"),
    ("BUILDOS", "linux"),
    ("BUILDARCH", "amd64"),
    ("BUILDVARIANT", ""),
];

/// A value lookup: `Some(v)` when set.
pub trait Lookup {
    fn get(&self, name: &str) -> Option<&str>;
}

impl Lookup for HashMap<String, String> {
    fn get(&self, name: &str) -> Option<&str> {
        HashMap::get(self, name).map(String::as_str)
    }
}

/// An expanded value longer than this is taken as unknown: `ARG`s that double each other
/// would otherwise grow exponentially (29 doublings of a 608-byte file made 5.7 GB).
/// No real argument comes near it.
pub const MAX_EXPANDED_LEN: usize = 64 * 1024;

/// The result of expanding a word.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Expanded {
    pub value: String,
    /// Variables whose value was needed but is not known (in order, deduplicated).
    pub unresolved: Vec<String>,
    /// True when a command substitution or unsupported operator made part of it unknown.
    pub opaque: bool,
}

impl Expanded {
    pub fn is_known(&self) -> bool {
        self.unresolved.is_empty() && !self.opaque
    }

    /// Appends expanded text; past [`MAX_EXPANDED_LEN`] the value becomes unknown instead.
    fn push(&mut self, text: &str) {
        if self.value.len() + text.len() > MAX_EXPANDED_LEN {
            self.opaque = true;
        } else if !self.opaque {
            self.value.push_str(text);
        }
    }

    fn missing(&mut self, name: &str) {
        if !self.unresolved.iter().any(|n| n == name) {
            self.unresolved.push(name.to_string());
        }
    }
}

/// Expands a shell word.
pub fn expand_word(w: &Word, env: &dyn Lookup) -> Expanded {
    let mut out = Expanded::default();
    expand_parts(&w.parts, env, &mut out, 0);
    out
}

/// Expands raw text (such as an ARG default or the word of `${X:-word}`).
pub fn expand_text(text: &Mapped, env: &dyn Lookup) -> Expanded {
    let mut out = Expanded::default();
    expand_text_into(text, env, &mut out, 0);
    out
}

/// Expands a plain string.
pub fn expand_str(s: &str, env: &dyn Lookup) -> Expanded {
    expand_text(&Mapped::from_source(s, 0..s.len()), env)
}

fn expand_text_into(text: &Mapped, env: &dyn Lookup, out: &mut Expanded, depth: usize) {
    if text.is_empty() {
        return;
    }
    let w = parse_word(text);
    expand_parts(&w.parts, env, out, depth + 1);
}

fn expand_parts(parts: &[Part], env: &dyn Lookup, out: &mut Expanded, depth: usize) {
    if depth > 16 {
        out.opaque = true;
        return;
    }
    for p in parts {
        match p {
            Part::Lit { text, .. } => out.push(text.as_str()),
            Part::Command { .. } => out.opaque = true,
            Part::Param { name, op, arg, .. } => {
                let val = env.get(name);
                match op.as_str() {
                    "" => match val {
                        Some(v) => out.push(v),
                        None => out.missing(name),
                    },
                    ":-" | "-" => {
                        let use_default = match val {
                            None => true,
                            Some(v) => op == ":-" && v.is_empty(),
                        };
                        match val {
                            Some(v) if !use_default => out.push(v),
                            _ => expand_text_into(arg, env, out, depth + 1),
                        }
                    }
                    ":+" | "+" => {
                        let use_alt = match val {
                            None => false,
                            Some(v) => op == "+" || !v.is_empty(),
                        };
                        if use_alt {
                            expand_text_into(arg, env, out, depth + 1);
                        }
                    }
                    ":?" | "?" | ":=" | "=" => match val {
                        Some(v) if !(op.starts_with(':') && v.is_empty()) => out.push(v),
                        _ if op.ends_with('=') => expand_text_into(arg, env, out, depth + 1),
                        _ => out.missing(name),
                    },
                    _ => match val {
                        Some(_) => out.opaque = true,
                        None => out.missing(name),
                    },
                }
            }
        }
    }
}

/// Environment of one build stage.
#[derive(Clone, Debug, Default)]
pub struct StageEnv {
    /// Declared ARGs: value (after build-arg override), `None` when declared without value.
    pub args: HashMap<String, Option<String>>,
    pub env: HashMap<String, String>,
}

impl Lookup for StageEnv {
    fn get(&self, name: &str) -> Option<&str> {
        if let Some(v) = self.env.get(name) {
            return Some(v);
        }
        self.args.get(name).and_then(|v| v.as_deref())
    }
}

/// The global scope (before the first `FROM`), used for `FROM` lines.
#[derive(Clone, Debug, Default)]
pub struct GlobalArgs {
    pub args: HashMap<String, Option<String>>,
}

impl Lookup for GlobalArgs {
    fn get(&self, name: &str) -> Option<&str> {
        match self.args.get(name) {
            Some(v) => v.as_deref(),
            None => PLATFORM_ARGS
                .iter()
                .find(|(n, _)| *n == name)
                .map(|(_, v)| *v),
        }
    }
}

impl GlobalArgs {
    /// True when `name` is a declared ARG without default and without `--build-arg`.
    pub fn declared_without_value(&self, name: &str) -> bool {
        matches!(self.args.get(name), Some(None))
    }
}

/// Walks a Dockerfile's scopes.
#[derive(Debug, Default)]
pub struct Scopes {
    pub build_args: HashMap<String, String>,
    pub global: GlobalArgs,
    /// ENV of finished stages, by index.
    finished: Vec<HashMap<String, String>>,
    pub stage: StageEnv,
    in_stage: bool,
}

impl Scopes {
    pub fn new(build_args: &[(String, String)]) -> Self {
        Self {
            build_args: build_args.iter().cloned().collect(),
            ..Self::default()
        }
    }

    /// The lookup for the current position (global before the first FROM).
    pub fn current(&self) -> &dyn Lookup {
        if self.in_stage {
            &self.stage
        } else {
            &self.global
        }
    }

    /// `ARG NAME[=default]` (one declaration); `default` raw text.
    pub fn declare_arg(&mut self, name: &str, default: Option<&Mapped>) {
        let value = if let Some(v) = self.build_args.get(name) {
            Some(v.clone())
        } else if let Some(d) = default {
            let e = expand_text(d, self.current());
            e.is_known().then_some(e.value)
        } else if self.in_stage {
            // A bare ARG in a stage takes the global value.
            self.global.get(name).map(str::to_string)
        } else {
            None
        };
        if self.in_stage {
            self.stage.args.insert(name.to_string(), value);
        } else {
            self.global.args.insert(name.to_string(), value);
        }
    }

    /// `ENV NAME=value`; `value` raw text.
    pub fn set_env(&mut self, name: &str, value: &Mapped) {
        let e = expand_text(value, &self.stage);
        if e.is_known() {
            self.stage.env.insert(name.to_string(), e.value);
        } else {
            self.stage.env.remove(name);
        }
    }

    /// Starts a stage; `base` is the index of an earlier stage it builds on.
    pub fn begin_stage(&mut self, base: Option<usize>) {
        if self.in_stage {
            let env = std::mem::take(&mut self.stage.env);
            self.finished.push(env);
        }
        self.in_stage = true;
        self.stage = StageEnv {
            args: HashMap::new(),
            env: base
                .and_then(|i| self.finished.get(i).cloned())
                .unwrap_or_default(),
        };
    }
}

/// Splits `ENV`/`ARG`/`LABEL` arguments into `(name, value)` pairs as written (values raw, with
/// quotes still in). Handles `K=V K2="v 2"` and the legacy `ENV K value with spaces`.
pub fn key_values(args: &Mapped) -> Vec<(String, Option<Mapped>)> {
    let script = parse_script(args);
    let words: Vec<&Word> = script
        .commands
        .iter()
        .flat_map(|c| c.assigns.iter().chain(&c.words))
        .collect();
    let mut out = Vec::new();
    let text = args.as_str();
    let first_has_eq = words.first().and_then(|w| w.parts.first()).is_some_and(
        |p| matches!(p, Part::Lit { text, quoted: false } if text.as_str().contains('=')),
    );
    if !first_has_eq {
        // `ENV NAME value...` or `ARG NAME`.
        let t = text.trim_start();
        let start = text.len() - t.len();
        let name_len = t.find(|c: char| c.is_ascii_whitespace()).unwrap_or(t.len());
        let name = t[..name_len].to_string();
        let rest = args.slice(start + name_len..text.len()).trim();
        out.push((name, (!rest.is_empty()).then_some(rest)));
        return out;
    }
    for w in words {
        let Some(Part::Lit { text: first, .. }) = w.parts.first() else {
            continue;
        };
        let Some(eq) = first.as_str().find('=') else {
            out.push((first.as_str().to_string(), None));
            continue;
        };
        let name = first.as_str()[..eq].to_string();
        // The raw value: from just after '=' to the end of the word, quotes intact.
        let eq_origin = first.origin_of(eq);
        let mut value = None;
        for i in 0..args.len() {
            if args.origin_of(i) == eq_origin {
                let end = (i..args.len())
                    .find(|&j| args.origin_of(j) >= w.span.end)
                    .unwrap_or(args.len());
                value = Some(args.slice(i + 1..end));
                break;
            }
        }
        out.push((name, Some(value.unwrap_or_default())));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn env(pairs: &[(&str, &str)]) -> HashMap<String, String> {
        pairs
            .iter()
            .map(|(a, b)| (a.to_string(), b.to_string()))
            .collect()
    }

    #[test]
    fn expansion_table() {
        let e = env(&[("X", "1.2"), ("EMPTY", ""), ("IMG", "python")]);
        let cases: &[(&str, &str, &[&str])] = &[
            ("$X", "1.2", &[]),
            ("${X}", "1.2", &[]),
            ("a==${X}", "a==1.2", &[]),
            ("${NOPE:-d}", "d", &[]),
            ("${EMPTY:-d}", "d", &[]),
            ("${EMPTY-d}", "", &[]),
            ("${NOPE-d}", "d", &[]),
            ("${X:+alt}", "alt", &[]),
            ("${EMPTY:+alt}", "", &[]),
            ("${EMPTY+alt}", "alt", &[]),
            ("${NOPE+alt}", "", &[]),
            ("${NOPE}", "", &["NOPE"]),
            ("$NOPE:$X", ":1.2", &["NOPE"]),
            ("${NOPE:-${X}}", "1.2", &[]),
            ("${NOPE:-$OTHER}", "", &["OTHER"]),
            ("'$X'", "$X", &[]),
            ("\"$IMG\":3", "python:3", &[]),
            ("${NOPE:?required}", "", &["NOPE"]),
        ];
        for (src, want, missing) in cases {
            let got = expand_str(src, &e);
            assert_eq!(got.value, *want, "{src}");
            assert_eq!(got.unresolved, *missing, "{src}");
        }
        assert!(expand_str("$(date)", &e).opaque);
        assert!(expand_str("${X%.*}", &e).opaque);
    }

    fn m(s: &str) -> Mapped {
        Mapped::from_source(s, 0..s.len())
    }

    #[test]
    fn scopes() {
        let mut s = Scopes::new(&[("OVERRIDE".into(), "from-cli".into())]);
        s.declare_arg("PY", Some(&m("3.12")));
        s.declare_arg("OVERRIDE", Some(&m("default")));
        s.declare_arg("NODEF", None);
        s.declare_arg("IMG", Some(&m("python:${PY}")));
        assert_eq!(s.current().get("IMG"), Some("python:3.12"));
        assert_eq!(s.current().get("OVERRIDE"), Some("from-cli"));
        assert_eq!(s.current().get("TARGETARCH"), Some("amd64"));
        assert!(s.global.declared_without_value("NODEF"));
        // stage 0
        s.begin_stage(None);
        assert_eq!(
            s.current().get("PY"),
            None,
            "globals are not visible in a stage"
        );
        s.declare_arg("PY", None);
        assert_eq!(s.current().get("PY"), Some("3.12"));
        s.set_env("FLASK", &m("2.0.1"));
        s.set_env("PY", &m("env-wins"));
        assert_eq!(s.current().get("PY"), Some("env-wins"));
        // stage 1 from stage 0
        s.begin_stage(Some(0));
        assert_eq!(s.current().get("FLASK"), Some("2.0.1"));
        assert_eq!(s.stage.args.len(), 0);
        // stage 2 from an image
        s.begin_stage(None);
        assert_eq!(s.current().get("FLASK"), None);
        // stage 3 from stage 1 (inherits what 1 inherited)
        s.begin_stage(Some(1));
        assert_eq!(s.current().get("FLASK"), Some("2.0.1"));
    }

    #[test]
    fn doubling_args_stop_at_the_cap_as_unknown() {
        let mut scopes = Scopes::new(&[]);
        scopes.declare_arg("A0", Some(&m("xxxxxxxxxxxxxxxx")));
        for i in 1..60 {
            let doubled = format!("${{A{}}}${{A{}}}", i - 1, i - 1);
            scopes.declare_arg(&format!("A{i}"), Some(&m(&doubled)));
        }
        let last = expand_str("${A59}", scopes.current());
        assert!(
            !last.is_known() && last.value.len() <= MAX_EXPANDED_LEN,
            "{last:?}"
        );
        let small = expand_str("${A3}", scopes.current());
        assert_eq!(small.value.len(), 128);
    }

    #[test]
    fn key_value_forms() {
        let kv = |s: &str| -> Vec<(String, Option<String>)> {
            key_values(&m(s))
                .into_iter()
                .map(|(k, v)| (k, v.map(Mapped::into_string)))
                .collect()
        };
        assert_eq!(
            kv("A=1 B=\"x y\""),
            [
                ("A".into(), Some("1".into())),
                ("B".into(), Some("\"x y\"".into()))
            ]
        );
        assert_eq!(
            kv("A value with spaces"),
            [("A".into(), Some("value with spaces".into()))]
        );
        assert_eq!(kv("NAME"), [("NAME".into(), None)]);
        assert_eq!(kv("V=${X:-1}"), [("V".into(), Some("${X:-1}".into()))]);
        assert_eq!(
            kv("A= B=2"),
            [
                ("A".into(), Some("".into())),
                ("B".into(), Some("2".into()))
            ]
        );
    }
}
