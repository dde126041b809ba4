//! Linters: parsing and rules per file kind.

pub mod dockerfile;
