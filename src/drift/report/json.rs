//! The `json` format (version [`JSON_VERSION`], see docs/drift.md).

use serde_json::{json, Value};

use super::*;
use crate::drift::ReplicaResult;

fn source_json(inv: &Inventory) -> Value {
    let mut v = serde_json::to_value(&inv.source).unwrap_or(Value::Null);
    if let Value::Object(m) = &mut v {
        m.insert(
            "python_envs".into(),
            inv.envs
                .iter()
                .map(|e| {
                    json!({
                        "key": e.key,
                        "kind": e.kind,
                        "python": e.python,
                        "root": e.root,
                        "dirs": e.dirs,
                        "packages": e.packages.len(),
                    })
                })
                .collect(),
        );
        if inv.is_spec() {
            m.insert("requirements".into(), json!(inv.requirements.len()));
        }
        m.insert(
            "os".into(),
            match &inv.os {
                Some(o) => json!({"manager": o.manager, "sources": o.sources, "packages": o.packages.len()}),
                None => Value::Null,
            },
        );
    }
    v
}

fn change_json(c: &Change, env: Option<&str>) -> Value {
    let mut v = json!({
        "name": c.name,
        "before": c.before,
        "after": c.after,
        "change": c.change,
        "bump": c.bump,
    });
    if let Value::Object(m) = &mut v {
        if let Some(e) = env {
            m.insert("env".into(), json!(e));
        }
        if let Some(d) = &c.detail {
            m.insert("detail".into(), json!(d));
        }
    }
    v
}

/// The JSON document (see docs/drift.md).
pub fn to_json(r: &DriftReport<'_>) -> Value {
    let changes: Vec<Value> = r
        .outcome
        .envs
        .iter()
        .flat_map(|e| {
            visible(&e.changes, r.show_all)
                .into_iter()
                .map(move |c| change_json(c, Some(&e.env)))
        })
        .collect();
    let os_changes = r.outcome.os.as_ref().map(|os| {
        visible(os, r.show_all)
            .into_iter()
            .map(|c| change_json(c, None))
            .collect::<Vec<_>>()
    });
    let mut counts: BTreeMap<&str, usize> = BTreeMap::new();
    for c in r.outcome.envs.iter().flat_map(|e| e.changes.iter()) {
        if c.change != ChangeKind::Unchanged {
            *counts.entry(c.change.as_str()).or_default() += 1;
        }
    }
    let requirements = r.outcome.requirements.as_ref().map(|c| {
        json!({
            "spec": c.spec,
            "side": c.side,
            "environment": c.environment,
            "env": c.env,
            "strict_extra": c.strict_extra,
            "marker_facts": c.marker_facts,
            "results": c.results,
        })
    });
    json!({
        "version": JSON_VERSION,
        "tool": crate::report::json::TOOL,
        "tool_version": crate::report::json::TOOL_VERSION,
        "command": "drift",
        "before": source_json(r.before),
        "after": source_json(r.after),
        "changes": changes,
        "requirements": requirements,
        "os_changes": os_changes,
        "os_not_compared": r.outcome.os_not_compared,
        "files_changed": if r.in_place { json!(r.outcome.files) } else { Value::Null },
        "modified_in_place": if r.in_place { json!(in_place_summary(r.outcome)) } else { Value::Null },
        "notes": r.outcome.notes,
        "warnings": r.warnings().iter().map(|(s, w)| json!({"source": s, "path": w.path, "message": w.message})).collect::<Vec<_>>(),
        "summary": {
            "changes": counts.values().sum::<usize>(),
            "by_change": counts,
            "os_changes": r.outcome.os.as_ref().map(|os| os.iter().filter(|c| c.change != ChangeKind::Unchanged).count()),
            "requirements": r.outcome.requirements.as_ref().map(|c| c.counts()),
            "unread_packages": r.unread(),
            "fail_on": fail_on_str(r.fail_on),
            "failed": r.tripped(),
        }
    })
}

/// `--replicas` as JSON.
#[allow(clippy::too_many_arguments)]
pub(super) fn replicas(
    selector: &str,
    results: &[ReplicaResult],
    inventories: &[Inventory],
    odd: &[&str],
    fail_on: FailOn,
    all: bool,
    failed: bool,
    fleet: Option<&crate::drift::fleet::FleetNotes>,
) -> String {
    let replicas: Vec<Value> = results
    .iter()
    .zip(inventories)
    .map(|(r, inv)| {
        json!({
            "name": r.name,
            "id": r.id,
            "image_id": r.image_id,
            "source": source_json(inv),
            "odd_one_out": r.odd_one_out,
            "matches_image": !r.outcome.has_drift() && r.outcome.files.is_empty(),
            "changes": r.outcome.envs.iter().flat_map(|e| visible(&e.changes, all).into_iter().map(move |c| change_json(c, Some(&e.env)))).collect::<Vec<_>>(),
            "os_changes": r.outcome.os.as_ref().map(|os| visible(os, all).into_iter().map(|c| change_json(c, None)).collect::<Vec<_>>()),
            "files_changed": r.outcome.files,
            "modified_in_place": in_place_summary(&r.outcome),
            "warnings": inv.warnings,
        })
    })
    .collect();
    let mut doc = json!({
    "version": JSON_VERSION,
    "tool": crate::report::json::TOOL,
    "tool_version": crate::report::json::TOOL_VERSION,
    "command": "drift",
    "replicas_selector": selector,
    "replicas": replicas,
    "odd_ones_out": odd,
    "summary": {
        "replicas": results.len(),
        "drifted": results.iter().filter(|r| r.outcome.has_drift() || !r.outcome.files.is_empty()).count(),
        "fail_on": fail_on_str(fail_on),
        "failed": failed,
    }
    });
    if let (Some(f), Some(obj)) = (fleet, doc.as_object_mut()) {
        obj.insert("fleet".into(), serde_json::to_value(f).unwrap_or_default());
    }
    let mut s = serde_json::to_string_pretty(&doc).unwrap_or_default();
    s.push('\n');
    s
}
