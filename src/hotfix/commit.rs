//! `hotfix commit`: the patched container as a new image, by default
//! `<repository>:<tag>-hotfix-<slug>` (the write-up's `my_prod_service:v1.0.0-hotfix-cause-a-problem-flag`),
//! labelled with what the hotfix is and what it changed. Recorded in the journal (a `Commit`
//! step: not a change of the container).

use std::collections::{BTreeSet, HashMap};

use super::{Action, HotfixError, Journal, StepState};
use crate::docker::{Engine, EngineApi};

/// Label keys put on the committed image.
pub const LABEL_ID: &str = "io.pindrift.hotfix.id";
pub const LABEL_REASON: &str = "io.pindrift.hotfix.reason";
pub const LABEL_PARENT: &str = "io.pindrift.hotfix.parent-image";
pub const LABEL_FILES: &str = "io.pindrift.hotfix.files";
pub const LABEL_PACKAGES: &str = "io.pindrift.hotfix.packages";

/// The longest tag the engine accepts.
const MAX_TAG: usize = 128;

#[derive(Debug, thiserror::Error)]
pub enum CommitError {
    #[error("{0}")]
    Reference(String),
    #[error("{0}")]
    Unfinished(String),
    #[error("committing container {container} to {image}: {message}")]
    Engine {
        container: String,
        image: String,
        message: String,
    },
    #[error(transparent)]
    Hotfix(#[from] HotfixError),
}

/// `repository` and `tag` of an image reference.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ImageName {
    pub repository: String,
    pub tag: String,
}

impl std::fmt::Display for ImageName {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}:{}", self.repository, self.tag)
    }
}

/// Splits `[registry[:port]/]path[:tag][@digest]` into its name, tag and digest.
fn split(reference: &str) -> (&str, Option<&str>, Option<&str>) {
    let (rest, digest) = match reference.split_once('@') {
        Some((r, d)) => (r, Some(d)),
        None => (reference, None),
    };
    let slash = rest.rfind('/').map_or(0, |i| i + 1);
    match rest[slash..].rfind(':') {
        Some(i) => (&rest[..slash + i], Some(&rest[slash + i + 1..]), digest),
        None => (rest, None, digest),
    }
}

/// A repository name the engine accepts: lowercase components of `[a-z0-9]` joined by `.`,
/// `_`, `__` or `-`; a registry host (with port) first.
fn valid_repository(name: &str) -> bool {
    let mut parts = name.split('/').peekable();
    let mut first = true;
    while let Some(part) = parts.next() {
        let host =
            first && parts.peek().is_some() && (part.contains(['.', ':']) || part == "localhost");
        first = false;
        if host {
            if part.is_empty()
                || !part
                    .chars()
                    .all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '-' | ':'))
            {
                return false;
            }
            continue;
        }
        let ok = !part.is_empty()
            && part.starts_with(|c: char| c.is_ascii_lowercase() || c.is_ascii_digit())
            && part.ends_with(|c: char| c.is_ascii_lowercase() || c.is_ascii_digit())
            && part.chars().all(|c| {
                c.is_ascii_lowercase() || c.is_ascii_digit() || matches!(c, '.' | '_' | '-')
            });
        if !ok {
            return false;
        }
    }
    true
}

fn valid_tag(tag: &str) -> bool {
    !tag.is_empty()
        && tag.len() <= MAX_TAG
        && tag.starts_with(|c: char| c.is_ascii_alphanumeric() || c == '_')
        && tag
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '_' | '.' | '-'))
}

/// `REF` as the user gave it: `repository[:tag]` (no tag: `latest`, as `docker commit`).
pub fn parse_reference(reference: &str) -> Result<ImageName, CommitError> {
    let (repository, tag, digest) = split(reference.trim());
    if digest.is_some() {
        return Err(CommitError::Reference(format!(
            "{reference}: a new image gets a tag, not a digest (name it `repository:tag`)"
        )));
    }
    let tag = tag.unwrap_or("latest");
    if !valid_repository(repository) {
        return Err(CommitError::Reference(format!(
            "{reference}: `{repository}` is not a valid repository name (lowercase letters, digits, `.`, `_`, `-`, `/`)"
        )));
    }
    if !valid_tag(tag) {
        return Err(CommitError::Reference(format!(
            "{reference}: `{tag}` is not a valid tag (letters, digits, `_`, `.`, `-`; at most {MAX_TAG})"
        )));
    }
    Ok(ImageName {
        repository: repository.to_string(),
        tag: tag.to_string(),
    })
}

