//! pindrift keeps Python services in Docker honest about their dependencies.
//!
//! Layout: file discovery in [`discover`], parsing and rules under [`lint`], the rule
//! registry in [`registry`], settings in [`config`], output formats in [`report`], the
//! command line in [`cli`]. The core is pure; disk and terminal sit at the edges.

pub mod cli;
pub mod config;
pub mod diagnostic;
pub mod discover;
pub mod docker;
pub mod drift;
pub mod fix;
pub mod guard;
pub mod inventory;
pub mod lint;
pub mod names;
pub mod paths;
pub mod registry;
pub mod report;
pub mod source;
pub mod span;
pub mod suppress;

/// Normalized package names from a comma-separated command-line list.
pub fn requirement_name_list(names: &[String]) -> Vec<String> {
    names
        .iter()
        .map(|name| names::normalize_name(name.trim()))
        .filter(|name| !name.is_empty())
        .collect()
}
