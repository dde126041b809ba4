//! Settings: `pindrift.toml` or `[tool.pindrift]` in `pyproject.toml`, then command-line
//! flags on top. Validated once; unknown keys are errors naming the key and the file.

use crate::diagnostic::Level;
use crate::names::normalize_name;
use crate::registry::Rule;
use serde::Deserialize;
use std::collections::{BTreeMap, HashSet};
use std::path::{Path, PathBuf};

/// A configuration file that cannot be used, with the file (and for TOML errors, the byte
/// span in it).
#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    /// Not a regular file, too large, unreadable or not UTF-8 (the reason, as pindrift
    /// words it).
    #[error("{path}: cannot read: {reason}")]
    Read { path: PathBuf, reason: String },
    /// Not TOML, or keys and values of the wrong shape (the message is toml's, which names
    /// the line and column); `span` is the byte range in the file when toml knows it.
    #[error("{path}: {message}")]
    Parse {
        path: PathBuf,
        message: String,
        span: Option<std::ops::Range<usize>>,
    },
    /// A value pindrift cannot use.
    #[error("{path}: {reason}")]
    Setting { path: PathBuf, reason: SettingError },
}

/// A setting's value that pindrift cannot use, in a configuration file or on the command
/// line. `key` is how the user wrote the setting (`select`, `--ignore`).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SettingError {
    #[error("{key}: empty rule code (a stray comma?); expected codes or prefixes such as `PD102` or `PD1`")]
    EmptyCode { key: String },
    #[error("{key}: `{code}` matches no rule")]
    UnknownCode { key: String, code: String },
    #[error("rules: unknown rule `{code}` (keys are full codes such as `PD102`)")]
    UnknownRule { code: String },
    #[error("rules.{code}: unknown level `{level}` (expected off, note, warning or error)")]
    RuleLevel { code: String, level: String },
    #[error("fail-on: unknown level `{text}` (expected note, warning or error)")]
    FailOn { text: String },
    #[error("build context `{text}`: expected NAME or NAME=VALUE")]
    BuildContext { text: String },
    #[error("max-file-size: {0}")]
    MaxFileSize(#[source] crate::read::SizeError),
    #[error("max-file-size: must be more than 0")]
    MaxFileSizeZero,
}

/// Which rules run by default.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Profile {
    /// Findings that bite in practice: unpinned, loose, moving refs, conflicts.
    #[default]
    Default,
    /// Also digests for images, hashes for every requirement and URL archive.
    Strict,
}

/// The file format (all keys optional).
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
pub struct FileConfig {
    pub profile: Option<Profile>,
    pub select: Option<Vec<String>>,
    pub ignore: Option<Vec<String>>,
    pub allow_unpinned: Option<Vec<String>>,
    pub exclude: Option<Vec<String>>,
    pub fail_on: Option<String>,
    pub rules: Option<BTreeMap<String, String>>,
    /// Named build contexts (`NAME` or `NAME=VALUE`, as `docker buildx build --build-context`).
    pub build_contexts: Option<Vec<String>>,
    /// Read includes that lead outside the tree.
    pub allow_outside: Option<bool>,
    /// Per-file size cap: bytes, or a string such as `"10MiB"`.
    pub max_file_size: Option<SizeValue>,
    /// `[audit]`: the policy of `pindrift audit`.
    pub audit: Option<crate::audit::policy::AuditConfig>,
}

/// A size in a configuration file: a number of bytes or a string with a unit.
#[derive(Debug, Deserialize)]
#[serde(untagged)]
pub enum SizeValue {
    Bytes(u64),
    Text(String),
}

#[derive(Deserialize)]
struct PyProject {
    tool: Option<PyProjectTool>,
}

#[derive(Deserialize)]
struct PyProjectTool {
    pindrift: Option<toml::Value>,
}

