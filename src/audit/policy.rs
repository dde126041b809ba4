//! The audit policy: which changes, findings and states make a NO-GO. Defaults here; the
//! `[audit]` table of `pindrift.toml` (or `[tool.pindrift.audit]`) overrides them key by key.
//! Unknown keys and values are errors naming the key.

use serde::{Deserialize, Serialize};

use crate::diagnostic::Level;
use crate::names::normalize_name;

/// A class of package change, as the audit groups them.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum ChangeClass {
    Major,
    Minor,
    Patch,
    /// Pre-release, post-release, local version, epoch, unorderable versions, another source.
    Other,
    Added,
    Removed,
}

impl ChangeClass {
    pub const ALL: [ChangeClass; 6] = [
        ChangeClass::Major,
        ChangeClass::Minor,
        ChangeClass::Patch,
        ChangeClass::Other,
        ChangeClass::Added,
        ChangeClass::Removed,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            ChangeClass::Major => "major",
            ChangeClass::Minor => "minor",
            ChangeClass::Patch => "patch",
            ChangeClass::Other => "other",
            ChangeClass::Added => "added",
            ChangeClass::Removed => "removed",
        }
    }
}

/// `[audit]` as written: every key optional.
#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
pub struct AuditConfig {
    /// Python package changes that fail (default: all of them).
    pub fail_on_changes: Option<Vec<ChangeClass>>,
    /// Changes the repository asks for (the candidate's version pinned exactly in a
    /// requirements file) that fail anyway (default: none).
    pub fail_on_declared_changes: Option<Vec<ChangeClass>>,
    /// OS package changes that fail (default: none; they are reported).
    pub fail_on_os_changes: Option<Vec<ChangeClass>>,
    /// Findings at or above this level fail (`off`: none by level). Default: the file's
    /// `fail-on`, else `warning`.
    pub findings_fail_on: Option<String>,
    /// Codes (or prefixes) whose findings fail at any level.
    pub fail_codes: Option<Vec<String>>,
    /// Codes (or prefixes) whose findings never fail (still listed).
    pub allow_codes: Option<Vec<String>>,
    /// Packages (Python or OS) whose changes never fail (still listed).
    pub allow: Option<Vec<String>>,
    /// A running container changed in place fails (default: true).
    pub fail_on_hotfixes: Option<bool>,
    /// Replicas that differ from each other fail (default: true).
    pub fail_on_replica_drift: Option<bool>,
    /// A candidate on another base image than the running one fails (default: false).
    pub fail_on_base_change: Option<bool>,
}

/// The policy in force: defaults with `[audit]` on top.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Policy {
    pub fail_on_changes: Vec<ChangeClass>,
    pub fail_on_declared_changes: Vec<ChangeClass>,
    pub fail_on_os_changes: Vec<ChangeClass>,
    /// `None`: no finding fails by its level.
    pub findings_fail_on: Option<Level>,
    pub fail_codes: Vec<String>,
    pub allow_codes: Vec<String>,
    /// PEP 503-normalized names (OS names are matched as written and normalized).
    pub allow: Vec<String>,
    pub fail_on_hotfixes: bool,
    pub fail_on_replica_drift: bool,
    pub fail_on_base_change: bool,
}

impl Default for Policy {
    fn default() -> Self {
        Policy {
            fail_on_changes: ChangeClass::ALL.to_vec(),
            fail_on_declared_changes: Vec::new(),
            fail_on_os_changes: Vec::new(),
            findings_fail_on: Some(Level::Warning),
            fail_codes: Vec::new(),
            allow_codes: Vec::new(),
            allow: Vec::new(),
            fail_on_hotfixes: true,
            fail_on_replica_drift: true,
            fail_on_base_change: false,
        }
    }
}

/// A value of `[audit]` pindrift cannot use.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum PolicyError {
    #[error("audit.findings-fail-on: unknown level `{0}` (expected off, note, warning or error)")]
    Level(String),
    #[error("audit.{key}: {reason}")]
    Codes {
        key: &'static str,
        reason: crate::config::SettingError,
    },
}

