//! What the source runs, as `pin` asks it: the installed package of a name (PEP 503), whether
//! a marker holds there, the VCS commit a package was installed from, the OS packages.
//! Built from an [`Inventory`] read through drift's own source readers
//! ([`crate::drift::session::read_source`]).

use crate::drift::reqcheck::{eval_marker, MarkerFacts};
use crate::drift::PairError;
use crate::inventory::{Inventory, OsInventory, Package, SourceInfo, SourceKind};
use crate::names::normalize_name;
use std::collections::BTreeMap;

/// A marker judged for the source.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum MarkerVerdict {
    True,
    False,
    /// Cannot be evaluated with what is known of the source (why, in words).
    Unknown(String),
}

/// Why an inventory gives no facts to pin from.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum FactsError {
    #[error(transparent)]
    Env(#[from] PairError),
    #[error("{0} has no Python environment: nothing to pin from")]
    NoEnvironment(String),
}

/// What one source runs.
#[derive(Debug, Clone)]
pub struct Facts {
    source: SourceInfo,
    /// The environment pinned from (`system`, `venv:/opt/venv`, `freeze`).
    env: Option<String>,
    packages: BTreeMap<String, Package>,
    markers: MarkerFacts,
    os: Option<OsInventory>,
}

impl Facts {
    /// The facts of `inventory`'s environment: the one `python_env` names, else the only one.
    /// A `req:` source counts its exact pins as installed.
    pub fn from_inventory(
        inventory: Inventory,
        python_env: Option<&str>,
    ) -> Result<Self, FactsError> {
        let mut env_key = None;
        let mut python = None;
        let mut packages = BTreeMap::new();
        if inventory.is_spec() {
            for entry in &inventory.requirements {
                // A lock's entry under a marker (one side of a fork) or only for a dev
                // group is not what the source runs for certain: not a fact.
                let lock = inventory.source.kind == SourceKind::Lock;
                if entry.nameless || (lock && (entry.marker.is_some() || entry.constraint)) {
                    continue;
                }
                if let Some(version) = entry.exact_version() {
                    packages
                        .entry(entry.name.clone())
                        .or_insert_with(|| Package {
                            name: entry.name.clone(),
                            display_name: entry.display_name.clone(),
                            version: Some(version),
                            direct: None,
                            location: entry.location.clone(),
                        });
                }
            }
            env_key = Some("requirements".to_string());
        } else {
            let env = crate::drift::pick(&inventory, python_env)?
                .ok_or_else(|| FactsError::NoEnvironment(inventory.source.spec.clone()))?;
            env_key = Some(env.key.clone()).or(env_key);
            python = env.python.clone();
            packages = env.packages.clone();
        }
        let markers = MarkerFacts {
            python_version: python,
            platform: inventory.source.platform.clone(),
        };
        Ok(Self {
            source: inventory.source,
            env: env_key,
            packages,
            markers,
            os: inventory.os,
        })
    }

    /// Facts from `(name, version)` pairs: a synthetic source (tests, property checks).
    pub fn from_versions<'a>(
        spec: &str,
        versions: impl IntoIterator<Item = (&'a str, &'a str)>,
        markers: MarkerFacts,
    ) -> Self {
        let packages = versions
            .into_iter()
            .map(|(name, version)| {
                let normalized = normalize_name(name);
                (
                    normalized.clone(),
                    Package {
                        name: normalized,
                        display_name: name.to_string(),
                        version: Some(version.to_string()),
                        direct: None,
                        location: spec.to_string(),
                    },
                )
            })
            .collect();
        Self {
            source: SourceInfo::file(spec, SourceKind::Freeze),
            env: Some("freeze".into()),
            packages,
            markers,
            os: None,
        }
    }

    /// Sets what markers are evaluated with (`--python-version`, `--platform`), over what
    /// the source says: a freeze file says neither.
    pub fn assume(&mut self, python_version: Option<String>, platform: Option<String>) {
        if python_version.is_some() {
            self.markers.python_version = python_version;
        }
        if platform.is_some() {
            self.markers.platform = platform;
        }
    }

    /// Adds (or replaces) a package: tests and synthetic sources.
    pub fn insert(&mut self, package: Package) {
        self.packages.insert(package.name.clone(), package);
    }

    /// The installed package named `name` (any spelling: PEP 503).
    pub fn installed(&self, name: &str) -> Option<&Package> {
        self.packages.get(&normalize_name(name.trim()))
    }

    /// Whether `marker` holds for the source. Never guessed: a marker that needs a fact the
    /// source does not give (`platform_machine` of a freeze file) is Unknown.
    pub fn marker(&self, marker: &str) -> MarkerVerdict {
        match eval_marker(marker, &self.markers) {
            Ok(true) => MarkerVerdict::True,
            Ok(false) => MarkerVerdict::False,
            Err(why) => MarkerVerdict::Unknown(why.to_string()),
        }
    }

    /// The source's OS packages (dpkg, apk), when it has a database.
    pub fn os(&self) -> Option<&OsInventory> {
        self.os.as_ref()
    }

    /// Every Python package of the environment, by normalized name.
    pub fn packages(&self) -> impl Iterator<Item = &Package> {
        self.packages.values()
    }

    pub fn source(&self) -> &SourceInfo {
        &self.source
    }

    /// The source as given (`container:web`).
    pub fn spec(&self) -> &str {
        &self.source.spec
    }

    /// The environment pinned from, when the source has several kinds (`venv:/opt/venv`).
    pub fn env(&self) -> Option<&str> {
        self.env.as_deref()
    }

    /// The source in words for a lock file's header: spec, ids, environment.
    pub fn describe(&self) -> String {
        let mut out = self.source.spec.clone();
        if let Some(id) = &self.source.id {
            out.push_str(&format!(" (id {})", short_id(id)));
        }
        if let Some(image) = self
            .source
            .image_ref
            .as_ref()
            .or(self.source.image_id.as_ref())
        {
            out.push_str(&format!(", image {}", short_id(image)));
        }
        if let Some(env) = &self.env {
            out.push_str(&format!(", environment {env}"));
        }
        out
    }
}

fn short_id(id: &str) -> &str {
    match id.strip_prefix("sha256:") {
        Some(hex) => &hex[..hex.len().min(12)],
        None => id,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_match_after_pep503_and_markers_are_never_guessed() {
        let facts = Facts::from_versions(
            "freeze:f",
            [("Zope.Interface", "6.0")],
            MarkerFacts {
                python_version: Some("3.11".into()),
                platform: Some("linux".into()),
            },
        );
        assert_eq!(
            facts
                .installed("zope_interface")
                .and_then(|p| p.version.as_deref()),
            Some("6.0")
        );
        assert!(facts.installed("zope").is_none());
        assert_eq!(
            facts.marker("sys_platform == \"win32\""),
            MarkerVerdict::False
        );
        assert_eq!(
            facts.marker("python_version >= \"3.8\""),
            MarkerVerdict::True
        );
        assert!(matches!(
            facts.marker("platform_machine == \"x86_64\""),
            MarkerVerdict::Unknown(_)
        ));
    }
}
