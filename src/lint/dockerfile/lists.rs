//! Package lists in `RUN` that the shell builds: what pindrift can expand (`for p in a b`,
//! `PKGS="a b"` earlier in the `RUN`) and what it can only name as unseen (PD214: a loop over
//! a value that is not known, `read NAME`, `xargs CMD`). Values that are not known are
//! carried as markers (see [`rules::unverifiable_package_list`]) so the rule can say where
//! the names would come from.

use super::installers::{basename, Arg};
use super::rules::unverifiable_package_list::{read_marker, vars_marker, COMPUTED};
use super::shell::{is_name, Command, Part};
use super::vars::{expand_word, Expanded, Lookup};

/// Most combinations of loop values one command is linted with.
pub const MAX_LOOP_RUNS: usize = 64;

/// The marker for a value that is not known: the variables it needs, or computed.
pub fn marker_for(e: &Expanded) -> String {
    if let Some(at) = e.value.find('\0') {
        // Already a marker (a variable that holds one): keep what it says.
        let rest = &e.value[at..];
        if let Some(end) = rest[1..].find('\0') {
            return rest[..end + 2].to_string();
        }
    }
    if !e.opaque && !e.unresolved.is_empty() {
        vars_marker(&e.unresolved)
    } else {
        COMPUTED.to_string()
    }
}

/// What a `for NAME [in WORDS]` header binds NAME to.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Binding {
    /// Each value in turn: the body is linted once per value.
    Values(Vec<String>),
    /// A value that is not known, as a marker.
    Unknown(String),
}

/// `for NAME in WORDS` (the lexer gives the header as a command of its own): the loop
/// variable and its values, with the shell's word splitting of unquoted expansions.
pub fn loop_header(cmd: &Command, env: &dyn Lookup) -> Option<(String, Binding)> {
    let w = &cmd.words;
    if !cmd.assigns.is_empty() || w.first()?.literal().as_deref() != Some("for") {
        return None;
    }
    let name = w.get(1)?.literal().filter(|n| is_name(n))?;
    if w.get(2).and_then(|x| x.literal()).as_deref() != Some("in") {
        // `for p; do` walks the positional parameters.
        return Some((name, Binding::Unknown(vars_marker(&["@".to_string()]))));
    }
    let mut values = Vec::new();
    for word in &w[3..] {
        let e = expand_word(word, env);
        if !e.is_known() || e.value.contains('\0') {
            return Some((name, Binding::Unknown(marker_for(&e))));
        }
        let split = word
            .parts
            .iter()
            .any(|p| matches!(p, Part::Param { quoted: false, .. }));
        if split {
            values.extend(e.value.split_whitespace().map(str::to_string));
        } else {
            values.push(e.value);
        }
    }
    Some((name, Binding::Values(values)))
}

/// `read [-r] [-p PROMPT] NAME…`: the names it sets from its input, and the marker they get.
pub fn read_names(cmd: &Command) -> Option<(Vec<String>, String)> {
    let first = cmd.words.first()?.literal()?;
    if first != "read" {
        return None;
    }
    let mut names = Vec::new();
    let mut i = 1;
    while i < cmd.words.len() {
        let t = cmd.words[i].display();
        if t.starts_with('-') && t.len() > 1 {
            // -a -d -i -n -N -p -t -u take a value, attached or next.
            let letters = &t[1..];
            if let Some(pos) = letters.find(|c| "adinNptu".contains(c)) {
                if pos == letters.len() - 1 {
                    i += 1;
                }
            }
        } else if is_name(&t) {
            names.push(t);
        }
        i += 1;
    }
    let from = match &cmd.stdin_file {
        Some(f) => format!("`{}`", f.display()),
        None => "standard input".to_string(),
    };
    (!names.is_empty()).then(|| (names, read_marker(&from)))
}

