//! Finding test cases and what each one needs: data, expected files and
//! comparison flags, from directive comments, `kql-test.toml` and a
//! documentation `manifest.jsonl`.

use std::collections::HashMap;
use std::fs;
use std::io;
use std::path::{Path, PathBuf};
use std::time::Duration;

use serde::Deserialize;

use crate::compare::CompareOptions;

/// The folder-wide settings file.
pub(crate) const CONFIG_FILE: &str = "kql-test.toml";
/// Per-case flags of cases copied from documentation.
const MANIFEST_FILE: &str = "manifest.jsonl";

/// A table source for a case: a folder of exports, or one file with an
/// optional table name.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct DataSource {
    pub path: PathBuf,
    pub table: Option<String>,
}

impl DataSource {
    /// Reads `path` or `path as Table`, relative to `base`.
    fn parse(spec: &str, base: &Path) -> Result<DataSource, String> {
        let spec = spec.trim();
        let (path, table) = match spec.rsplit_once(" as ") {
            Some((p, t)) if is_table_name(t.trim()) => (p.trim(), Some(t.trim().to_string())),
            _ => (spec, None),
        };
        if path.is_empty() {
            return Err("a data entry needs a path".into());
        }
        Ok(DataSource { path: base.join(path), table })
    }
}

fn is_table_name(s: &str) -> bool {
    !s.is_empty() && s.chars().all(|c| c.is_alphanumeric() || c == '_')
}

/// One case: a `.kql` file and everything needed to run and judge it.
#[derive(Debug, Clone)]
pub(crate) struct Case {
    /// The query file, as reached from the path the user gave.
    pub path: PathBuf,
    /// `NAME.expected.csv` beside the query (it may not exist yet).
    pub expected: PathBuf,
    /// `NAME.expected.altN.csv` files: any one of them may match instead.
    pub alternatives: Vec<PathBuf>,
    /// Tables to load before the query runs.
    pub data: Vec<DataSource>,
    /// The diagnostic code the query must fail with.
    pub expect_error: Option<String>,
    /// How to compare the result with the expected table.
    pub compare: CompareOptions,
    /// Expected cells are markdown source copied from documentation.
    pub docs_cells: bool,
    /// The expected files come from documentation: never rewrite them.
    pub from_docs: bool,
    /// Why the case is skipped, when it is.
    pub skip: Option<String>,
    /// How long the case may run.
    pub timeout: Duration,
    /// What `now()` and `ago()` start from (ns since the Unix epoch), so that
    /// a detection using `ago(7d)` gives the same result on old sample logs.
    pub now: Option<i64>,
    /// A mistake in the case's settings; the case fails with it.
    pub problem: Option<String>,
}

/// `kql-test.toml`: `[defaults]` for every case in the folder, and
/// `[cases.NAME]` for the case in `NAME.kql`.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct FolderConfig {
    #[serde(default)]
    defaults: CaseConfig,
    #[serde(default)]
    cases: HashMap<String, CaseConfig>,
}

#[derive(Debug, Default, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
struct CaseConfig {
    /// Folders or files (`path as Table`), relative to the settings file.
    #[serde(default)]
    data: Vec<String>,
    ordered: Option<bool>,
    expect_error: Option<String>,
    skip: Option<String>,
    /// Seconds.
    timeout: Option<u64>,
    /// The current time for `now()` and `ago()`, e.g. "2024-05-03T00:00:00Z".
    now: Option<String>,
}

/// Flags of one documentation case (see the conformance README).
#[derive(Debug, Default, Clone, Deserialize)]
struct ManifestEntry {
    case: String,
    #[serde(default)]
    ordered: bool,
    #[serde(default)]
    truncated: bool,
    #[serde(default)]
    nondeterministic: Vec<String>,
    #[serde(default)]
    values_elided: bool,
    #[serde(default)]
    approximate_functions: bool,
    #[serde(default)]
    set_valued_arrays: bool,
    header_matches_inferred_schema: Option<bool>,
    #[serde(default)]
    case_kind: String,
    #[serde(default)]
    alternative_expected: Vec<String>,
}

