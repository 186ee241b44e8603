//! The JSONPath subset `extractjson` accepts: `$`, then any of `.name`,
//! `['name']`, `["name"]` and `[n]`.

use super::scan::Step;

/// Parses a JSONPath into its steps, or explains what is wrong with it.
pub(crate) fn parse_path(path: &str) -> Result<Vec<Step>, String> {
    let mut rest = path.trim();
    rest = rest.strip_prefix('$').ok_or_else(|| format!("JSONPath `{path}` must start with `$`"))?;
    let mut steps = Vec::new();
    while let Some(c) = rest.chars().next() {
        match c {
            '.' => {
                let name_end = rest[1..].find(['.', '[']).map_or(rest.len(), |i| i + 1);
                let name = &rest[1..name_end];
                if name.is_empty() {
                    return Err(format!("JSONPath `{path}` has an empty member name"));
                }
                if name == "*" {
                    return Err(format!("JSONPath `{path}`: wildcards are not supported"));
                }
                steps.push(Step::Key(name.to_string()));
                rest = &rest[name_end..];
            }
            '[' => {
                let (step, used) = bracket(&rest[1..])
                    .ok_or_else(|| format!("JSONPath `{path}` has a malformed `[...]`"))?;
                steps.push(step);
                rest = &rest[1 + used..];
            }
            _ => return Err(format!("JSONPath `{path}`: unexpected `{c}`")),
        }
    }
    Ok(steps)
}

/// Reads the inside of `[...]` (after the `[`); returns the step and the
/// number of bytes used, the closing `]` included.
fn bracket(s: &str) -> Option<(Step, usize)> {
    let quote = s.chars().next()?;
    if quote == '\'' || quote == '"' {
        let mut name = String::new();
        let mut chars = s.char_indices().skip(1);
        while let Some((i, c)) = chars.next() {
            match c {
                '\\' => name.push(chars.next()?.1),
                c if c == quote => {
                    let close = s[i + 1..].trim_start();
                    let skipped = s[i + 1..].len() - close.len();
                    return close.starts_with(']').then(|| (Step::Key(name), i + 2 + skipped));
                }
                c => name.push(c),
            }
        }
        return None;
    }
    let end = s.find(']')?;
    let index = s[..end].trim().parse::<usize>().ok()?;
    Some((Step::Index(index), end + 1))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn key(k: &str) -> Step {
        Step::Key(k.to_string())
    }

    #[test]
    fn parses_the_supported_forms() {
        assert_eq!(parse_path("$"), Ok(vec![]));
        assert_eq!(parse_path("$.a"), Ok(vec![key("a")]));
        assert_eq!(parse_path("$.a.b"), Ok(vec![key("a"), key("b")]));
        assert_eq!(parse_path("$['a']"), Ok(vec![key("a")]));
        assert_eq!(parse_path(r#"$["a b"].c"#), Ok(vec![key("a b"), key("c")]));
        assert_eq!(parse_path("$.a[0]"), Ok(vec![key("a"), Step::Index(0)]));
        assert_eq!(parse_path("$[1]"), Ok(vec![Step::Index(1)]));
        assert_eq!(parse_path(r"$['it\'s']"), Ok(vec![key("it's")]));
        assert_eq!(
            parse_path("$.hosts[1]['AvailableMB']"),
            Ok(vec![key("hosts"), Step::Index(1), key("AvailableMB")])
        );
    }

    #[test]
    fn rejects_the_rest() {
        for bad in ["a", "$.", "$..a", "$[", "$['a'", "$[x]", "$.*", "$[-1]", "$a"] {
            assert!(parse_path(bad).is_err(), "{bad}");
        }
    }
}
