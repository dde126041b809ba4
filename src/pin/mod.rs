//! `pindrift pin`: rewrite requirements files and Dockerfiles in place to what a known-good
//! source (container, image, freeze file, requirements file) runs.
//!
//! Planning is pure: [`requirements`] (and the Dockerfile side) turn parsed files and the
//! source's [`facts::Facts`] into [`plan::FilePlan`]s of byte-exact edits; [`write`] is the
//! only place that changes files.

pub mod dockerfile;
pub mod facts;
pub mod plan;
pub mod requirement;