/// `xargs [OPTIONS] CMD ARGS`: the command xargs runs, with the names it reads standing in
/// as one argument (a marker at the `xargs` word), or in place of the `-I` replace string.
/// `None` when the command is not `xargs` or runs nothing.
pub fn xargs(args: &[Arg], stdin_file: Option<String>) -> Option<Vec<Arg>> {
    if basename(&args.first()?.text) != "xargs" {
        return None;
    }
    let mut replace: Option<String> = None;
    let mut from = stdin_file
        .map(|f| format!("`{f}`"))
        .unwrap_or_else(|| "standard input".to_string());
    let mut j = 1;
    while j < args.len() {
        let t = args[j].text.as_str();
        if t == "--" {
            j += 1;
            break;
        }
        if let Some(long) = t.strip_prefix("--") {
            let (key, value) = match long.split_once('=') {
                Some((k, v)) => (k, Some(v.to_string())),
                None => (long, None),
            };
            j += 1;
            let takes = matches!(
                key,
                "arg-file"
                    | "delimiter"
                    | "max-args"
                    | "max-procs"
                    | "max-chars"
                    | "eof"
                    | "max-lines"
                    | "process-slot-var"
            );
            let value = match value {
                Some(v) => Some(v),
                None if takes && key != "eof" && key != "max-lines" => {
                    j += 1;
                    args.get(j - 1).map(|a| a.text.clone())
                }
                None => None,
            };
            match key {
                "arg-file" => from = format!("`{}`", value.unwrap_or_default()),
                "replace" => replace = Some(value.unwrap_or_else(|| "{}".to_string())),
                _ => {}
            }
            continue;
        }
        if t.len() > 1 && t.starts_with('-') {
            j += 1;
            let letters: Vec<char> = t[1..].chars().collect();
            for (k, c) in letters.iter().enumerate() {
                let rest: String = letters[k + 1..].iter().collect();
                if "adEILnPs".contains(*c) {
                    let value = if rest.is_empty() {
                        j += 1;
                        args.get(j - 1).map(|a| a.text.clone()).unwrap_or_default()
                    } else {
                        rest
                    };
                    match c {
                        'a' => from = format!("`{value}`"),
                        'I' => replace = Some(value),
                        _ => {}
                    }
                    break;
                }
                if "eil".contains(*c) {
                    if *c == 'i' {
                        replace = Some(if rest.is_empty() {
                            "{}".to_string()
                        } else {
                            rest
                        });
                    }
                    break;
                }
            }
            continue;
        }
        break;
    }
    if j >= args.len() {
        // `xargs` alone runs `echo`.
        return None;
    }
    let marker = read_marker(&from);
    let mut out: Vec<Arg> = args[j..].to_vec();
    match replace.filter(|r| !r.is_empty()) {
        Some(r) => {
            for a in out.iter_mut().skip(1) {
                if a.text.contains(&r) {
                    a.text = a.text.replace(&r, &marker);
                    a.verbatim = None;
                }
            }
        }
        None => out.push(Arg {
            text: marker,
            span: args[0].span,
            unresolved: Vec::new(),
            opaque: false,
            verbatim: None,
        }),
    }
    Some(out)
}

#[cfg(test)]
mod tests {
    use super::super::rules::unverifiable_package_list::{unseen_in, Unseen};
    use super::*;
    use crate::config::Settings;
    use crate::lint::dockerfile::lint_dockerfile;
    use crate::source::SourceFile;
    use crate::span::Mapped;
    use std::collections::HashMap;

    fn lint(run: &str) -> Vec<(String, String)> {
        let text = format!("FROM python:3.12.4\nARG NOVALUE\nRUN {run}\n");
        let source = SourceFile::new("Dockerfile", "Dockerfile", &text);
        lint_dockerfile(&source, &Settings::default())
            .into_iter()
            .map(|f| (f.code.code().to_string(), f.message.to_string()))
            .collect()
    }

    fn codes(run: &str) -> Vec<String> {
        lint(run).into_iter().map(|(c, _)| c).collect()
    }

