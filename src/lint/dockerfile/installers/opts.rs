//! A small command-line option scanner shared by the installer recognizers.
//!
//! Each tool declares which options take a value; the scanner consumes those values (`--opt V`,
//! `--opt=V`, `-oV`, `-o V`, short clusters `-qU`, `-qr file`), optionally matches unique
//! prefixes of long options (Python's optparse does: `--no-cache` is `--no-cache-dir`), and
//! yields options and positional arguments in order.

use super::Arg;

pub struct Spec {
    /// Long options (without `--`) that take a value.
    pub long_values: &'static [&'static str],
    /// Long options that take no value (needed for prefix matching).
    pub long_flags: &'static [&'static str],
    /// Short options (letters) that take a value.
    pub short_values: &'static str,
    /// Accept unique prefixes of long options.
    pub prefixes: bool,
    /// Options are single-dash words with long names (`-ldflags`, Go style).
    pub go_style: bool,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Tok {
    /// An option: canonical name (long without dashes, or the short letter) and value.
    Opt {
        name: String,
        value: Option<(usize, String)>,
        arg: usize,
    },
    Pos(usize),
}

fn resolve_long(spec: &Spec, name: &str) -> (String, bool) {
    if spec.long_values.contains(&name) {
        return (name.to_string(), true);
    }
    if spec.long_flags.contains(&name) {
        return (name.to_string(), false);
    }
    if spec.prefixes {
        let mut hits = spec
            .long_values
            .iter()
            .map(|n| (*n, true))
            .chain(spec.long_flags.iter().map(|n| (*n, false)))
            .filter(|(n, _)| n.starts_with(name));
        if let (Some((n, v)), None) = (hits.next(), hits.next()) {
            return (n.to_string(), v);
        }
    }
    (name.to_string(), false)
}

/// Scans `args[start..]`.
pub fn scan(args: &[Arg], start: usize, spec: &Spec) -> Vec<Tok> {
    let mut out = Vec::new();
    let mut i = start;
    let mut only_pos = false;
    while i < args.len() {
        let t = args[i].text.as_str();
        if only_pos || t == "-" || !t.starts_with('-') {
            out.push(Tok::Pos(i));
            i += 1;
            continue;
        }
        if t == "--" {
            only_pos = true;
            i += 1;
            continue;
        }
        let long = if spec.go_style {
            Some(t.trim_start_matches('-'))
        } else {
            t.strip_prefix("--")
        };
        if let Some(long) = long {
            let (name, inline) = match long.split_once('=') {
                Some((n, v)) => (n, Some(v.to_string())),
                None => (long, None),
            };
            let (canon, takes) = resolve_long(spec, name);
            let opt_i = i;
            let value = match inline {
                Some(v) => Some((opt_i, v)),
                None if takes && i + 1 < args.len() => {
                    i += 1;
                    Some((i, args[i].text.clone()))
                }
                None => None,
            };
            out.push(Tok::Opt {
                name: canon,
                value,
                arg: opt_i,
            });
            i += 1;
            continue;
        }
        // Short cluster.
        let letters: Vec<char> = t[1..].chars().collect();
        let opt_i = i;
        let mut k = 0;
        while k < letters.len() {
            let c = letters[k];
            if spec.short_values.contains(c) {
                let rest: String = letters[k + 1..].iter().collect();
                let value = if !rest.is_empty() {
                    Some((opt_i, rest))
                } else if i + 1 < args.len() {
                    i += 1;
                    Some((i, args[i].text.clone()))
                } else {
                    None
                };
                out.push(Tok::Opt {
                    name: c.to_string(),
                    value,
                    arg: opt_i,
                });
                break;
            }
            out.push(Tok::Opt {
                name: c.to_string(),
                value: None,
                arg: opt_i,
            });
            k += 1;
        }
        i += 1;
    }
    out
}

#[cfg(test)]
mod tests {
    use super::super::args;
    use super::*;

    const SPEC: Spec = Spec {
        long_values: &["index-url", "timeout", "requirement"],
        long_flags: &["no-cache-dir", "upgrade", "user"],
        short_values: "ri",
        prefixes: true,
        go_style: false,
    };

    fn show(s: &str) -> Vec<String> {
        let a = args(s);
        scan(&a, 0, &SPEC)
            .into_iter()
            .map(|t| match t {
                Tok::Opt { name, value, .. } => match value {
                    Some((_, v)) => format!("{name}={v}"),
                    None => name,
                },
                Tok::Pos(i) => format!("<{}>", a[i].text),
            })
            .collect()
    }

    #[test]
    fn table() {
        let cases: &[(&str, &[&str])] = &[
            ("--timeout 60 a", &["timeout=60", "<a>"]),
            ("--timeout=60 a", &["timeout=60", "<a>"]),
            ("--no-cache a", &["no-cache-dir", "<a>"]),
            ("--index http://x a", &["index-url=http://x", "<a>"]),
            ("-qU a", &["q", "U", "<a>"]),
            ("-qr req.txt a", &["q", "r=req.txt", "<a>"]),
            ("-rreq.txt a", &["r=req.txt", "<a>"]),
            ("-- -a", &["<-a>"]),
            ("--u a", &["u", "<a>"]),
        ];
        for (s, want) in cases {
            assert_eq!(show(s), *want, "{s}");
        }
    }
}
