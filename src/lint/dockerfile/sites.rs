//! The places in a Dockerfile that `pin` may rewrite, as the lint walk finds them
//! ([`super::pin_sites`]): every image reference (with what it turned out to be: an image, a
//! stage, a named build context) and every package argument of an install command, each with
//! its expanded text, its span and, when the file holds it byte for byte, its editable span
//! ([`Arg::verbatim`]); plus the `ARG` declarations, for digests written into a default.

use super::installers::{Arg, Package, Tool};
use crate::span::Mapped;

/// Where an image reference is written.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ImagePlace {
    From,
    CopyFrom,
    MountFrom,
    /// The `# syntax=` parser directive (the BuildKit frontend image).
    Syntax,
}

impl ImagePlace {
    pub fn describe(self) -> &'static str {
        match self {
            ImagePlace::From => "FROM",
            ImagePlace::CopyFrom => "COPY --from",
            ImagePlace::MountFrom => "RUN --mount from",
            ImagePlace::Syntax => "# syntax=",
        }
    }
}

/// What a reference names.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum ImageTarget {
    /// An image (or `scratch`, or text with unresolved variables: see [`Arg::known`]).
    Image,
    /// An earlier build stage, by the name written.
    Stage(String),
    /// A named build context (`--build-context NAME=…`): not an image in the file.
    Context(String),
}

#[derive(Clone, Debug)]
pub struct ImageSite {
    pub place: ImagePlace,
    /// Expanded text (with the build args in scope), span, editable span.
    pub arg: Arg,
    pub target: ImageTarget,
    /// The word ends with a plain `$NAME` / `${NAME}`: the variable whose value ends the
    /// reference (a digest appended to its default lands at the end of the reference).
    pub tail_param: Option<String>,
}

/// One package argument of an install command.
#[derive(Clone, Debug)]
pub struct PackageSite {
    pub tool: Tool,
    /// The command as written (`pip3`, `apt`, `/usr/bin/python3`).
    pub command: String,
    pub arg: Arg,
    pub package: Package,
    /// Why `check` does not ask for a pin here: `allow-unpinned` names it, or a constraints
    /// file of the same install pins it.
    pub exempt: Option<&'static str>,
}

/// One `ARG NAME[=default]` declaration.
#[derive(Clone, Debug)]
pub struct ArgDecl {
    pub name: String,
    /// The default as written (quotes kept).
    pub default: Option<Mapped>,
    /// Before the first `FROM`: visible to `FROM` lines.
    pub global: bool,
    /// `--build-arg` / configuration sets it: the default is not what builds.
    pub overridden: bool,
}

#[derive(Clone, Debug, Default)]
pub struct Sites {
    pub images: Vec<ImageSite>,
    pub packages: Vec<PackageSite>,
    pub args: Vec<ArgDecl>,
}

impl Sites {
    /// The global declaration of `name` that `FROM` lines see (the last one).
    pub fn global_arg(&self, name: &str) -> Option<&ArgDecl> {
        self.args.iter().rev().find(|a| a.global && a.name == name)
    }
}