    #[test]
    fn loops_over_known_words_lint_every_value() {
        let found = lint(r#"for p in flask "six>=1" attrs==23.2.0; do pip install "$p"; done"#);
        let messages: Vec<&str> = found.iter().map(|(_, m)| m.as_str()).collect();
        assert_eq!(found.len(), 2, "{found:?}");
        assert!(messages[0].contains("`flask`"), "{messages:?}");
        assert!(messages[1].contains("six"), "{messages:?}");
        assert_eq!(
            codes("for p in a==1.0 b==2.0; do pip install $p; done"),
            Vec::<String>::new()
        );
        // Nested loops: every combination.
        assert_eq!(
            codes("for a in x y; do for b in 1 2; do pip install \"$a==$b.*\"; done; done").len(),
            4
        );
        // An unquoted list variable is split as the shell splits it.
        assert_eq!(
            codes("L='a b'; for p in $L; do pip install $p; done").len(),
            2
        );
        // A later assignment ends the loop's values.
        assert_eq!(
            codes("for p in a; do :; done; p=b==1.0; pip install $p"),
            Vec::<String>::new()
        );
    }

    #[test]
    fn lists_that_cannot_be_seen_are_pd214() {
        for run in [
            "apt-get install -y $PKGS",
            "pip install $NOVALUE",
            "pip install ${NOVALUE}==1.0",
            "for p in $NOVALUE; do pip install $p; done",
            "for p; do pip install $p; done",
            "P=$(curl -s https://x.example/p); pip install ${P}",
            "apk add --no-cache $(cat /deps)",
            "xargs apt-get install -y < pkgs.txt",
            "cat list | xargs -r pip install",
            "xargs -I % pip install % < list",
            "xargs --arg-file=list pip install",
            "while read -r p; do pip install \"$p\"; done",
            "npm install -g $TOOLS",
        ] {
            assert_eq!(codes(run), ["PD214"], "{run}");
        }
        let found = lint("xargs -a /tmp/list.txt pip install");
        assert!(found[0].1.contains("`/tmp/list.txt`"), "{found:?}");
        let found = lint("pip install $A $NOVALUE");
        assert!(found[0].1.contains("`$A`"), "{found:?}");
        assert!(found[1].1.contains("`$NOVALUE`"), "{found:?}");
    }

    #[test]
    fn versions_from_unknown_values_stay_pd212_and_other_commands_nothing() {
        assert_eq!(codes("pip install flask==$NOVALUE"), ["PD212"]);
        assert_eq!(codes("V=$(cat /v); pip install flask==$V"), ["PD212"]);
        assert_eq!(
            codes("PKGS='curl=7.88.1-10+deb12u5'; apt-get install -y $PKGS"),
            Vec::<String>::new()
        );
        assert_eq!(
            codes("find . -name '*.pyc' | xargs rm -f"),
            Vec::<String>::new()
        );
        assert_eq!(codes("echo a | xargs"), Vec::<String>::new());
        // apk fetches nothing with --no-network: the names come from the image itself.
        assert_eq!(
            codes(
                "scanelf --needed /usr/local | xargs -rt apk add --no-network --virtual .rundeps"
            ),
            Vec::<String>::new()
        );
        assert_eq!(codes("xargs -rt apk add --virtual .rundeps"), ["PD214"]);
        assert_eq!(
            codes("while read -r f; do rm \"$f\"; done < list"),
            Vec::<String>::new()
        );
    }

    #[test]
    fn xargs_options_are_consumed() {
        let args = |s: &str| crate::lint::dockerfile::installers::args(s);
        let text = |v: Vec<Arg>| v.into_iter().map(|a| a.text).collect::<Vec<_>>();
        let stdin = read_marker("standard input");
        assert_eq!(
            text(xargs(&args("xargs -r -n 1 -P4 pip install"), None).unwrap()),
            ["pip", "install", stdin.as_str()]
        );
        assert_eq!(
            text(xargs(&args("xargs -0 --max-args=2 -d , apt-get install -y"), None).unwrap()),
            ["apt-get", "install", "-y", stdin.as_str()]
        );
        let file = read_marker("`f.txt`");
        assert_eq!(
            text(xargs(&args("xargs -a f.txt -I{} pip install {}"), None).unwrap()),
            ["pip", "install", file.as_str()]
        );
        let redirected = read_marker("`in.txt`");
        assert_eq!(
            text(xargs(&args("xargs pip install"), Some("in.txt".into())).unwrap()),
            ["pip", "install", redirected.as_str()]
        );
        assert!(xargs(&args("xargs -r"), None).is_none());
        assert!(xargs(&args("pip install x"), None).is_none());
    }

    #[test]
    fn markers_say_where_names_come_from() {
        assert_eq!(unseen_in(COMPUTED), Some(Unseen::Computed));
        assert_eq!(
            unseen_in(&read_marker("standard input")),
            Some(Unseen::Read("standard input".into()))
        );
        assert_eq!(
            unseen_in(&vars_marker(&["A".into(), "B".into()])),
            Some(Unseen::Variables(vec!["A".into(), "B".into()]))
        );
        assert_eq!(unseen_in("flask"), None);
        assert_eq!(unseen_in(&format!("flask=={COMPUTED}")), None);
        let env: HashMap<String, String> = HashMap::new();
        let script = crate::lint::dockerfile::shell::parse_script(&Mapped::from_source(
            "for p in a \"b c\" $X; do :; done",
            0..31,
        ));
        assert_eq!(
            loop_header(&script.commands[0], &env),
            Some((
                "p".to_string(),
                Binding::Unknown(vars_marker(&["X".to_string()]))
            ))
        );
    }
}