/// Settings read once per folder.
struct Folder {
    config: Result<FolderConfig, String>,
    manifest: HashMap<String, ManifestEntry>,
}

/// Finds cases under the given paths. A path that does not exist is a
/// usage error.
pub(crate) fn find_cases(paths: &[PathBuf], timeout: Duration) -> Result<Vec<Case>, String> {
    let mut files = Vec::new();
    for path in paths {
        let meta = fs::metadata(path).map_err(|e| format!("cannot read `{}`: {e}", path.display()))?;
        if meta.is_dir() {
            collect_queries(path, &mut files)
                .map_err(|e| format!("cannot list `{}`: {e}", path.display()))?;
        } else if path.extension().is_some_and(|e| e == "kql") {
            files.push(path.clone());
        } else {
            return Err(format!("`{}` is not a `.kql` file or a folder", path.display()));
        }
    }
    files.dedup();

    let mut folders: HashMap<PathBuf, Folder> = HashMap::new();
    let mut cases = Vec::with_capacity(files.len());
    for file in files {
        let dir = parent_of(&file);
        let folder = folders.entry(dir.clone()).or_insert_with(|| read_folder(&dir));
        cases.push(make_case(&file, &dir, folder, timeout));
    }
    Ok(cases)
}

/// `.kql` files under `dir`, sorted, skipping hidden folders and build
/// output.
fn collect_queries(dir: &Path, out: &mut Vec<PathBuf>) -> io::Result<()> {
    let mut entries: Vec<PathBuf> =
        fs::read_dir(dir)?.map(|e| e.map(|e| e.path())).collect::<Result<_, _>>()?;
    entries.sort();
    for path in entries {
        let name = path.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default();
        if path.is_dir() {
            if !name.starts_with('.') && name != "target" {
                collect_queries(&path, out)?;
            }
        } else if path.extension().is_some_and(|e| e == "kql") {
            out.push(path);
        }
    }
    Ok(())
}

fn parent_of(file: &Path) -> PathBuf {
    match file.parent() {
        Some(p) if !p.as_os_str().is_empty() => p.to_path_buf(),
        _ => PathBuf::from("."),
    }
}

fn read_folder(dir: &Path) -> Folder {
    let config_path = dir.join(CONFIG_FILE);
    let config = match fs::read_to_string(&config_path) {
        Ok(text) => {
            toml::from_str::<FolderConfig>(&text).map_err(|e| format!("`{}`: {e}", config_path.display()))
        }
        Err(e) if e.kind() == io::ErrorKind::NotFound => Ok(FolderConfig::default()),
        Err(e) => Err(format!("cannot read `{}`: {e}", config_path.display())),
    };
    // A documentation corpus keeps its manifest beside the cases folder.
    let manifest = [dir.join(MANIFEST_FILE), dir.join("..").join(MANIFEST_FILE)]
        .iter()
        .find_map(|p| fs::read_to_string(p).ok())
        .map(|text| read_manifest(&text))
        .unwrap_or_default();
    Folder { config, manifest }
}

fn read_manifest(text: &str) -> HashMap<String, ManifestEntry> {
    text.lines()
        .filter_map(|line| serde_json::from_str::<ManifestEntry>(line).ok())
        .map(|entry| (entry.case.clone(), entry))
        .collect()
}