/// The default name: the container's image reference with `-hotfix-<slug>` after its tag
/// (`latest` when it has none; the first 12 digits of the digest when it was run by digest).
/// A container run from an image id has no repository: the user names one.
pub fn default_reference(
    image_ref: Option<&str>,
    image_id: &str,
    slug: &str,
) -> Result<ImageName, CommitError> {
    let ask = |why: &str| {
        CommitError::Reference(format!(
            "{why}: name the new image (`pindrift hotfix commit CONTAINER REPOSITORY:TAG`)"
        ))
    };
    let Some(reference) = image_ref.map(str::trim).filter(|r| !r.is_empty()) else {
        return Err(ask("the container's image has no name"));
    };
    let hex = image_id.trim_start_matches("sha256:");
    let bare = reference.trim_start_matches("sha256:");
    let is_id = reference.starts_with("sha256:")
        || (bare.len() >= 12
            && bare.chars().all(|c| c.is_ascii_hexdigit())
            && hex.starts_with(bare));
    if is_id {
        return Err(ask(&format!(
            "the container was created from image id {reference}, not from a name"
        )));
    }
    let (repository, tag, digest) = split(reference);
    let base = match (tag, digest) {
        (Some(tag), _) => tag.to_string(),
        (None, Some(digest)) => {
            let digits = digest.split_once(':').map_or(digest, |(_, d)| d);
            format!("sha256-{}", &digits[..digits.len().min(12)])
        }
        (None, None) => "latest".to_string(),
    };
    if !valid_repository(repository) {
        return Err(ask(&format!(
            "`{repository}` (from the container's image {reference}) is not a repository name"
        )));
    }
    let suffix = format!("-hotfix-{slug}");
    let room = MAX_TAG.saturating_sub(suffix.len()).max(1);
    let tag: String = base.chars().take(room).collect();
    let mut tag = format!("{tag}{suffix}");
    tag.truncate(MAX_TAG);
    let tag = tag.trim_end_matches(['-', '.']).to_string();
    if !valid_tag(&tag) {
        return Err(ask(&format!("`{tag}` is not a valid tag")));
    }
    Ok(ImageName {
        repository: repository.to_string(),
        tag,
    })
}

/// Refuses to keep a hotfix with a step that may or may not have happened (pindrift stopped
/// during it): the image or the branch would hold an unknown state.
pub fn refuse_unfinished(journal: &Journal, what: &str) -> Result<(), String> {
    let open: Vec<String> = journal
        .steps()
        .iter()
        .filter(|s| s.state == StepState::Intended)
        .filter(|s| {
            !matches!(
                s.action,
                Action::Commit { .. }
                    | Action::Export { .. }
                    | Action::Reload { .. }
                    | Action::Promote { .. }
                    | Action::ServiceRollback { .. }
            )
        })
        .map(|s| format!("step {} ({})", s.id, s.action.describe()))
        .collect();
    if open.is_empty() {
        return Ok(());
    }
    Err(format!(
        "hotfix {} has unfinished steps ({}): pindrift stopped during them, so the container's \
         state is not known; {what} refused (see `pindrift hotfix status {}`, or `rollback`)",
        journal.header().id,
        open.join(", "),
        journal.header().container.name
    ))
}

/// The files the hotfix changed (done `PutFile` steps), in the order first changed.
pub fn changed_files(journal: &Journal) -> Vec<String> {
    let mut seen = BTreeSet::new();
    journal
        .steps()
        .iter()
        .filter(|s| matches!(s.state, StepState::Done(_)))
        .filter_map(|s| match &s.action {
            Action::PutFile { path, .. } => Some(path.clone()),
            _ => None,
        })
        .filter(|p| seen.insert(p.clone()))
        .collect()
}

/// One package the hotfix changed: name, version before and after (`None`: absent).
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct PackageChange {
    pub name: String,
    pub before: Option<String>,
    pub after: Option<String>,
}

/// The packages the hotfix changed (from done `PipInstall` steps; the first `before` and the
/// last `after` of each name).
pub fn changed_packages(journal: &Journal) -> Vec<PackageChange> {
    let mut out: Vec<PackageChange> = Vec::new();
    for step in journal.steps() {
        let (Action::PipInstall { .. }, StepState::Done(outcome)) = (&step.action, &step.state)
        else {
            continue;
        };
        let Some(changes) = outcome.get("changes").and_then(|c| c.as_array()) else {
            continue;
        };
        for c in changes {
            let Some(name) = c.get("name").and_then(|n| n.as_str()) else {
                continue;
            };
            let text = |k: &str| c.get(k).and_then(|v| v.as_str()).map(str::to_string);
            match out.iter_mut().find(|p| p.name == name) {
                Some(p) => p.after = text("after"),
                None => out.push(PackageChange {
                    name: name.to_string(),
                    before: text("before"),
                    after: text("after"),
                }),
            }
        }
    }
    out.retain(|p| p.before != p.after);
    out
}

