//! Redirects: `externaldata` URLs served from somewhere else, usually a local
//! copy, so that hunting queries run offline.
//!
//! Two sources, the CLI flag winning over the file:
//! - `--externaldata URL=TARGET`, parsed by [`Redirects::parse_arg`];
//! - `externaldata.toml` in the data folder, picked up by
//!   [`crate::load_dir`]:
//!
//! ```toml
//! [redirect]
//! "https://raw.githubusercontent.com/stamparm/ipsum/master/levels/4.txt" = "ipsum-level4.txt"
//! ```
//!
//! A TARGET that starts with `http://` or `https://` is another URL; one
//! that starts with `file://` or anything else is a local path. Relative
//! paths in the file are resolved against the file's folder; on the command
//! line, against the current directory. Redirects are not chained: the
//! target is fetched as is.

use std::collections::{BTreeMap, HashMap};
use std::path::{Path, PathBuf};

use serde::Deserialize;

use crate::error::DataError;

/// The name of the redirect map inside a data folder.
pub const REDIRECT_FILE: &str = "externaldata.toml";

/// Where a redirected URL is read from.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Redirect {
    /// A local file.
    File(PathBuf),
    /// Another URL (`http://` or `https://`).
    Url(String),
}

impl std::fmt::Display for Redirect {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Redirect::File(p) => write!(f, "{}", p.display()),
            Redirect::Url(u) => f.write_str(u),
        }
    }
}

/// URL to target, matched on the exact URL text.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Redirects {
    map: HashMap<String, Redirect>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RedirectFile {
    #[serde(default)]
    redirect: BTreeMap<String, String>,
}

impl Redirects {
    /// No redirects.
    pub fn new() -> Self {
        Self::default()
    }

    /// Splits a `--externaldata URL=TARGET` argument.
    ///
    /// Both URLs (query strings) and targets may contain `=`, so the split
    /// point is chosen this way, among the `=` after the URL's `scheme://`:
    /// 1. the last `=` directly followed by a URL scheme (`http://`, …): the
    ///    target is a URL;
    /// 2. otherwise the last `=`: the target is a path, and a path holding
    ///    `=` must go in `externaldata.toml` instead.
    ///
    /// So `https://h/f?a=1&b=2=feeds/f.txt` maps `https://h/f?a=1&b=2` to
    /// `feeds/f.txt`, and `https://h/x?k=v=http://127.0.0.1:8000/x?k=v` maps
    /// to the local URL.
    pub fn parse_arg(arg: &str) -> Result<(String, Redirect), DataError> {
        let bad = |why: &str| DataError::Redirect { message: format!("bad `--externaldata {arg}`: {why}") };
        let arg = arg.trim();
        let Some(scheme_end) = scheme_len(arg) else {
            return Err(bad("it must start with the URL to redirect, like `https://…=TARGET`"));
        };
        let equals: Vec<usize> =
            arg.char_indices().filter(|&(i, c)| c == '=' && i >= scheme_end).map(|(i, _)| i).collect();
        let split = equals
            .iter()
            .rev()
            .find(|&&i| scheme_len(&arg[i + 1..]).is_some())
            .or(equals.last())
            .copied()
            .ok_or_else(|| bad("no `=` between the URL and the target"))?;
        let (url, target) = (arg[..split].trim(), arg[split + 1..].trim());
        if target.is_empty() {
            return Err(bad("the target after `=` is empty"));
        }
        if url.len() <= scheme_end {
            return Err(bad("the URL before `=` is empty"));
        }
        Ok((url.to_string(), target_of(target, None)?))
    }

    /// Adds a `--externaldata URL=TARGET` argument, replacing any earlier
    /// redirect of the same URL.
    pub fn add_arg(&mut self, arg: &str) -> Result<(), DataError> {
        let (url, target) = Self::parse_arg(arg)?;
        self.map.insert(url, target);
        Ok(())
    }

    /// Reads an `externaldata.toml`; relative targets are resolved against
    /// its folder.
    pub fn from_file(path: &Path) -> Result<Self, DataError> {
        let text = std::fs::read_to_string(path).map_err(|e| DataError::io(path, e))?;
        let base = path.parent().unwrap_or(Path::new(""));
        Self::from_toml(&text, base).map_err(|e| match e {
            DataError::Redirect { message } => {
                DataError::Redirect { message: format!("{}: {message}", path.display()) }
            }
            other => other,
        })
    }

    /// Parses the text of an `externaldata.toml`; relative targets are
    /// resolved against `base`.
    pub fn from_toml(text: &str, base: &Path) -> Result<Self, DataError> {
        let file: RedirectFile =
            toml::from_str(text).map_err(|e| DataError::Redirect { message: e.message().to_string() })?;
        let mut out = Redirects::new();
        for (url, target) in file.redirect {
            if scheme_len(&url).is_none() {
                return Err(DataError::Redirect {
                    message: format!("`{url}` is not a URL (it needs a scheme such as `https://`)"),
                });
            }
            out.map.insert(url, target_of(&target, Some(base))?);
        }
        Ok(out)
    }

    /// Adds one redirect, replacing any earlier one of the same URL.
    pub fn insert(&mut self, url: impl Into<String>, target: Redirect) {
        self.map.insert(url.into(), target);
    }

