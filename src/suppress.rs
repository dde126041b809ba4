//! Inline suppression comments: `# pindrift: ignore[CODE,...] reason` or bare `# pindrift: ignore`.

/// What a suppression comment switches off.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Suppression {
    /// `None` means every code.
    pub codes: Option<Vec<String>>,
    pub reason: Option<String>,
}

impl Suppression {
    pub fn covers(&self, code: &str) -> bool {
        match &self.codes {
            None => true,
            Some(codes) => codes.iter().any(|c| c.eq_ignore_ascii_case(code)),
        }
    }
}

/// Parses the text of a comment (with or without its leading `#`). Returns `None`
/// when the comment is not a pindrift directive.
pub fn parse_suppression(comment: &str) -> Option<Suppression> {
    let body = comment.trim_start().trim_start_matches('#').trim_start();
    let rest = body.strip_prefix("pindrift:")?.trim_start();
    let rest = rest.strip_prefix("ignore")?;
    if let Some(list) = rest.strip_prefix('[') {
        let close = list.find(']')?;
        let codes: Vec<String> = list[..close]
            .split(',')
            .map(|c| c.trim().to_ascii_uppercase())
            .filter(|c| !c.is_empty())
            .collect();
        let reason = reason_of(&list[close + 1..]);
        return Some(Suppression {
            codes: Some(codes),
            reason,
        });
    }
    if !rest.is_empty() && !rest.starts_with(char::is_whitespace) {
        return None;
    }
    Some(Suppression {
        codes: None,
        reason: reason_of(rest),
    })
}

fn reason_of(text: &str) -> Option<String> {
    let text = text.trim().trim_start_matches([':', '-', '—']).trim();
    (!text.is_empty()).then(|| text.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_codes_and_reason() {
        let s =
            parse_suppression("# pindrift: ignore[PD101, pd102] pinned by the base image").unwrap();
        assert_eq!(s.codes, Some(vec!["PD101".into(), "PD102".into()]));
        assert_eq!(s.reason.as_deref(), Some("pinned by the base image"));
        assert!(s.covers("PD102") && !s.covers("PD103"));
    }

    #[test]
    fn bare_ignore_covers_everything() {
        let s = parse_suppression("#pindrift: ignore").unwrap();
        assert!(s.codes.is_none() && s.covers("PD999"));
        assert!(parse_suppression("# pindrift: ignored").is_none());
        assert!(parse_suppression("# just a comment").is_none());
    }
}
