//! Generated documentation stays in step with the code.

use super::root;

/// `docs/functions.md` lists exactly the functions the registry has.
/// Regenerate it with `KQL_BLESS=1 cargo test -p kql --test cli docs`.
#[test]
fn functions_doc_is_current() {
    let generated = format!(
        "# Functions\n\nThe KQL functions `kql` runs, generated from the function registry \
         (`crates/kql-functions/src/registry.rs`). Any other function name is refused with \
         `kql::plan::unknown_function`.\n\n{}",
        kql_functions::functions_markdown()
    );
    let path = root().join("docs/functions.md");
    if std::env::var_os("KQL_BLESS").is_some() {
        std::fs::write(&path, &generated).expect("write docs/functions.md");
    }
    let current = std::fs::read_to_string(&path).unwrap_or_default();
    assert!(
        current == generated,
        "docs/functions.md is out of date: regenerate it with `KQL_BLESS=1 cargo test -p kql --test cli docs`"
    );
}