/// Resolved settings, shared read-only by every linter.
#[derive(Debug, Clone)]
pub struct Settings {
    pub profile: Profile,
    pub select: Vec<String>,
    pub ignore: Vec<String>,
    pub levels: BTreeMap<Rule, Level>,
    /// PEP 503-normalized names of packages allowed to float.
    pub allow_unpinned: HashSet<String>,
    /// gitignore-style patterns of paths not to lint (`--exclude`), relative to each folder
    /// walked.
    pub exclude: Vec<String>,
    /// `exclude` of the configuration file: relative to the file's folder, as in a
    /// `.gitignore`, whatever folder is linted.
    pub config_exclude: Vec<String>,
    pub fail_on: Level,
    /// `--build-arg NAME=VALUE` for Dockerfiles.
    pub build_args: Vec<(String, String)>,
    /// Build context for Dockerfiles (default: the Dockerfile's folder).
    pub context: Option<PathBuf>,
    /// Where the configuration came from, if anywhere.
    pub config_path: Option<PathBuf>,
    /// Build contexts (`--build-context NAME[=VALUE]`, `build-contexts`) as (NAME, VALUE):
    /// in `FROM` and `--from` NAME is not an image, unless VALUE is `docker-image://REF`,
    /// which makes REF the image.
    pub build_contexts: Vec<(String, Option<String>)>,
    /// Read files outside the tree (`--allow-outside`, `allow-outside = true`).
    pub allow_outside: bool,
    /// Where includes and `pip install -r` files may be read from (set from the named
    /// paths unless `allow_outside`).
    pub trees: crate::paths::Trees,
    /// Files larger than this are not read (PD005); `--max-file-size`, `max-file-size`.
    pub max_file_size: u64,
    /// `[audit]` of the configuration file, resolved by `pindrift audit`.
    pub audit: Option<crate::audit::policy::AuditConfig>,
}

impl Default for Settings {
    fn default() -> Self {
        Self {
            profile: Profile::Default,
            select: Vec::new(),
            ignore: Vec::new(),
            levels: BTreeMap::new(),
            allow_unpinned: HashSet::new(),
            exclude: Vec::new(),
            config_exclude: Vec::new(),
            fail_on: Level::Warning,
            build_args: Vec::new(),
            context: None,
            config_path: None,
            build_contexts: Vec::new(),
            allow_outside: false,
            trees: crate::paths::Trees::anywhere(),
            max_file_size: crate::read::DEFAULT_MAX_FILE_SIZE,
            audit: None,
        }
    }
}

impl Settings {
    pub fn strict(&self) -> bool {
        self.profile == Profile::Strict
    }

    /// Whether `name` (any spelling) may float.
    pub fn allows_floating(&self, name: &str) -> bool {
        !self.allow_unpinned.is_empty() && self.allow_unpinned.contains(&normalize_name(name))
    }

    /// The level a code reports at: registry default, then select/ignore, then `[rules]`.
    pub fn level_for(&self, rule: Rule, default: Level) -> Level {
        if let Some(level) = self.levels.get(&rule) {
            return *level;
        }
        let code = rule.code();
        let matches = |prefix: &String| code.starts_with(prefix.as_str()) || prefix == "ALL";
        if !self.select.is_empty() && !self.select.iter().any(matches) {
            return Level::Off;
        }
        if self.ignore.iter().any(matches) {
            return Level::Off;
        }
        default
    }