    /// Adds all of `other`'s redirects; `other` wins on conflicts (so merge
    /// the CLI's redirects into the file's).
    pub fn merge(&mut self, other: Redirects) {
        self.map.extend(other.map);
    }

    /// The target of `url`, if redirected.
    pub fn get(&self, url: &str) -> Option<&Redirect> {
        self.map.get(url.trim())
    }

    /// How many URLs are redirected.
    pub fn len(&self) -> usize {
        self.map.len()
    }

    /// Whether no URL is redirected.
    pub fn is_empty(&self) -> bool {
        self.map.is_empty()
    }

    /// The redirects, sorted by URL.
    pub fn iter(&self) -> Vec<(&str, &Redirect)> {
        let mut all: Vec<_> = self.map.iter().map(|(u, t)| (u.as_str(), t)).collect();
        all.sort_by(|a, b| a.0.cmp(b.0));
        all
    }
}

/// The length of `scheme://` at the start of `s`, if it starts with one.
fn scheme_len(s: &str) -> Option<usize> {
    let colon = s.find("://")?;
    let scheme = &s[..colon];
    let mut chars = scheme.chars();
    let first_ok = chars.next().is_some_and(|c| c.is_ascii_alphabetic());
    let rest_ok = chars.all(|c| c.is_ascii_alphanumeric() || matches!(c, '+' | '-' | '.'));
    (first_ok && rest_ok).then_some(colon + 3)
}

fn target_of(target: &str, base: Option<&Path>) -> Result<Redirect, DataError> {
    let lower = target.to_ascii_lowercase();
    if lower.starts_with("http://") || lower.starts_with("https://") {
        return Ok(Redirect::Url(target.to_string()));
    }
    let path = if lower.starts_with("file://") {
        reqwest::Url::parse(target)
            .ok()
            .and_then(|u| u.to_file_path().ok())
            .ok_or_else(|| DataError::Redirect { message: format!("`{target}` is not a usable file URL") })?
    } else if scheme_len(target).is_some() {
        return Err(DataError::Redirect {
            message: format!("cannot redirect to `{target}`: only http(s) URLs and local paths"),
        });
    } else {
        PathBuf::from(target)
    };
    Ok(Redirect::File(match base {
        Some(base) if path.is_relative() => base.join(path),
        _ => path,
    }))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn split(arg: &str) -> (String, Redirect) {
        Redirects::parse_arg(arg).expect("valid argument")
    }

    #[test]
    fn query_strings_stay_in_the_url() {
        assert_eq!(
            split("https://h/f?a=1&b=2=feeds/f.txt"),
            ("https://h/f?a=1&b=2".to_string(), Redirect::File("feeds/f.txt".into()))
        );
        assert_eq!(
            split("https://h/x.txt=/srv/feeds/x.txt"),
            ("https://h/x.txt".to_string(), Redirect::File("/srv/feeds/x.txt".into()))
        );
    }

    #[test]
    fn url_targets_may_have_queries() {
        assert_eq!(
            split("https://h/x?k=v=http://127.0.0.1:8000/x?k=v"),
            ("https://h/x?k=v".to_string(), Redirect::Url("http://127.0.0.1:8000/x?k=v".to_string()))
        );
        assert_eq!(
            split("https://h/x?u=http://a/b=https://c/d"),
            ("https://h/x?u=http://a/b".to_string(), Redirect::Url("https://c/d".to_string()))
        );
    }

    #[test]
    fn bad_arguments() {
        for bad in ["feed.txt=local.txt", "https://h/x", "https://h/x=", "https://=a"] {
            let err = Redirects::parse_arg(bad).expect_err(bad);
            assert!(matches!(err, DataError::Redirect { .. }), "{bad}: {err}");
        }
        assert!(Redirects::parse_arg("https://h/x=ftp://elsewhere/x").is_err());
    }

    #[test]
    fn toml_targets_resolve_against_the_folder() {
        let text = "[redirect]\n\"https://h/a.txt\" = \"a.txt\"\n\"https://h/b\" = \"https://127.0.0.1/b\"\n\"https://h/c\" = \"/abs/c.txt\"\n";
        let r = Redirects::from_toml(text, Path::new("data")).expect("valid file");
        assert_eq!(r.get("https://h/a.txt"), Some(&Redirect::File(Path::new("data").join("a.txt"))));
        assert_eq!(r.get("https://h/b"), Some(&Redirect::Url("https://127.0.0.1/b".to_string())));
        assert_eq!(r.get("https://h/c"), Some(&Redirect::File("/abs/c.txt".into())));
        assert_eq!(r.len(), 3);
        let typo = Redirects::from_toml("[redirects]\n\"https://h/a\" = \"a\"\n", Path::new("."));
        assert!(matches!(typo, Err(DataError::Redirect { .. })));
    }

    #[test]
    fn cli_overrides_file() {
        let mut file = Redirects::from_toml("[redirect]\n\"https://h/a\" = \"old.txt\"\n", Path::new("d"))
            .expect("valid");
        let mut cli = Redirects::new();
        cli.add_arg("https://h/a=new.txt").expect("valid");
        file.merge(cli);
        assert_eq!(file.get("https://h/a"), Some(&Redirect::File("new.txt".into())));
    }
}