impl Policy {
    /// The defaults with `config` on top; `fail_on` is the file's (or the command line's)
    /// `fail-on` level, the default for `findings-fail-on`.
    pub fn resolve(config: Option<&AuditConfig>, fail_on: Level) -> Result<Policy, PolicyError> {
        let mut p = Policy {
            findings_fail_on: Some(fail_on),
            ..Policy::default()
        };
        let Some(c) = config else {
            return Ok(p);
        };
        if let Some(v) = &c.fail_on_changes {
            p.fail_on_changes = sorted(v);
        }
        if let Some(v) = &c.fail_on_declared_changes {
            p.fail_on_declared_changes = sorted(v);
        }
        if let Some(v) = &c.fail_on_os_changes {
            p.fail_on_os_changes = sorted(v);
        }
        if let Some(level) = &c.findings_fail_on {
            p.findings_fail_on = match Level::parse(level) {
                Some(Level::Off) => None,
                Some(l) => Some(l),
                None => return Err(PolicyError::Level(level.clone())),
            };
        }
        let codes = |v: &Option<Vec<String>>, key: &'static str| match v {
            Some(v) => crate::config::validate_codes(v.clone(), key)
                .map_err(|reason| PolicyError::Codes { key, reason }),
            None => Ok(Vec::new()),
        };
        p.fail_codes = codes(&c.fail_codes, "fail-codes")?;
        p.allow_codes = codes(&c.allow_codes, "allow-codes")?;
        if let Some(names) = &c.allow {
            p.allow = names.iter().map(|n| normalize_name(n.trim())).collect();
            p.allow.sort();
            p.allow.dedup();
        }
        if let Some(b) = c.fail_on_hotfixes {
            p.fail_on_hotfixes = b;
        }
        if let Some(b) = c.fail_on_replica_drift {
            p.fail_on_replica_drift = b;
        }
        if let Some(b) = c.fail_on_base_change {
            p.fail_on_base_change = b;
        }
        Ok(p)
    }

    /// Is a change of package `name` allowed whatever it is?
    pub fn allows(&self, name: &str) -> bool {
        self.allow.iter().any(|a| *a == normalize_name(name))
    }

    /// Does a finding of `code` at `level` fail?
    pub fn finding_fails(&self, code: &str, level: Level) -> bool {
        let matches = |prefix: &String| code.starts_with(prefix.as_str()) || prefix == "ALL";
        if self.fail_codes.iter().any(matches) {
            return true;
        }
        if self.allow_codes.iter().any(matches) {
            return false;
        }
        self.findings_fail_on
            .is_some_and(|threshold| level >= threshold && level != Level::Off)
    }
}

fn sorted(v: &[ChangeClass]) -> Vec<ChangeClass> {
    let mut v = v.to_vec();
    v.sort();
    v.dedup();
    v
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(text: &str) -> Result<AuditConfig, toml::de::Error> {
        toml::from_str(text)
    }

    #[test]
    fn defaults_fail_on_every_python_change_and_no_os_change() {
        let p = Policy::resolve(None, Level::Warning).unwrap();
        assert_eq!(p.fail_on_changes, ChangeClass::ALL.to_vec());
        assert!(p.fail_on_os_changes.is_empty());
        assert!(p.finding_fails("PD101", Level::Warning));
        assert!(!p.finding_fails("PD101", Level::Note));
        assert!(p.fail_on_hotfixes && p.fail_on_replica_drift && !p.fail_on_base_change);
    }

    #[test]
    fn the_table_overrides_key_by_key() {
        let c = parse(
            "fail-on-changes = [\"major\", \"added\"]\nfindings-fail-on = \"error\"\n\
             fail-codes = [\"pd102\"]\nallow = [\"Setup_Tools\"]\nfail-on-hotfixes = false\n",
        )
        .unwrap();
        let p = Policy::resolve(Some(&c), Level::Warning).unwrap();
        assert_eq!(p.fail_on_changes, [ChangeClass::Major, ChangeClass::Added]);
        assert!(!p.finding_fails("PD101", Level::Warning));
        assert!(p.finding_fails("PD102", Level::Note));
        assert!(p.allows("setup-tools"));
        assert!(!p.fail_on_hotfixes);
        let off = parse("findings-fail-on = \"off\"\n").unwrap();
        let p = Policy::resolve(Some(&off), Level::Warning).unwrap();
        assert!(!p.finding_fails("PD101", Level::Error));
    }

    #[test]
    fn unknown_keys_values_and_codes_are_errors() {
        let e = parse("fail-on-change = [\"major\"]\n")
            .unwrap_err()
            .to_string();
        assert!(e.contains("fail-on-change"), "{e}");
        let e = parse("fail-on-changes = [\"huge\"]\n")
            .unwrap_err()
            .to_string();
        assert!(e.contains("huge"), "{e}");
        let c = parse("findings-fail-on = \"loud\"\n").unwrap();
        let e = Policy::resolve(Some(&c), Level::Warning)
            .unwrap_err()
            .to_string();
        assert!(
            e.contains("audit.findings-fail-on") && e.contains("loud"),
            "{e}"
        );
        let c = parse("fail-codes = [\"PD9\"]\n").unwrap();
        let e = Policy::resolve(Some(&c), Level::Warning)
            .unwrap_err()
            .to_string();
        assert!(
            e.starts_with("audit.fail-codes:") && e.contains("PD9"),
            "{e}"
        );
    }
}
