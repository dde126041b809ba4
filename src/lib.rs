//! pindrift keeps Python services in Docker honest about their dependencies.
//!
//! Layout: file discovery in [`discover`], parsing and rules under [`lint`], the rule
//! registry in [`registry`], settings in [`config`], lint output formats in [`report`];
//! installed packages (site-packages metadata, `pip freeze` text, requirements files, OS
//! package databases) in [`inventory`], the Docker Engine in [`docker`] (the only module
//! that talks to it), comparisons, the drift session and its output formats in [`drift`];
//! the command line in [`cli`].
//!
//! Pure: parsing, rules, comparing inventories and rendering reports take values and return
//! values. Effects: [`discover`] and [`lint`] read files from disk (requirements includes,
//! build contexts), [`inventory`] reads freeze/requirements files and its image cache,
//! [`docker`] talks to the engine, [`cli`] writes to the terminal.

pub mod audit;
pub mod baseline;
pub mod cli;
pub mod config;
pub mod diagnostic;
pub mod discover;
pub mod docker;
pub mod drift;
pub mod fix;
pub mod guard;
pub mod hotfix;
pub mod inventory;
pub mod lint;
pub mod names;
pub mod paths;
pub mod pin;
pub mod read;
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
