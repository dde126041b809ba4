//! pindrift keeps Python services in Docker honest about their dependencies.
//!
//! Layout: parsing and rules live under [`lint`], the rule registry in [`registry`],
//! output formats in [`report`], the command line in [`cli`].

pub mod cli;
pub mod lint;
