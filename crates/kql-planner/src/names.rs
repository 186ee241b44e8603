//! Kusto's rules for naming result columns.

use kql_syntax::ast::{Expr, ExprKind};

/// Picks `base`, or `base1`, `base2`, ... whichever is first not `taken`.
pub(crate) fn unique_name(base: &str, taken: impl Fn(&str) -> bool) -> String {
    if !taken(base) {
        return base.to_string();
    }
    (1..).map(|i| format!("{base}{i}")).find(|n| !taken(n)).unwrap_or_else(|| base.to_string())
}

/// The name Kusto gives an unnamed expression, when it derives one from the
/// expression itself: a column keeps its name, `bin(Col, ...)` and
/// `floor(Col, ...)` take the column's, `a.b` becomes `a_b`.
pub(crate) fn derived_name(expr: &Expr) -> Option<String> {
    match &expr.kind {
        ExprKind::Name(n) => Some(n.node.clone()),
        ExprKind::Call { func, args } if matches!(func.node.as_str(), "bin" | "floor") => {
            args.first().and_then(derived_name)
        }
        ExprKind::Member { expr: object, name } => derived_name(object).map(|o| format!("{o}_{}", name.node)),
        ExprKind::Index { expr: object, index } => match &index.kind {
            ExprKind::Literal(kql_syntax::ast::Literal::String(key)) => {
                derived_name(object).map(|o| format!("{o}_{key}"))
            }
            _ => None,
        },
        _ => None,
    }
}

/// The name of an unnamed aggregation: `count_`, `dcount_DeviceId`,
/// `set_DeviceName`; `take_any(X)` keeps `X`.
pub(crate) fn aggregate_name(func: &str, args: &[Expr]) -> String {
    let arg = args.first().and_then(derived_name);
    let prefix = match func {
        "make_set" | "makeset" | "make_set_if" => "set",
        "make_list" | "makelist" | "make_list_if" => "list",
        "make_bag" | "make_bag_if" => "bag",
        "take_any" | "any" | "take_anyif" => {
            return arg.unwrap_or_else(|| format!("{func}_"));
        }
        other => other,
    };
    match arg {
        Some(a) if !matches!(func, "count") => format!("{prefix}_{a}"),
        _ => format!("{prefix}_"),
    }
}

/// Matches a column name against a pattern in which `*` stands for any run
/// of characters.
pub(crate) fn wildcard_match(pattern: &str, name: &str) -> bool {
    let parts: Vec<&str> = pattern.split('*').collect();
    if parts.len() == 1 {
        return pattern == name;
    }
    let (first, last) = (parts[0], parts[parts.len() - 1]);
    if !name.starts_with(first) || !name[first.len()..].ends_with(last) {
        return false;
    }
    let mut rest = &name[first.len()..name.len() - last.len()];
    for part in &parts[1..parts.len() - 1] {
        match rest.find(part) {
            Some(i) => rest = &rest[i + part.len()..],
            None => return false,
        }
    }
    true
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn unique_names_skip_taken() {
        let taken = ["DeviceId", "DeviceId1"];
        assert_eq!(unique_name("DeviceId", |n| taken.contains(&n)), "DeviceId2");
        assert_eq!(unique_name("Other", |n| taken.contains(&n)), "Other");
    }

    #[test]
    fn wildcards() {
        assert!(wildcard_match("Initiating*", "InitiatingProcessId"));
        assert!(wildcard_match("*Id", "DeviceId"));
        assert!(wildcard_match("D*v*e*Id", "DeviceId"));
        assert!(!wildcard_match("Initiating*", "DeviceId"));
        assert!(!wildcard_match("Device", "DeviceId"));
        assert!(wildcard_match("*", "x"));
    }
}