fn make_case(file: &Path, dir: &Path, folder: &Folder, timeout: Duration) -> Case {
    let stem = file.file_stem().map(|s| s.to_string_lossy().into_owned()).unwrap_or_default();
    let mut case = Case {
        path: file.to_path_buf(),
        expected: dir.join(format!("{stem}.expected.csv")),
        alternatives: alternatives(dir, &stem),
        data: Vec::new(),
        expect_error: None,
        compare: CompareOptions::default(),
        docs_cells: false,
        from_docs: false,
        skip: None,
        timeout,
        now: None,
        problem: None,
    };
    let mut problems = Vec::new();

    // The folder's settings: defaults first, then the case's own table.
    match &folder.config {
        Ok(config) => {
            for settings in [Some(&config.defaults), config.cases.get(&stem)].into_iter().flatten() {
                apply_config(&mut case, settings, dir, &mut problems);
            }
        }
        Err(e) => problems.push(e.clone()),
    }

    if let Some(entry) = folder.manifest.get(&stem) {
        apply_manifest(&mut case, entry, dir);
    }

    // Directives in the query file win over the folder's settings.
    match fs::read_to_string(file) {
        Ok(text) => apply_directives(&mut case, &text, dir, &mut problems),
        Err(e) => problems.push(format!("cannot read the query: {e}")),
    }

    if !problems.is_empty() {
        case.problem = Some(problems.join("; "));
    }
    case
}

fn apply_config(case: &mut Case, settings: &CaseConfig, dir: &Path, problems: &mut Vec<String>) {
    for spec in &settings.data {
        match DataSource::parse(spec, dir) {
            Ok(source) => case.data.push(source),
            Err(e) => problems.push(format!("{CONFIG_FILE}: {e}")),
        }
    }
    if let Some(ordered) = settings.ordered {
        case.compare.ordered = ordered;
    }
    if let Some(code) = &settings.expect_error {
        case.expect_error = Some(code.clone());
    }
    if let Some(reason) = &settings.skip {
        case.skip = Some(reason.clone());
    }
    if let Some(secs) = settings.timeout {
        case.timeout = Duration::from_secs(secs);
    }
    if let Some(text) = &settings.now {
        match kql_functions::convert::parse_datetime(text) {
            Some(ns) => case.now = Some(ns),
            None => case.problem = Some(format!("`now` in kql-test.toml takes a datetime, not `{text}`")),
        }
    }
}

fn apply_manifest(case: &mut Case, entry: &ManifestEntry, dir: &Path) {
    case.docs_cells = true;
    case.from_docs = true;
    case.compare.ordered = entry.ordered;
    case.compare.truncated = entry.truncated;
    case.compare.shape_only = !entry.nondeterministic.is_empty();
    case.compare.values_elided = entry.values_elided;
    case.compare.approximate = entry.approximate_functions;
    case.compare.set_valued_arrays = entry.set_valued_arrays;
    case.compare.docs_text = true;
    case.compare.loose_column_names =
        entry.header_matches_inferred_schema == Some(false) || entry.case_kind == "expression-table";
    for alt in &entry.alternative_expected {
        let path = dir.join(alt);
        if !case.alternatives.contains(&path) {
            case.alternatives.push(path);
        }
    }
}

/// `NAME.expected.alt*.csv` beside the query, sorted.
fn alternatives(dir: &Path, stem: &str) -> Vec<PathBuf> {
    let prefix = format!("{stem}.expected.alt");
    let mut found: Vec<PathBuf> = fs::read_dir(dir)
        .into_iter()
        .flatten()
        .filter_map(Result::ok)
        .map(|e| e.path())
        .filter(|p| {
            p.file_name()
                .and_then(|n| n.to_str())
                .is_some_and(|n| n.starts_with(&prefix) && n.ends_with(".csv"))
        })
        .collect();
    found.sort();
    found
}

