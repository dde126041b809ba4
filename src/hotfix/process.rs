//! The processes of a container and which server runs it. (A first version: helper B's
//! module replaces it.)

/// The server named in the command column of the engine's `top` (`gunicorn`, `uwsgi`).
pub fn server_name(titles: &[String], processes: &[Vec<String>]) -> Option<String> {
    let column = titles
        .iter()
        .position(|t| t == "CMD" || t == "COMMAND")
        .unwrap_or_else(|| titles.len().saturating_sub(1));
    for row in processes {
        let Some(cmd) = row.get(column) else {
            continue;
        };
        for word in cmd.split_whitespace() {
            let base = word.rsplit('/').next().unwrap_or(word);
            for server in ["gunicorn", "uwsgi"] {
                if base == server || base.starts_with(&format!("{server}:")) {
                    return Some(server.to_string());
                }
            }
        }
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn finds_gunicorn_in_the_command_column() {
        let titles = vec!["UID".to_string(), "PID".to_string(), "CMD".to_string()];
        let rows = vec![vec![
            "root".to_string(),
            "1".to_string(),
            "/usr/bin/python3 /usr/local/bin/gunicorn -b 0.0.0.0:8000 app:app".to_string(),
        ]];
        assert_eq!(server_name(&titles, &rows).as_deref(), Some("gunicorn"));
        let rows = vec![vec!["root".into(), "1".into(), "sleep 3600".into()]];
        assert_eq!(server_name(&titles, &rows), None);
    }
}