    /// Applies a parsed file on top of these settings.
    pub fn apply_file(&mut self, config: FileConfig, path: &Path) -> Result<(), ConfigError> {
        let invalid = |reason: SettingError| ConfigError::Setting {
            path: path.to_path_buf(),
            reason,
        };
        if let Some(profile) = config.profile {
            self.profile = profile;
        }
        if let Some(select) = config.select {
            self.select = validate_codes(select, "select").map_err(invalid)?;
        }
        if let Some(ignore) = config.ignore {
            self.ignore = validate_codes(ignore, "ignore").map_err(invalid)?;
        }
        if let Some(names) = config.allow_unpinned {
            self.allow_unpinned = names.iter().map(|n| normalize_name(n)).collect();
        }
        if let Some(exclude) = config.exclude {
            self.config_exclude = exclude;
        }
        if let Some(fail_on) = config.fail_on {
            self.fail_on = parse_fail_on(&fail_on).map_err(invalid)?;
        }
        if let Some(rules) = config.rules {
            for (code, level) in rules {
                let code = code.to_ascii_uppercase();
                let Some(rule) = Rule::from_code(&code) else {
                    return Err(invalid(SettingError::UnknownRule { code }));
                };
                let level = Level::parse(&level).ok_or_else(|| {
                    invalid(SettingError::RuleLevel {
                        code: code.clone(),
                        level: level.clone(),
                    })
                })?;
                self.levels.insert(rule, level);
            }
        }
        if let Some(contexts) = config.build_contexts {
            self.build_contexts = contexts
                .iter()
                .map(|c| parse_build_context(c).map_err(&invalid))
                .collect::<Result<_, _>>()?;
        }
        if let Some(allow) = config.allow_outside {
            self.allow_outside = allow;
        }
        if let Some(size) = config.max_file_size {
            self.max_file_size = match size {
                SizeValue::Bytes(0) => return Err(invalid(SettingError::MaxFileSizeZero)),
                SizeValue::Bytes(bytes) => bytes,
                SizeValue::Text(text) => crate::read::parse_size(&text)
                    .map_err(|e| invalid(SettingError::MaxFileSize(e)))?,
            };
        }
        if config.audit.is_some() {
            self.audit = config.audit;
        }
        self.config_path = Some(path.to_path_buf());
        Ok(())
    }
}

/// A build context given as `NAME` or `NAME=VALUE`.
pub fn parse_build_context(text: &str) -> Result<(String, Option<String>), SettingError> {
    let (name, value) = match text.split_once('=') {
        Some((name, value)) => (name.trim(), Some(value.trim().to_string())),
        None => (text.trim(), None),
    };
    if name.is_empty() {
        return Err(SettingError::BuildContext {
            text: text.to_string(),
        });
    }
    Ok((name.to_string(), value))
}

pub fn parse_fail_on(text: &str) -> Result<Level, SettingError> {
    match Level::parse(text) {
        Some(Level::Off) | None => Err(SettingError::FailOn {
            text: text.to_string(),
        }),
        Some(level) => Ok(level),
    }
}

/// Codes or code prefixes (`PD1`, `PD101`, `ALL`) that name at least one rule.
pub fn validate_codes(codes: Vec<String>, key: &str) -> Result<Vec<String>, SettingError> {
    codes
        .into_iter()
        .map(|code| {
            let code = code.trim().to_ascii_uppercase();
            if code.is_empty() {
                // An empty prefix would match every rule: `--ignore "PD102,"` must not switch
                // everything off.
                return Err(SettingError::EmptyCode {
                    key: key.to_string(),
                });
            }
            if code == "ALL"
                || crate::registry::RULES
                    .iter()
                    .any(|rule| rule.code.starts_with(code.as_str()))
            {
                Ok(code)
            } else {
                Err(SettingError::UnknownCode {
                    key: key.to_string(),
                    code,
                })
            }
        })
        .collect()
}

/// Reads one configuration file (`pindrift.toml` or a `pyproject.toml`).
/// Returns `None` for a `pyproject.toml` without `[tool.pindrift]`.
pub fn read_config_file(path: &Path) -> Result<Option<FileConfig>, ConfigError> {
    // A FIFO or device given as --config must not hang the run or fill memory.
    let bytes =
        crate::read::read_regular(path, crate::read::DEFAULT_MAX_FILE_SIZE).map_err(|err| {
            ConfigError::Read {
                path: path.to_path_buf(),
                reason: err.to_string(),
            }
        })?;
    let text = String::from_utf8(bytes).map_err(|_| ConfigError::Read {
        path: path.to_path_buf(),
        reason: "not UTF-8".to_string(),
    })?;
    let invalid = |err: &toml::de::Error, message: String| ConfigError::Parse {
        path: path.to_path_buf(),
        message,
        span: err.span(),
    };
    let is_pyproject = path
        .file_name()
        .is_some_and(|name| name == "pyproject.toml");
    if is_pyproject {
        let project: PyProject =
            toml::from_str(&text).map_err(|err| invalid(&err, err.to_string()))?;
        let Some(table) = project.tool.and_then(|tool| tool.pindrift) else {
            return Ok(None);
        };
        // The table was parsed already: toml no longer knows where in the file it was.
        let config = FileConfig::deserialize(table)
            .map_err(|err| invalid(&err, format!("[tool.pindrift]: {err}")))?;
        return Ok(Some(config));
    }
    toml::from_str(&text)
        .map(Some)
        .map_err(|err| invalid(&err, err.to_string().trim_end().to_string()))
}

