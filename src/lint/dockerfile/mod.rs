//! Dockerfile linting (base images, build args, install commands in RUN).

use crate::config::Settings;
use crate::diagnostic::Finding;
use crate::source::SourceFile;

/// Lints one Dockerfile.
pub fn lint_dockerfile(_source: &SourceFile, _settings: &Settings) -> Vec<Finding> {
    Vec::new()
}
