//! `pin --diff`: a unified diff of every file pin would change (and the lock file).

use crate::pin::PinOutcome;
use std::fmt::Write as _;

/// The diff of every planned change, file by file, in plan order (`a/`, `b/` prefixes as git
/// for relative paths).
pub fn render(outcome: &PinOutcome) -> String {
    let mut out = String::new();
    for plan in &outcome.plans {
        if plan.changes.is_empty() {
            continue;
        }
        let Ok(new) = crate::fix::apply(&plan.source.text, plan.changes.iter().map(|c| &c.edit))
        else {
            continue;
        };
        let name = plan.source.display.to_string();
        unified(&mut out, &name, &plan.source.text, &new);
    }
    if let Some(lock) = &outcome.lock {
        if !lock.unchanged() {
            let old = lock
                .existing
                .as_deref()
                .map(String::from_utf8_lossy)
                .unwrap_or_default();
            let name = crate::paths::display_path(&lock.path);
            unified(&mut out, &name, &old, &lock.content);
        }
    }
    out
}

fn unified(out: &mut String, name: &str, old: &str, new: &str) {
    // git's `a/` and `b/` prefixes for paths relative to the working directory (`git apply`,
    // `patch -p1`); an absolute path is written as it is, as `diff -u` does (`patch -p0`).
    let (old_name, new_name) = if name.starts_with('/') {
        (name.to_string(), name.to_string())
    } else {
        (format!("a/{name}"), format!("b/{name}"))
    };
    let diff = similar::TextDiff::from_lines(old, new);
    let text = diff
        .unified_diff()
        .context_radius(3)
        .missing_newline_hint(true)
        .header(&old_name, &new_name)
        .to_string();
    let _ = write!(out, "{text}");
}