/// Finds the configuration for a run started in `start`: the nearest folder with a
/// `pindrift.toml`, or a `pyproject.toml` with `[tool.pindrift]`.
pub fn discover_config(start: &Path) -> Result<Option<(PathBuf, FileConfig)>, ConfigError> {
    for folder in start.ancestors() {
        let dedicated = folder.join("pindrift.toml");
        if dedicated.is_file() {
            return read_config_file(&dedicated).map(|config| config.map(|c| (dedicated, c)));
        }
        let pyproject = folder.join("pyproject.toml");
        if pyproject.is_file() {
            if let Some(config) = read_config_file(&pyproject)? {
                return Ok(Some((pyproject, config)));
            }
        }
        if folder.join(".git").exists() {
            break;
        }
    }
    Ok(None)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn unknown_keys_name_the_key_and_file() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("pindrift.toml");
        std::fs::write(&path, "profile = \"strict\"\nallow-floatin = [\"pip\"]\n").unwrap();
        let err = read_config_file(&path).unwrap_err().to_string();
        assert!(
            err.contains("pindrift.toml") && err.contains("allow-floatin"),
            "{err}"
        );
        // The error carries where in the file it is.
        let Err(ConfigError::Parse {
            span: Some(span), ..
        }) = read_config_file(&path)
        else {
            panic!("expected a parse error with a span");
        };
        assert_eq!(span.start, "profile = \"strict\"\n".len());
    }

    #[test]
    fn pyproject_table_and_levels() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("pyproject.toml");
        std::fs::write(
            &path,
            "[project]\nname='x'\n[tool.pindrift]\nallow-unpinned = [\"Pip\"]\n[tool.pindrift.rules]\nPD101 = \"error\"\n",
        )
        .unwrap();
        let config = read_config_file(&path).unwrap().unwrap();
        let mut settings = Settings::default();
        settings.apply_file(config, &path).unwrap();
        assert!(settings.allows_floating("pip"));
        assert_eq!(
            settings.level_for(Rule::UnpinnedRequirement, Level::Warning),
            Level::Error
        );
    }

    #[test]
    fn empty_and_unknown_codes_are_errors() {
        for codes in [vec!["PD102", ""], vec![""], vec!["  "], vec!["PD9"]] {
            let codes = codes.into_iter().map(String::from).collect();
            let err = validate_codes(codes, "--ignore").unwrap_err().to_string();
            assert!(err.starts_with("--ignore: "), "{err}");
        }
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("pindrift.toml");
        std::fs::write(&path, "ignore = [\"\"]\n").unwrap();
        let config = read_config_file(&path).unwrap().unwrap();
        let err = Settings::default()
            .apply_file(config, &path)
            .unwrap_err()
            .to_string();
        assert!(
            err.contains("pindrift.toml") && err.contains("ignore: empty rule code"),
            "{err}"
        );
    }

    #[test]
    fn select_and_ignore_prefixes() {
        let settings = Settings {
            select: vec!["PD1".into()],
            ignore: vec!["PD103".into()],
            ..Settings::default()
        };
        assert_eq!(
            settings.level_for(Rule::UnpinnedRequirement, Level::Warning),
            Level::Warning
        );
        assert_eq!(
            settings.level_for(Rule::VcsRefNotCommit, Level::Warning),
            Level::Off
        );
        assert_eq!(
            settings.level_for(Rule::ImageWithoutTag, Level::Warning),
            Level::Off
        );
    }
}