/// Reads the directive comments at the top of a query:
///
/// ```text
/// // data: ../testdata/defender
/// // data: exports/Alerts.csv as SecurityAlert
/// // expect-error: kql::plan::unknown_column
/// // order: exact
/// // skip: needs the graph operators
/// // timeout: 60
/// ```
///
/// Other comments, including ones with a colon, are left alone.
fn apply_directives(case: &mut Case, text: &str, dir: &Path, problems: &mut Vec<String>) {
    let text = text.strip_prefix('\u{feff}').unwrap_or(text);
    for line in text.lines() {
        let line = line.trim();
        if line.is_empty() {
            continue;
        }
        let Some(comment) = line.strip_prefix("//") else { break };
        let Some((key, value)) = comment.split_once(':') else { continue };
        let value = value.trim();
        // Keys are lower case, so prose such as `// Data: process events`
        // stays a comment.
        match key.trim() {
            "data" => match DataSource::parse(value, dir) {
                Ok(source) => case.data.push(source),
                Err(e) => problems.push(format!("`// data:` {e}")),
            },
            "expect-error" | "expect_error" => {
                if value.is_empty() {
                    problems.push("`// expect-error:` needs a diagnostic code".into());
                } else {
                    case.expect_error = Some(value.to_string());
                }
            }
            "order" => match value.to_ascii_lowercase().as_str() {
                "exact" => case.compare.ordered = true,
                "any" => case.compare.ordered = false,
                other => problems.push(format!("`// order:` takes `exact` or `any`, not `{other}`")),
            },
            "skip" => {
                case.skip = Some(if value.is_empty() { "skipped".to_string() } else { value.to_string() })
            }
            "timeout" => match value.trim_end_matches('s').trim().parse::<u64>() {
                Ok(secs) => case.timeout = Duration::from_secs(secs),
                Err(_) => problems.push(format!("`// timeout:` takes seconds, not `{value}`")),
            },
            "now" => match kql_functions::convert::parse_datetime(value) {
                Some(ns) => case.now = Some(ns),
                None => problems.push(format!("`// now:` takes a datetime, not `{value}`")),
            },
            _ => {}
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn blank_case() -> Case {
        Case {
            path: PathBuf::from("q.kql"),
            expected: PathBuf::from("q.expected.csv"),
            alternatives: Vec::new(),
            data: Vec::new(),
            expect_error: None,
            compare: CompareOptions::default(),
            docs_cells: false,
            from_docs: false,
            skip: None,
            timeout: Duration::from_secs(30),
            now: None,
            problem: None,
        }
    }

    #[test]
    fn directives_at_the_top_are_read() {
        let mut case = blank_case();
        let mut problems = Vec::new();
        let text = "// Hunt: odd logons\n// data: ../data\n//data: x/Alerts.csv as SecurityAlert\n\
                    // order: exact\n// expect-error: kql::plan::unknown_column\n\
                    T | take 1\n// data: ignored\n";
        apply_directives(&mut case, text, Path::new("cases"), &mut problems);
        assert!(problems.is_empty(), "{problems:?}");
        assert_eq!(
            case.data,
            vec![
                DataSource { path: PathBuf::from("cases/../data"), table: None },
                DataSource { path: PathBuf::from("cases/x/Alerts.csv"), table: Some("SecurityAlert".into()) },
            ]
        );
        assert!(case.compare.ordered);
        assert_eq!(case.expect_error.as_deref(), Some("kql::plan::unknown_column"));
    }

    #[test]
    fn bad_directive_values_are_problems() {
        let mut case = blank_case();
        let mut problems = Vec::new();
        apply_directives(
            &mut case,
            "// order: sideways\n// timeout: soon\nprint 1",
            Path::new("."),
            &mut problems,
        );
        assert_eq!(problems.len(), 2, "{problems:?}");
    }

    #[test]
    fn folder_settings_parse() {
        let config: FolderConfig = toml::from_str(
            "[defaults]\ndata = [\"../testdata/defender\"]\n\
             [cases.q]\nordered = true\nexpect_error = \"kql::x\"\n",
        )
        .expect("toml");
        assert_eq!(config.defaults.data, ["../testdata/defender"]);
        assert_eq!(config.cases["q"].ordered, Some(true));
        assert!(toml::from_str::<FolderConfig>("[cases.q]\norderd = true\n").is_err());
    }
}
