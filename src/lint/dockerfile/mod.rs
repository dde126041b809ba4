//! Dockerfile linting.

pub mod image_ref;
pub mod installers;
pub mod mapped;
pub mod parse;
pub mod shell;
pub mod vars;