/// The labels of the committed image.
pub fn labels(journal: &Journal) -> HashMap<String, String> {
    let header = journal.header();
    let files = changed_files(journal);
    let packages = changed_packages(journal);
    HashMap::from([
        (LABEL_ID.to_string(), header.id.clone()),
        (LABEL_REASON.to_string(), header.reason.clone()),
        (LABEL_PARENT.to_string(), header.container.image_id.clone()),
        (
            LABEL_FILES.to_string(),
            serde_json::to_string(&files).unwrap_or_default(),
        ),
        (
            LABEL_PACKAGES.to_string(),
            serde_json::to_string(&packages).unwrap_or_default(),
        ),
    ])
}

/// What `hotfix commit` made.
#[derive(Debug, Clone)]
pub struct Committed {
    pub image: ImageName,
    pub id: String,
    pub labels: HashMap<String, String>,
}

/// Commits the container of `journal` to `reference` (default: [`default_reference`]),
/// recorded as a `Commit` step.
pub async fn commit<A: EngineApi>(
    engine: &Engine<A>,
    journal: &mut Journal,
    reference: Option<&str>,
    pause: bool,
) -> Result<Committed, CommitError> {
    refuse_unfinished(journal, "commit").map_err(CommitError::Unfinished)?;
    let header = journal.header().clone();
    let image = match reference {
        Some(r) => parse_reference(r)?,
        None => default_reference(
            header.container.image_ref.as_deref(),
            &header.container.image_id,
            &header.slug,
        )?,
    };
    let labels = labels(journal);
    let step = journal.intend(Action::Commit {
        image: image.to_string(),
    })?;
    let comment = format!("pindrift hotfix {}: {}", header.id, header.reason);
    match engine
        .api()
        .commit(
            &header.container.id,
            &image.repository,
            &image.tag,
            labels.clone(),
            &comment,
            pause,
        )
        .await
    {
        Ok(id) => {
            journal.done(step, serde_json::json!({ "id": id }))?;
            Ok(Committed { image, id, labels })
        }
        Err(e) => {
            let err = CommitError::Engine {
                container: header.container.name.clone(),
                image: image.to_string(),
                message: e.to_string(),
            };
            journal.failed(step, &err.to_string())?;
            Err(err)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::docker::api::NewContainer;
    use crate::docker::fake::Fake;
    use crate::hotfix::journal::ContainerRecord;
    use crate::hotfix::{Header, StateDir};

    const IMAGE: &str = "sha256:2222222222222222222222222222222222222222222222222222222222222222";

    /// A fake engine with one container (labelled `keep=me`) and a journal for it.
    async fn setup(state: &std::path::Path) -> (Fake, Engine<Fake>, Journal) {
        let fake = Fake::with_image(IMAGE, &[]);
        let id = fake
            .create_container(NewContainer {
                name: "web".into(),
                image: IMAGE.into(),
                cmd: Vec::new(),
                labels: HashMap::from([("keep".to_string(), "me".to_string())]),
            })
            .await
            .unwrap();
        let engine = Engine::with_api(fake.clone(), "fake://".into());
        let state = StateDir::at(state.to_path_buf()).unwrap();
        let header = Header::new(
            "Cause a problem flag",
            ContainerRecord {
                id,
                name: "web".into(),
                image_id: IMAGE.into(),
                image_ref: Some("my_prod_service:v1.0.0".into()),
                ..Default::default()
            },
            1_700_000_000,
        );
        let journal = Journal::create(&state, header).unwrap();
        (fake, engine, journal)
    }

    #[tokio::test]
    async fn commit_labels_the_image_with_what_the_journal_says_and_records_it() {
        let dir = tempfile::tempdir().unwrap();
        let (fake, engine, mut journal) = setup(dir.path()).await;
        let put = journal
            .intend(Action::PutFile {
                path: "/app/app.py".into(),
                backup: Some("b1".into()),
                original: None,
                new_sha256: "x".into(),
            })
            .unwrap();
        journal.done(put, serde_json::json!({})).unwrap();
        let pip = journal
            .intend(Action::PipInstall {
                env_key: "venv:/opt/venv".into(),
                python: "/opt/venv/bin/python".into(),
                specs: vec!["eventlet==0.20.0".into()],
                saved: Vec::new(),
                wheels_dir: None,
            })
            .unwrap();
        journal
            .done(
                pip,
                serde_json::json!({"changes": [{"name": "eventlet", "before": "0.20.1", "after": "0.20.0"}]}),
            )
            .unwrap();
        let made = commit(&engine, &mut journal, None, true).await.unwrap();
        assert_eq!(
            made.image.to_string(),
            "my_prod_service:v1.0.0-hotfix-cause-a-problem-flag"
        );
        let state = fake.0.lock().unwrap();
        let (_, image, labels, comment) = &state.commits[0];
        assert_eq!(image, "my_prod_service:v1.0.0-hotfix-cause-a-problem-flag");
        assert_eq!(labels["keep"], "me");
        assert_eq!(labels[LABEL_ID], journal.header().id);
        assert_eq!(labels[LABEL_REASON], "Cause a problem flag");
        assert_eq!(labels[LABEL_PARENT], IMAGE);
        assert_eq!(labels[LABEL_FILES], "[\"/app/app.py\"]");
        assert_eq!(
            labels[LABEL_PACKAGES],
            "[{\"name\":\"eventlet\",\"before\":\"0.20.1\",\"after\":\"0.20.0\"}]"
        );
        assert!(comment.contains(&journal.header().id));
        let last = journal.steps().last().unwrap();
        assert!(matches!(last.action, Action::Commit { .. }));
        assert!(matches!(&last.state, StepState::Done(v) if v["id"] == made.id.as_str()));
    }

    #[tokio::test]
    async fn a_hotfix_with_an_unfinished_step_is_not_committed() {
        let dir = tempfile::tempdir().unwrap();
        let (fake, engine, mut journal) = setup(dir.path()).await;
        journal
            .intend(Action::PutFile {
                path: "/app/app.py".into(),
                backup: None,
                original: None,
                new_sha256: "x".into(),
            })
            .unwrap();
        let err = commit(&engine, &mut journal, Some("app:fix"), true)
            .await
            .unwrap_err()
            .to_string();
        assert!(
            err.contains("unfinished steps") && err.contains("step 1"),
            "{err}"
        );
        assert!(fake.0.lock().unwrap().commits.is_empty());
        assert_eq!(journal.steps().len(), 1, "nothing recorded");
    }

    const ID: &str = "sha256:0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef";

    fn default(r: &str) -> Result<String, String> {
        default_reference(Some(r), ID, "cause-a-problem-flag")
            .map(|n| n.to_string())
            .map_err(|e| e.to_string())
    }

    #[test]
    fn the_default_name_is_the_write_ups() {
        assert_eq!(
            default("my_prod_service:v1.0.0").unwrap(),
            "my_prod_service:v1.0.0-hotfix-cause-a-problem-flag"
        );
        assert_eq!(
            default("my_prod_service").unwrap(),
            "my_prod_service:latest-hotfix-cause-a-problem-flag"
        );
        assert_eq!(
            default("registry.example.com:5000/team/app:2.1").unwrap(),
            "registry.example.com:5000/team/app:2.1-hotfix-cause-a-problem-flag"
        );
        assert_eq!(
            default("localhost:5000/app").unwrap(),
            "localhost:5000/app:latest-hotfix-cause-a-problem-flag"
        );
        assert_eq!(
            default(
                "app:1.0@sha256:aaaabbbbccccddddeeeeffff0000111122223333444455556666777788889999"
            )
            .unwrap(),
            "app:1.0-hotfix-cause-a-problem-flag"
        );
        assert_eq!(
            default("app@sha256:aaaabbbbccccddddeeeeffff0000111122223333444455556666777788889999")
                .unwrap(),
            "app:sha256-aaaabbbbcccc-hotfix-cause-a-problem-flag"
        );
        let long = format!("app:{}", "v".repeat(120));
        let tag = default(&long).unwrap();
        assert!(tag.len() - "app:".len() <= 128, "{tag}");
        assert!(tag.ends_with("-hotfix-cause-a-problem-flag"), "{tag}");
    }

    #[test]
    fn an_image_id_has_no_name_to_build_on() {
        for r in [ID, "0123456789ab", ""] {
            let e = default(r).unwrap_err();
            assert!(e.contains("name the new image"), "{r}: {e}");
        }
        assert!(default_reference(None, ID, "x").is_err());
    }

    #[test]
    fn a_given_reference_is_checked() {
        assert_eq!(parse_reference("app:fix").unwrap().to_string(), "app:fix");
        assert_eq!(parse_reference("app").unwrap().tag, "latest");
        assert!(parse_reference("App:fix").is_err());
        assert!(parse_reference("app:bad tag").is_err());
        assert!(parse_reference("app@sha256:abcd").is_err());
    }
}
