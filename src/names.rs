//! Python package names, compared after PEP 503 normalization.
//!
//! The one normalization pindrift uses, for lint (`allow-unpinned`, constraint pins,
//! conflicting pins) and drift (inventories, `--ignore`) alike.

/// PEP 503 normalization, exactly `re.sub(r"[-_.]+", "-", name).lower()`: every run of
/// `-`, `_` and `.` becomes one `-` (also at either end), then Python's `str.lower`, which is
/// the full Unicode lowercase mapping (`ÄBC` → `äbc`). White space is kept: callers trim.
pub fn normalize_name(name: &str) -> String {
    // Names are ASCII almost always: one pass, one allocation.
    if name.is_ascii() {
        let mut out = String::with_capacity(name.len());
        let mut in_separator_run = false;
        for b in name.bytes() {
            if matches!(b, b'-' | b'_' | b'.') {
                if !in_separator_run {
                    out.push('-');
                }
                in_separator_run = true;
            } else {
                out.push(char::from(b.to_ascii_lowercase()));
                in_separator_run = false;
            }
        }
        return out;
    }
    let mut out = String::with_capacity(name.len());
    let mut in_separator_run = false;
    for c in name.chars() {
        if matches!(c, '-' | '_' | '.') {
            if !in_separator_run {
                out.push('-');
            }
            in_separator_run = true;
        } else {
            out.push(c);
            in_separator_run = false;
        }
    }
    // `str::to_lowercase` is Unicode's full lowercase mapping, as Python's `str.lower`
    // (context-sensitive final sigma included).
    out.to_lowercase()
}

#[cfg(test)]
mod tests {
    use super::normalize_name;

    /// Expected values are Python's `re.sub(r"[-_.]+", "-", name).lower()`.
    #[test]
    fn pep503_table() {
        for (name, want) in [
            ("eventlet", "eventlet"),
            ("Zope.Interface", "zope-interface"),
            ("Foo.Bar__baz-Qux", "foo-bar-baz-qux"),
            ("a__-b", "a-b"),
            ("a-_.-b", "a-b"),
            ("_foo_", "-foo-"),
            ("__foo", "-foo"),
            ("foo..", "foo-"),
            ("-", "-"),
            ("", ""),
            ("ÄBC", "äbc"),
            ("Straße", "straße"),
            ("ΑΣ", "ας"),
            ("İ", "i\u{307}"),
            ("a b", "a b"),
            (" Flask ", " flask "),
            ("ZOPE_interface.Ext", "zope-interface-ext"),
        ] {
            assert_eq!(normalize_name(name), want, "{name:?}");
        }
    }
}
