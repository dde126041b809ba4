//! Versions of OS packages (dpkg and apk): ordering and bump classes.
//!
//! Ordering follows dpkg's algorithm (`[epoch:]upstream[-revision]`, `~` sorts before
//! everything), which also orders apk's `1.2.3-r4` sensibly. The bump class comes from the
//! semver crate when the upstream part really is semver, else from its dotted numbers.

use std::cmp::Ordering;

use super::Bump;

struct Parts<'a> {
    epoch: u64,
    upstream: &'a str,
    revision: &'a str,
}

fn split(v: &str) -> Parts<'_> {
    let v = v.trim();
    let (epoch, rest) = match v.split_once(':') {
        Some((e, r)) if !e.is_empty() && e.bytes().all(|b| b.is_ascii_digit()) => {
            (e.parse().unwrap_or(0), r)
        }
        _ => (0, v),
    };
    let (upstream, revision) = match rest.rsplit_once('-') {
        Some((u, r)) => (u, r),
        None => (rest, ""),
    };
    Parts {
        epoch,
        upstream,
        revision,
    }
}

fn order_char(c: Option<u8>) -> i32 {
    match c {
        None => 0,
        Some(b'~') => -1,
        Some(c) if c.is_ascii_alphabetic() => c as i32,
        Some(c) => c as i32 + 256,
    }
}

/// dpkg's `verrevcmp` on one part.
fn verrevcmp(a: &str, b: &str) -> Ordering {
    let (a, b) = (a.as_bytes(), b.as_bytes());
    let (mut i, mut j) = (0, 0);
    while i < a.len() || j < b.len() {
        let mut first_diff = 0;
        while (i < a.len() && !a[i].is_ascii_digit()) || (j < b.len() && !b[j].is_ascii_digit()) {
            let ac = order_char(a.get(i).copied().filter(|c| !c.is_ascii_digit()));
            let bc = order_char(b.get(j).copied().filter(|c| !c.is_ascii_digit()));
            if ac != bc {
                return ac.cmp(&bc);
            }
            if i < a.len() && !a[i].is_ascii_digit() {
                i += 1;
            }
            if j < b.len() && !b[j].is_ascii_digit() {
                j += 1;
            }
        }
        while i < a.len() && a[i] == b'0' {
            i += 1;
        }
        while j < b.len() && b[j] == b'0' {
            j += 1;
        }
        while i < a.len() && a[i].is_ascii_digit() && j < b.len() && b[j].is_ascii_digit() {
            if first_diff == 0 {
                first_diff = a[i] as i32 - b[j] as i32;
            }
            i += 1;
            j += 1;
        }
        if i < a.len() && a[i].is_ascii_digit() {
            return Ordering::Greater;
        }
        if j < b.len() && b[j].is_ascii_digit() {
            return Ordering::Less;
        }
        if first_diff != 0 {
            return first_diff.cmp(&0);
        }
    }
    Ordering::Equal
}

/// Order two OS package versions.
pub fn compare(a: &str, b: &str) -> Ordering {
    let (pa, pb) = (split(a), split(b));
    pa.epoch
        .cmp(&pb.epoch)
        .then_with(|| verrevcmp(pa.upstream, pb.upstream))
        .then_with(|| verrevcmp(pa.revision, pb.revision))
}

fn numbers(upstream: &str) -> Vec<u64> {
    upstream
        .split(|c: char| !c.is_ascii_digit())
        .take_while(|s| !s.is_empty())
        .filter_map(|s| s.parse().ok())
        .collect()
}

/// Bump class from `lower` to `higher`.
pub fn bump(lower: &str, higher: &str) -> Bump {
    let (pa, pb) = (split(lower), split(higher));
    if pa.epoch != pb.epoch {
        return Bump::Other;
    }
    if pa.upstream == pb.upstream {
        // Only the packaging revision moved: a rebuild or a distribution patch.
        return Bump::Post;
    }
    if let (Ok(a), Ok(b)) = (
        semver::Version::parse(pa.upstream),
        semver::Version::parse(pb.upstream),
    ) {
        return if a.major != b.major {
            Bump::Major
        } else if a.minor != b.minor {
            Bump::Minor
        } else if a.patch != b.patch {
            Bump::Patch
        } else if a.pre != b.pre {
            Bump::Pre
        } else {
            Bump::Other
        };
    }
    let (na, nb) = (numbers(pa.upstream), numbers(pb.upstream));
    if na.is_empty() || nb.is_empty() {
        return Bump::Other;
    }
    let len = na.len().max(nb.len());
    for i in 0..len {
        if na.get(i).copied().unwrap_or(0) != nb.get(i).copied().unwrap_or(0) {
            return match i {
                0 => Bump::Major,
                1 => Bump::Minor,
                _ => Bump::Patch,
            };
        }
    }
    if pa.upstream.contains('~') || pb.upstream.contains('~') {
        return Bump::Pre;
    }
    Bump::Post
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dpkg_order() {
        assert_eq!(compare("1.0", "1.0"), Ordering::Equal);
        assert_eq!(compare("1.0~rc1", "1.0"), Ordering::Less);
        assert_eq!(compare("1:0.9", "2.0"), Ordering::Greater);
        assert_eq!(compare("2.36.1-8", "2.36.1-8+deb12u1"), Ordering::Less);
        assert_eq!(compare("1.10", "1.9"), Ordering::Greater);
        assert_eq!(compare("3.1.4-r5", "3.1.4-r10"), Ordering::Less);
        assert_eq!(
            compare("7.88.1-10+deb12u5", "7.88.1-10+deb12u12"),
            Ordering::Less
        );
    }

    #[test]
    fn os_bumps() {
        assert_eq!(bump("2.36.1-8", "2.36.1-8+deb12u1"), Bump::Post);
        assert_eq!(bump("3.0.11-1", "3.0.13-1"), Bump::Patch);
        assert_eq!(bump("1.2.3", "1.3.0"), Bump::Minor);
        assert_eq!(bump("1.2", "2.0"), Bump::Major);
        assert_eq!(bump("3.1.4-r5", "3.1.4-r6"), Bump::Post);
        assert_eq!(bump("1:1.0", "2:1.0"), Bump::Other);
    }
}
