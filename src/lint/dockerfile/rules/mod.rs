//! Dockerfile rules, one file each. The engine in the parent module finds image references and
//! install commands; [`check_image`] and [`check_install`] hand each to the rules.
//!
//! Python packages in `RUN` reuse the requirements codes (PD101 no specifier, PD102 loose,
//! PD103 VCS ref, PD108 URL without hash in strict, PD109 local/editable): a pip argument is
//! judged exactly like a requirements line, so one code means one problem wherever it is
//! written.

pub mod image_without_tag;
pub mod latest_tag;
pub mod python_package;
pub mod requirements_file_not_in_context;
pub mod syntax_error;
pub mod tag_without_digest;
pub mod unpinned_language_package;
pub mod unpinned_os_package;
pub mod unresolved_image_arg;
pub mod unresolved_version_variable;
pub mod unverifiable_package_list;

use super::image_ref;
use super::installers::{os::Pin, Arg, Install, Tool};
use super::{CopyMap, Cx};

/// Checks one image reference (`what` names where it was written).
pub(super) fn check_image(cx: &mut Cx, arg: &Arg, what: &str) {
    if !arg.known() {
        unresolved_image_arg::check(cx, arg, what);
        return;
    }
    let r = match image_ref::parse(&arg.text) {
        Ok(r) => r,
        Err(e) => {
            let f = syntax_error::finding(
                cx.source,
                arg.span,
                &format!("invalid image reference `{}` ({what}): {e}", arg.text),
            );
            cx.push(f);
            return;
        }
    };
    if r.is_scratch() {
        return;
    }
    image_without_tag::check(cx, arg, &r, what);
    latest_tag::check(cx, arg, &r, what);
    tag_without_digest::check(cx, arg, &r, what);
}

/// Checks one install command. `pip_constraint` is `PIP_CONSTRAINT` as the command sees
/// it (a white-space separated list of files, as pip reads it).
pub(super) fn check_install(
    cx: &mut Cx,
    args: &[Arg],
    install: &Install,
    binds: &[CopyMap],
    pip_constraint: Option<&str>,
) {
    let mut roots = Vec::new();
    let mut constraints = Vec::new();
    for f in &install.files {
        let a = &args[f.arg];
        if a.text.contains('\0') {
            continue;
        }
        if !a.known() {
            unresolved_version_variable::check(cx, a, &format!("requirements file `{}`", a.text));
            continue;
        }
        let path = f.path.trim_matches(['\'', '"']);
        match requirements_file_not_in_context::resolve(cx, path, binds) {
            Some(p) if f.constraint => constraints.push(p),
            Some(p) => roots.push(p),
            None => requirements_file_not_in_context::check(cx, a, path, f.constraint),
        }
    }
    if install.tool.is_python() {
        if let Some(list) = pip_constraint.filter(|v| !v.contains('\0')) {
            let at = &args[install.tool_arg];
            for path in list.split_whitespace() {
                match requirements_file_not_in_context::resolve(cx, path, binds) {
                    Some(p) => constraints.push(p),
                    None => requirements_file_not_in_context::check_env(cx, at, path),
                }
            }
        }
    }
    let constraint_pins = if install.tool.is_python() {
        cx.lint_pip_install(&roots, &constraints)
    } else {
        Vec::new()
    };
    for p in &install.packages {
        let a = &args[p.arg];
        if cx.sites.is_some() {
            record_package(cx, args, install, p, &constraint_pins);
        }
        if let Some(unseen) = unverifiable_package_list::name_unknown(a) {
            if !unverifiable_package_list::offline(install, args) {
                let command = super::installers::basename(&args[install.tool_arg].text);
                unverifiable_package_list::check(cx, a, install.tool, command, &unseen);
            }
            continue;
        }
        if a.text.contains('\0') {
            // A version from a shell variable computed earlier in the same RUN.
            let shown = a.text.split('\0').next().unwrap_or_default();
            let computed = Arg {
                opaque: true,
                unresolved: Vec::new(),
                ..a.clone()
            };
            unresolved_version_variable::check(cx, &computed, &format!("version of `{shown}…`"));
            continue;
        }
        if !a.known() {
            unresolved_version_variable::check(cx, a, &format!("package `{}`", a.text));
            continue;
        }
        if let Some((vi, _)) = &p.version {
            let v = &args[*vi];
            if !v.known() {
                unresolved_version_variable::check(cx, v, &format!("version of `{}`", p.text));
                continue;
            }
        }
        if install.tool.is_python() {
            python_package::check(cx, a, p, &constraint_pins);
            continue;
        }
        let version = p.version.as_ref().map(|(_, v)| v.as_str());
        let pin = match install.tool {
            Tool::AptGet | Tool::Apt | Tool::Aptitude => super::installers::os::judge_apt(&p.text),
            Tool::Apk => super::installers::os::judge_apk(&p.text),
            Tool::Yum | Tool::Dnf | Tool::Microdnf | Tool::Tdnf | Tool::Zypper | Tool::Rpm => {
                super::installers::rpm::judge(install.tool, &p.text)
            }
            Tool::Npm | Tool::Yarn | Tool::Pnpm => super::installers::node::judge(&p.text),
            Tool::Gem => super::installers::other::judge_gem(&p.text, version),
            Tool::Go => super::installers::other::judge_go(&p.text),
            Tool::Cargo => super::installers::other::judge_cargo(&p.text, version),
            Tool::Conda => super::installers::other::judge_conda(&p.text),
            Tool::Pip | Tool::Uv | Tool::Pipx => continue,
        };
        let Pin::Unpinned(reason) = pin else { continue };
        let name = package_name(install.tool, &p.text);
        if cx.settings.allows_floating(&name) {
            continue;
        }
        // The command as written (`apt`, `mamba`, `cnpm`), not the family it belongs to.
        let command = super::installers::basename(&args[install.tool_arg].text);
        if install.tool.is_os() {
            unpinned_os_package::check(cx, a, install.tool, command, &p.text, &reason);
        } else {
            unpinned_language_package::check(cx, a, install.tool, command, &p.text, &reason);
        }
    }
}

/// Remembers a package argument for `pin`, with whether `check` exempts it from pinning.
fn record_package(
    cx: &mut Cx,
    args: &[Arg],
    install: &Install,
    p: &super::installers::Package,
    constraint_pins: &[String],
) {
    const FLOATS: &str = "the configuration lets it float (allow-unpinned)";
    let exempt = if install.tool.is_python() {
        match crate::lint::requirements::requirement::parse_requirement(p.text.trim()) {
            Ok(req)
                if req
                    .name
                    .as_deref()
                    .is_some_and(|n| cx.settings.allows_floating(n)) =>
            {
                Some(FLOATS)
            }
            Ok(req)
                if req
                    .normalized_name
                    .as_ref()
                    .is_some_and(|n| constraint_pins.iter().any(|c| c == n)) =>
            {
                Some("a constraints file of the same install pins it")
            }
            _ => None,
        }
    } else {
        cx.settings
            .allows_floating(&package_name(install.tool, &p.text))
            .then_some(FLOATS)
    };
    let site = super::sites::PackageSite {
        tool: install.tool,
        command: super::installers::basename(&args[install.tool_arg].text).to_string(),
        arg: args[p.arg].clone(),
        package: p.clone(),
        exempt,
    };
    if let Some(sites) = cx.sites.as_deref_mut() {
        sites.packages.push(site);
    }
}

/// The bare package name of a token (for `allow-unpinned`).
fn package_name(tool: Tool, t: &str) -> String {
    let t = t.trim_matches(['\'', '"']);
    match tool {
        Tool::Npm | Tool::Yarn | Tool::Pnpm => {
            let body = t.strip_prefix('@');
            let (scope, rest) = match body {
                Some(b) => ("@", b),
                None => ("", t),
            };
            format!("{scope}{}", rest.split('@').next().unwrap_or(rest))
        }
        Tool::Go => t.split('@').next().unwrap_or(t).to_string(),
        _ if tool.is_rpm() => super::installers::rpm::package_name(t).to_string(),
        _ => t
            .split(['=', '~', '<', '>', ':', '@', '/'])
            .next()
            .unwrap_or(t)
            .to_string(),
    }
}
