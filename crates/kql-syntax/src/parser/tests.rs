//! One test per construct: expressions, literals, sources, operators and
//! statements, with their spans.

#![allow(clippy::unwrap_used, clippy::panic)]

use crate::ast::*;
use crate::span::Span;
use crate::{SyntaxError, parse, parse_expr};

/// Parses a scalar or tabular expression, panicking with the error.
fn expr(src: &str) -> Expr {
    match parse_expr(src) {
        Ok(e) => e,
        Err(e) => panic!("{src:?}: {e:?}"),
    }
}

/// The text of `span` in `src`.
fn text(src: &str, span: Span) -> &str {
    span.text(src)
}

/// The outermost operator of a pipeline.
fn last_op(src: &str) -> Operator {
    match expr(src).kind {
        ExprKind::Pipe { op, .. } => *op,
        other => panic!("{src:?} is no pipeline: {other:?}"),
    }
}

fn lit(e: &Expr) -> &Literal {
    match &e.kind {
        ExprKind::Literal(l) => l,
        other => panic!("not a literal: {other:?}"),
    }
}

fn name_of(e: &Expr) -> &str {
    match &e.kind {
        ExprKind::Name(n) => &n.node,
        other => panic!("not a name: {other:?}"),
    }
}

fn binary(e: &Expr) -> (BinaryOp, &Expr, &Expr) {
    match &e.kind {
        ExprKind::Binary { op, left, right } => (op.node, left, right),
        other => panic!("not a binary: {other:?}"),
    }
}

fn call(e: &Expr) -> (&str, &[Expr]) {
    match &e.kind {
        ExprKind::Call { func, args } => (&func.node, args),
        other => panic!("not a call: {other:?}"),
    }
}

fn err(src: &str) -> SyntaxError {
    match parse(src) {
        Ok(q) => panic!("{src:?} parsed: {q:?}"),
        Err(e) => e,
    }
}

const HOUR: i64 = 36_000_000_000;

// ---------------------------------------------------------------------------
// Expressions

#[test]
fn precedence_of_arithmetic_and_logic() {
    let e = expr("a or b and c == 1 + 2 * 3");
    let (op, left, right) = binary(&e);
    assert_eq!(op, BinaryOp::Or);
    assert_eq!(name_of(left), "a");
    let (op, _, cmp) = binary(right);
    assert_eq!(op, BinaryOp::And);
    let (op, _, sum) = binary(cmp);
    assert_eq!(op, BinaryOp::Eq);
    let (op, one, product) = binary(sum);
    assert_eq!(op, BinaryOp::Add);
    assert_eq!(lit(one), &Literal::Long(1));
    assert_eq!(binary(product).0, BinaryOp::Mul);
    assert_eq!(e.span, Span::new(0, 25));
}

#[test]
fn subtraction_is_left_associative() {
    let src = "10 - 4 - 3";
    let e = expr(src);
    let (op, left, right) = binary(&e);
    assert_eq!(op, BinaryOp::Sub);
    assert_eq!(text(src, left.span), "10 - 4");
    assert_eq!(lit(right), &Literal::Long(3));
}

#[test]
fn unary_minus_and_brackets() {
    let src = "-(a + 1) * 2";
    let e = expr(src);
    let (op, left, _) = binary(&e);
    assert_eq!(op, BinaryOp::Mul);
    let ExprKind::Unary { op: UnaryOp::Neg, expr: inner } = &left.kind else { panic!("{left:?}") };
    assert_eq!(text(src, left.span), "-(a + 1)");
    assert_eq!(text(src, inner.span), "(a + 1)");
    let nested = expr("- - +x");
    let ExprKind::Unary { op: UnaryOp::Neg, expr: inner } = &nested.kind else { panic!() };
    let ExprKind::Unary { op: UnaryOp::Neg, expr: inner } = &inner.kind else { panic!() };
    assert!(matches!(inner.kind, ExprKind::Unary { op: UnaryOp::Plus, .. }));
}

#[test]
fn comparison_symbols() {
    let cases = [
        ("a == b", BinaryOp::Eq),
        ("a != b", BinaryOp::NotEq),
        ("a <> b", BinaryOp::NotEq),
        ("a < b", BinaryOp::Lt),
        ("a <= b", BinaryOp::LtEq),
        ("a > b", BinaryOp::Gt),
        ("a >= b", BinaryOp::GtEq),
        ("a =~ b", BinaryOp::EqTilde),
        ("a !~ b", BinaryOp::NotEqTilde),
        ("a % b", BinaryOp::Mod),
        ("a / b", BinaryOp::Div),
    ];
    for (src, want) in cases {
        let e = expr(src);
        let ExprKind::Binary { op, .. } = &e.kind else { panic!("{src}") };
        assert_eq!(op.node, want, "{src}");
        assert_eq!(op.span.start, 2, "{src}");
    }
}

#[test]
fn string_operators_by_longest_word() {
    let mode = |case_sensitive, negated| StrOpMode { case_sensitive, negated };
    let cases = [
        ("contains", StrOp::Contains, mode(false, false)),
        ("!contains", StrOp::Contains, mode(false, true)),
        ("contains_cs", StrOp::Contains, mode(true, false)),
        ("!contains_cs", StrOp::Contains, mode(true, true)),
        ("has", StrOp::Has, mode(false, false)),
        ("!has", StrOp::Has, mode(false, true)),
        ("has_cs", StrOp::Has, mode(true, false)),
        ("!has_cs", StrOp::Has, mode(true, true)),
        ("hasprefix", StrOp::HasPrefix, mode(false, false)),
        ("!hasprefix_cs", StrOp::HasPrefix, mode(true, true)),
        ("hassuffix", StrOp::HasSuffix, mode(false, false)),
        ("hassuffix_cs", StrOp::HasSuffix, mode(true, false)),
        ("!hassuffix", StrOp::HasSuffix, mode(false, true)),
        ("startswith", StrOp::StartsWith, mode(false, false)),
        ("!startswith_cs", StrOp::StartsWith, mode(true, true)),
        ("endswith", StrOp::EndsWith, mode(false, false)),
        ("endswith_cs", StrOp::EndsWith, mode(true, false)),
        ("!endswith", StrOp::EndsWith, mode(false, true)),
        ("matches regex", StrOp::MatchesRegex, mode(true, false)),
    ];
    for (word, want_op, want_mode) in cases {
        let src = format!("x {word} 'a'");
        let e = expr(&src);
        let ExprKind::Binary { op, left, right } = &e.kind else { panic!("{src}") };
        assert_eq!(op.node, BinaryOp::Str(want_op, want_mode), "{src}");
        assert_eq!(text(&src, op.span), word);
        assert_eq!(name_of(left), "x");
        assert_eq!(lit(right), &Literal::String("a".into()));
    }
}

#[test]
fn set_operators_take_lists() {
    let cases = [
        ("in", SetOp::In),
        ("!in", SetOp::NotIn),
        ("in~", SetOp::InCi),
        ("!in~", SetOp::NotInCi),
        ("has_any", SetOp::HasAny),
        ("has_all", SetOp::HasAll),
    ];
    for (word, want) in cases {
        let src = format!("x {word} ('a', \"b\", 3)");
        let e = expr(&src);
        let ExprKind::In { expr: tested, op, list } = &e.kind else { panic!("{src}") };
        assert_eq!(op.node, want);
        assert_eq!(text(&src, op.span), word);
        assert_eq!(name_of(tested), "x");
        assert_eq!(list.len(), 3);
        assert_eq!(lit(&list[2]), &Literal::Long(3));
        assert_eq!(e.span, Span::new(0, src.len()));
    }
}

#[test]
fn in_list_may_hold_a_pipeline() {
    let e = expr("RemoteIP in (T | where x > 1 | project ip)");
    let ExprKind::In { list, .. } = &e.kind else { panic!() };
    assert_eq!(list.len(), 1);
    let ExprKind::Pipe { op, .. } = &list[0].kind else { panic!("{:?}", list[0]) };
    assert!(matches!(op.kind, OperatorKind::Project(_)));
}

#[test]
fn between_and_not_between() {
    let src = "x between (1 .. 10)";
    let e = expr(src);
    let ExprKind::Between { low, high, negated, .. } = &e.kind else { panic!() };
    assert_eq!((lit(low), lit(high), *negated), (&Literal::Long(1), &Literal::Long(10), false));
    assert_eq!(e.span, Span::new(0, src.len()));
    let e = expr("t !between (ago(1d)..now())");
    let ExprKind::Between { low, negated, .. } = &e.kind else { panic!() };
    assert!(*negated);
    assert_eq!(call(low).0, "ago");
}

#[test]
fn comparisons_bind_tighter_than_and() {
    let e = expr("a has 'x' and b in (1) or c between (1 .. 2)");
    let (op, left, right) = binary(&e);
    assert_eq!(op, BinaryOp::Or);
    assert_eq!(binary(left).0, BinaryOp::And);
    assert!(matches!(right.kind, ExprKind::Between { .. }));
}

#[test]
fn calls_members_and_indexes() {
    let src = "parse_json(x).a.['b c'][0].count";
    let e = expr(src);
    let ExprKind::Member { expr: inner, name } = &e.kind else { panic!() };
    assert_eq!(name.node, "count");
    let ExprKind::Index { expr: inner, index } = &inner.kind else { panic!() };
    assert_eq!(lit(index), &Literal::Long(0));
    let ExprKind::Member { expr: inner, name } = &inner.kind else { panic!() };
    assert_eq!((name.node.as_str(), text(src, name.span)), ("b c", "['b c']"));
    let ExprKind::Member { expr: inner, name } = &inner.kind else { panic!() };
    assert_eq!(name.node, "a");
    let (func, args) = call(inner);
    assert_eq!((func, args.len()), ("parse_json", 1));
    assert_eq!(text(src, inner.span), "parse_json(x)");
    let e = expr("TargetResources.[0].displayName");
    let ExprKind::Member { expr: inner, .. } = &e.kind else { panic!() };
    assert!(matches!(inner.kind, ExprKind::Index { .. }));
}

#[test]
fn special_names_and_keywords_as_names() {
    assert_eq!(name_of(&expr("$left")), "$left");
    assert_eq!(name_of(&expr("['Name with space']")), "Name with space");
    assert_eq!(name_of(&expr("[\"x\"]")), "x");
    for word in ["project", "count", "type", "kind", "by", "from"] {
        assert_eq!(name_of(&expr(word)), word);
    }
    let e = expr("not(isempty(x))");
    let (func, args) = call(&e);
    assert_eq!((func, args.len()), ("not", 1));
}

#[test]
fn star_arguments_and_typeof() {
    let src = "arg_max(Timestamp, *)";
    let e = expr(src);
    let (func, args) = call(&e);
    assert_eq!(func, "arg_max");
    assert_eq!(args[1].kind, ExprKind::Star);
    assert_eq!(text(src, args[1].span), "*");
    assert_eq!(call(&expr("count()")).1.len(), 0);
    let e = expr("typeof(string)");
    let ExprKind::TypeOf(ty) = &e.kind else { panic!() };
    assert_eq!((ty.node, ty.span), (ScalarType::String, Span::new(7, 13)));
    let e = expr("* has 'x'");
    assert_eq!(binary(&e).1.kind, ExprKind::Star);
    let e = expr("typeof(int)");
    assert!(matches!(e.kind, ExprKind::TypeOf(ref t) if t.node == ScalarType::Int));
}

#[test]
fn named_arguments_of_calls() {
    let src = "f(b = 1, a = T | count, 3)";
    let e = expr(src);
    let (func, args) = call(&e);
    assert_eq!((func, args.len()), ("f", 3));
    let ExprKind::NamedArg { name, value } = &args[0].kind else { panic!("{:?}", args[0]) };
    assert_eq!((name.node.as_str(), lit(value)), ("b", &Literal::Long(1)));
    assert_eq!(text(src, args[0].span), "b = 1");
    let ExprKind::NamedArg { value, .. } = &args[1].kind else { panic!() };
    assert!(matches!(value.kind, ExprKind::Pipe { .. }));
    assert_eq!(lit(&args[2]), &Literal::Long(3));
    assert!(parse("print x in (a = 1)").is_err());
}

#[test]
fn toscalar_of_a_pipeline_is_a_call() {
    let e = expr("toscalar(T | summarize count())");
    let (func, args) = call(&e);
    assert_eq!(func, "toscalar");
    assert!(matches!(args[0].kind, ExprKind::Pipe { .. }));
}

// ---------------------------------------------------------------------------
// Literals

#[test]
fn numbers() {
    assert_eq!(lit(&expr("42")), &Literal::Long(42));
    assert_eq!(lit(&expr("1.5")), &Literal::Real(1.5));
    assert_eq!(lit(&expr("1e3")), &Literal::Real(1000.0));
    assert_eq!(lit(&expr(".5")), &Literal::Real(0.5));
    assert_eq!(lit(&expr("0x1F")), &Literal::Long(31));
    assert_eq!(lit(&expr("true")), &Literal::Bool(true));
    assert_eq!(lit(&expr("false")), &Literal::Bool(false));
    assert_eq!(lit(&expr("True")), &Literal::Bool(true));
}

#[test]
fn timespans() {
    let cases = [
        ("1d", 24 * HOUR),
        ("2h", 2 * HOUR),
        ("30m", HOUR / 2),
        ("10s", 100_000_000),
        ("100ms", 1_000_000),
        ("10microsecond", 100),
        ("5tick", 5),
        ("1.5h", HOUR * 3 / 2),
        ("1day", 24 * HOUR),
        ("2hours", 2 * HOUR),
        ("3minutes", 3 * 600_000_000),
        ("4seconds", 40_000_000),
        ("5milliseconds", 50_000),
        ("1microseconds", 10),
        ("1ticks", 1),
        ("1nanoseconds", 0),
        ("timespan(1d)", 24 * HOUR),
        ("time(1.02:03:04.5)", ((26 * 60 + 3) * 60 + 4) * 10_000_000 + 5_000_000),
        ("timespan(00:30:00)", HOUR / 2),
    ];
    for (src, ticks) in cases {
        assert_eq!(lit(&expr(src)), &Literal::TimeSpan(ticks), "{src}");
    }
}

#[test]
fn strings_and_escapes() {
    let s = |src: &str| match lit(&expr(src)) {
        Literal::String(s) => s.clone(),
        other => panic!("{other:?}"),
    };
    assert_eq!(s(r#""a\"b\\c\n\t\r""#), "a\"b\\c\n\t\r");
    assert_eq!(s(r"'it\'s'"), "it's");
    assert_eq!(s(r#""\u00e9""#), "é");
    assert_eq!(s(r#"@"C:\temp\""#), r"C:\temp\");
    assert_eq!(s(r#"@"say ""hi""""#), r#"say "hi""#);
    assert_eq!(s("@'it''s'"), "it's");
    assert_eq!(s(r#"h"secret""#), "secret");
    assert_eq!(s(r"H'secret'"), "secret");
    assert_eq!(s(r#"h@"C:\x""#), r"C:\x");
    assert_eq!(s("```line1\nline2```"), "line1\nline2");
    assert_eq!(s("\"a\" 'b'\n // c\n @\"c\""), "abc");
    assert_eq!(expr("\"a\" 'b'").span, Span::new(0, 7));
}

#[test]
fn typed_literals() {
    assert_eq!(lit(&expr("int(5)")), &Literal::Int(5));
    assert_eq!(lit(&expr("long(-1)")), &Literal::Long(-1));
    assert_eq!(lit(&expr("real(1.5)")), &Literal::Real(1.5));
    assert!(matches!(lit(&expr("real(nan)")), Literal::Real(v) if v.is_nan()));
    assert_eq!(lit(&expr("real(+inf)")), &Literal::Real(f64::INFINITY));
    assert_eq!(lit(&expr("real(-inf)")), &Literal::Real(f64::NEG_INFINITY));
    assert_eq!(lit(&expr("double(2)")), &Literal::Real(2.0));
    assert_eq!(lit(&expr("decimal(1.50)")), &Literal::Decimal("1.50".into()));
    assert_eq!(lit(&expr("bool(true)")), &Literal::Bool(true));
    assert_eq!(lit(&expr("datetime(2024-01-01)")), &Literal::DateTime("2024-01-01".into()));
    let dt = "2024-01-01 10:00:00.1234567";
    assert_eq!(lit(&expr(&format!("datetime({dt})"))), &Literal::DateTime(dt.into()));
    assert_eq!(
        lit(&expr("datetime(2024-01-01T10:00:00Z)")),
        &Literal::DateTime("2024-01-01T10:00:00Z".into())
    );
    let g = "74be27de-1e4e-49d9-b579-fe0b331d3642";
    assert_eq!(lit(&expr(&format!("guid({g})"))), &Literal::Guid(g.into()));
    for (src, ty) in [
        ("int(null)", ScalarType::Int),
        ("datetime(null)", ScalarType::DateTime),
        ("dynamic(null)", ScalarType::Dynamic),
        ("string(null)", ScalarType::String),
        ("timespan(null)", ScalarType::TimeSpan),
        ("guid(null)", ScalarType::Guid),
    ] {
        assert_eq!(lit(&expr(src)), &Literal::Null(ty), "{src}");
    }
    assert_eq!(expr("int(5)").span, Span::new(0, 6));
}

#[test]
fn dynamic_literals() {
    let src = r#"dynamic({"a": [1, -2.5, 'x', true, null], 'b': {"c": datetime(2024-01-01), "d": 1h}})"#;
    let e = expr(src);
    let Literal::Dynamic(DynValue::Object(fields)) = lit(&e) else { panic!() };
    assert_eq!(fields.len(), 2);
    assert_eq!(
        fields[0],
        (
            "a".to_string(),
            DynValue::Array(vec![
                DynValue::Long(1),
                DynValue::Real(-2.5),
                DynValue::String("x".into()),
                DynValue::Bool(true),
                DynValue::Null,
            ])
        )
    );
    let DynValue::Object(inner) = &fields[1].1 else { panic!() };
    assert_eq!(inner[0].1, DynValue::DateTime("2024-01-01".into()));
    assert_eq!(inner[1].1, DynValue::TimeSpan(HOUR));
    assert_eq!(lit(&expr("dynamic([])")), &Literal::Dynamic(DynValue::Array(vec![])));
    assert_eq!(lit(&expr("dynamic('s')")), &Literal::Dynamic(DynValue::String("s".into())));
    let multi = "dynamic([\n  \"a\", // first\n  \"b\",\n])";
    assert_eq!(
        lit(&expr(multi)),
        &Literal::Dynamic(DynValue::Array(vec![DynValue::String("a".into()), DynValue::String("b".into())]))
    );
}

// ---------------------------------------------------------------------------
// Sources

#[test]
fn datatable_source() {
    let src = "datatable (a: long, ['b c']: string) [1, \"x\", 2, 'y',]";
    let e = expr(src);
    let ExprKind::DataTable { columns, values } = &e.kind else { panic!() };
    assert_eq!(columns.len(), 2);
    assert_eq!((columns[1].name.node.as_str(), columns[1].ty.node), ("b c", ScalarType::String));
    assert_eq!(values.len(), 4);
    assert_eq!(lit(&values[3]), &Literal::String("y".into()));
    assert_eq!(e.span, Span::new(0, src.len()));
}

#[test]
fn externaldata_source() {
    let src = r#"externaldata (c: string, n: long) [ "https://a/x.csv", @"https://b/y.csv" ] with (format="txt", ignoreFirstRecord=true, mode=fast)"#;
    let e = expr(src);
    let ExprKind::ExternalData { columns, uris, properties } = &e.kind else { panic!() };
    assert_eq!(columns.len(), 2);
    assert_eq!(uris.len(), 2);
    assert_eq!(lit(&uris[1]), &Literal::String("https://b/y.csv".into()));
    assert_eq!(properties.len(), 3);
    assert_eq!(properties[0].name.node, "format");
    assert_eq!(lit(&properties[0].value), &Literal::String("txt".into()));
    assert_eq!(properties[1].name.node, "ignoreFirstRecord");
    assert_eq!(lit(&properties[1].value), &Literal::Bool(true));
    assert_eq!(name_of(&properties[2].value), "fast");
    assert_eq!(text(src, properties[0].span), "format=\"txt\"");
    let e = expr("externaldata (c: string) [\"u\"]");
    assert!(matches!(e.kind, ExprKind::ExternalData { ref properties, .. } if properties.is_empty()));
}

#[test]
fn print_range_and_union_sources() {
    let src = "print x = 1, y";
    let ExprKind::Print(items) = expr(src).kind else { panic!() };
    assert_eq!(items[0].names[0].node, "x");
    assert!(items[1].names.is_empty());
    assert_eq!(text(src, items[0].span), "x = 1");

    let ExprKind::Range { name, from, to, step } = expr("range x from 1 to 10 step 2").kind else { panic!() };
    assert_eq!(name.node, "x");
    assert_eq!(
        (lit(&from), lit(&to), lit(&step)),
        (&Literal::Long(1), &Literal::Long(10), &Literal::Long(2))
    );

    let src = "union kind=outer withsource=T T1, Device*, (T3 | take 1), table('x')";
    let ExprKind::Union(args) = expr(src).kind else { panic!() };
    assert_eq!(args.params.len(), 2);
    assert_eq!(args.params[1].name.node, "withsource");
    assert_eq!(name_of(&args.params[1].value), "T");
    assert_eq!(args.tables.len(), 4);
    assert_eq!(name_of(&args.tables[1]), "Device*");
    assert!(matches!(args.tables[2].kind, ExprKind::Pipe { .. }));
    assert_eq!(call(&args.tables[3]).0, "table");
}

#[test]
fn unsupported_sources_skip_to_the_pipe() {
    let src = "search in (T1, T2) \"err|x\" | take 5";
    let op = last_op(src);
    assert!(matches!(op.kind, OperatorKind::Take(_)));
    let ExprKind::Pipe { input, .. } = expr(src).kind else { panic!() };
    let ExprKind::UnsupportedSource { keyword } = &input.kind else { panic!() };
    assert_eq!(keyword.node, "search");
    assert_eq!(text(src, input.span), "search in (T1, T2) \"err|x\"");
    assert!(matches!(expr("evaluate bag_unpack(x)").kind, ExprKind::UnsupportedSource { .. }));
    assert!(matches!(expr("find where x == 1").kind, ExprKind::UnsupportedSource { .. }));
}

// ---------------------------------------------------------------------------
// Operators

#[test]
fn pipes_nest_to_the_left() {
    let src = "T | where a | take 5";
    let e = expr(src);
    let ExprKind::Pipe { input, op } = &e.kind else { panic!() };
    assert!(matches!(op.kind, OperatorKind::Take(_)));
    assert_eq!(text(src, op.span), "take 5");
    assert_eq!(text(src, op.keyword), "take");
    let ExprKind::Pipe { input, op } = &input.kind else { panic!() };
    assert!(matches!(op.kind, OperatorKind::Where(_)));
    assert_eq!(name_of(input), "T");
    assert_eq!(e.span, Span::new(0, src.len()));
}

#[test]
fn where_filter_extend_project() {
    assert!(matches!(last_op("T | filter x").kind, OperatorKind::Where(_)));
    let src = "T | extend a = 1, b, (c, d) = f(x)";
    let op = last_op(src);
    let OperatorKind::Extend(items) = op.kind else { panic!() };
    assert_eq!(items.len(), 3);
    assert_eq!(items[2].names.iter().map(|n| n.node.as_str()).collect::<Vec<_>>(), ["c", "d"]);
    assert_eq!(text(src, items[2].span), "(c, d) = f(x)");
    let OperatorKind::Project(items) = last_op("T | project ['a b'] = x, count = count_").kind else {
        panic!()
    };
    assert_eq!(items[0].names[0].node, "a b");
    assert_eq!(items[1].names[0].node, "count");
    let OperatorKind::Project(items) = last_op("T | project x == 1").kind else { panic!() };
    assert!(items[0].names.is_empty());
}

#[test]
fn project_variants() {
    let OperatorKind::ProjectAway(p) = last_op("T | project-away a, Init*, ['x y']").kind else { panic!() };
    assert_eq!(p.iter().map(|p| p.pattern.node.as_str()).collect::<Vec<_>>(), ["a", "Init*", "x y"]);
    assert!(p[1].is_wildcard());
    let OperatorKind::ProjectKeep(p) = last_op("T | project-keep *Id").kind else { panic!() };
    assert_eq!(p[0].pattern.node, "*Id");
    let src = "T | project-rename New = Old, ['n 2'] = ['o 2']";
    let OperatorKind::ProjectRename(r) = last_op(src).kind else { panic!() };
    assert_eq!((r[0].0.node.as_str(), r[0].1.node.as_str()), ("New", "Old"));
    assert_eq!((r[1].0.node.as_str(), r[1].1.node.as_str()), ("n 2", "o 2"));
    let OperatorKind::ProjectReorder(r) = last_op("T | project-reorder A, B* asc, C desc").kind else {
        panic!()
    };
    assert_eq!(r.len(), 3);
    assert_eq!(r[0].1, None);
    assert_eq!(r[1].1.as_ref().map(|o| o.node), Some(SortOrder::Asc));
    assert_eq!(r[2].1.as_ref().map(|o| o.node), Some(SortOrder::Desc));
}

#[test]
fn summarize_forms() {
    let src = "T | summarize hint.strategy=shuffle a = count(), avg(x) by K1, bin(Timestamp, 1h)";
    let OperatorKind::Summarize { params, aggregates, by } = last_op(src).kind else { panic!() };
    assert_eq!(params.len(), 1);
    assert_eq!(params[0].name.node, "hint.strategy");
    assert_eq!(name_of(&params[0].value), "shuffle");
    assert_eq!(aggregates.len(), 2);
    assert_eq!(aggregates[0].names[0].node, "a");
    assert_eq!(by.len(), 2);
    assert_eq!(call(&by[1].expr).0, "bin");
    let OperatorKind::Summarize { aggregates, by, .. } = last_op("T | summarize by X").kind else { panic!() };
    assert!(aggregates.is_empty());
    assert_eq!(by.len(), 1);
    let OperatorKind::Summarize { aggregates, by, .. } = last_op("T | summarize count()").kind else {
        panic!()
    };
    assert_eq!(aggregates.len(), 1);
    assert!(by.is_empty());
    let OperatorKind::Summarize { aggregates, .. } = last_op("T | summarize (a, b) = arg_max(x, y)").kind
    else {
        panic!()
    };
    assert_eq!(aggregates[0].names.len(), 2);
    let OperatorKind::Summarize { aggregates, .. } = last_op("T | summarize Count = count()").kind else {
        panic!()
    };
    assert_eq!(aggregates[0].names[0].node, "Count");
}

#[test]
fn distinct_take_sort_top_count() {
    assert_eq!(last_op("T | distinct *").kind, OperatorKind::Distinct(vec![]));
    let OperatorKind::Distinct(items) = last_op("T | distinct A, B").kind else { panic!() };
    assert_eq!(items.len(), 2);
    let OperatorKind::Take(n) = last_op("T | limit 10").kind else { panic!() };
    assert_eq!(lit(&n), &Literal::Long(10));
    let OperatorKind::Sort(keys) = last_op("T | order by x desc nulls last, y asc nulls first, z").kind
    else {
        panic!()
    };
    assert_eq!(keys.len(), 3);
    assert_eq!(
        (keys[0].order.as_ref().map(|o| o.node), keys[0].nulls_first),
        (Some(SortOrder::Desc), Some(false))
    );
    assert_eq!(
        (keys[1].order.as_ref().map(|o| o.node), keys[1].nulls_first),
        (Some(SortOrder::Asc), Some(true))
    );
    assert_eq!((keys[2].order.as_ref(), keys[2].nulls_first), (None, None));
    let OperatorKind::Top { count, key } = last_op("T | top 10 by x asc nulls first").kind else { panic!() };
    assert_eq!(lit(&count), &Literal::Long(10));
    assert_eq!(key.nulls_first, Some(true));
    assert_eq!(last_op("T | count").kind, OperatorKind::Count);
    assert_eq!(last_op("T | getschema").kind, OperatorKind::GetSchema);
}

#[test]
fn join_and_lookup() {
    let src = "L | join kind=inner hint.strategy=broadcast (R | where x) on A, $left.B == $right.C, $right.E == $left.D";
    let op = last_op(src);
    let OperatorKind::Join { params, right, on } = op.kind else { panic!() };
    assert_eq!(params.len(), 2);
    assert_eq!((params[0].name.node.as_str(), name_of(&params[0].value)), ("kind", "inner"));
    assert!(matches!(right.kind, ExprKind::Pipe { .. }));
    assert_eq!(on.len(), 3);
    assert!(matches!(&on[0], JoinKey::Column(c) if c.node == "A"));
    let JoinKey::Equal { left, right, span } = &on[1] else { panic!() };
    assert_eq!((left.node.as_str(), right.node.as_str()), ("B", "C"));
    assert_eq!(text(src, *span), "$left.B == $right.C");
    let JoinKey::Equal { left, right, .. } = &on[2] else { panic!() };
    assert_eq!((left.node.as_str(), right.node.as_str()), ("D", "E"));
    let OperatorKind::Lookup { params, right, on } = last_op("F | lookup kind=leftouter Dim on Key").kind
    else {
        panic!()
    };
    assert_eq!(params.len(), 1);
    assert_eq!(name_of(&right), "Dim");
    assert_eq!(on.len(), 1);
}

#[test]
fn union_as_serialize_invoke_mv_expand() {
    let OperatorKind::Union(args) = last_op("T | union withsource=S T2, (T3)").kind else { panic!() };
    assert_eq!((args.params.len(), args.tables.len()), (1, 2));
    let OperatorKind::As(name) = last_op("T | as Saved").kind else { panic!() };
    assert_eq!(name.node, "Saved");
    assert_eq!(last_op("T | serialize").kind, OperatorKind::Serialize(vec![]));
    let OperatorKind::Serialize(items) = last_op("T | serialize n = row_number()").kind else { panic!() };
    assert_eq!(items[0].names[0].node, "n");
    let OperatorKind::Invoke(f) = last_op("T | invoke f(1)").kind else { panic!() };
    assert_eq!(call(&f).0, "f");

    let src = "T | mv-expand bagexpansion=array with_itemindex=i col to typeof(long), x = col2 limit 5";
    let OperatorKind::MvExpand { params, columns, types, limit } = last_op(src).kind else { panic!() };
    assert_eq!(params.len(), 2);
    assert_eq!(params[1].name.node, "with_itemindex");
    assert_eq!(columns.len(), 2);
    assert_eq!(columns[1].names[0].node, "x");
    assert_eq!(types[0].as_ref().map(|t| t.node), Some(ScalarType::Long));
    assert_eq!(types[1], None);
    assert_eq!(limit.as_ref().map(lit), Some(&Literal::Long(5)));
    assert!(matches!(last_op("T | mvexpand a").kind, OperatorKind::MvExpand { .. }));
}

#[test]
fn parse_patterns() {
    let src = "T | parse kind=regex flags=Ui Text with * \"id=\" Id:long ', ' Rest | take 1";
    let q = parse(src).unwrap();
    let Statement::Query(e) = &q.statements[0] else { panic!() };
    let ExprKind::Pipe { input, .. } = &e.kind else { panic!() };
    let ExprKind::Pipe { op, .. } = &input.kind else { panic!() };
    let OperatorKind::Parse { params, expr, pattern, drop_unmatched } = &op.kind else { panic!() };
    assert_eq!(params.len(), 2);
    assert_eq!(params[1].name.node, "flags");
    assert!(matches!(&expr.kind, ExprKind::Name(n) if n.node == "Text"));
    assert!(!drop_unmatched);
    assert_eq!(pattern.len(), 5);
    assert!(matches!(pattern[0], ParsePart::Star(_)));
    assert!(matches!(&pattern[1], ParsePart::Text(t) if t.node == "id="));
    let ParsePart::Column { name, ty } = &pattern[2] else { panic!() };
    assert_eq!((name.node.as_str(), ty.as_ref().map(|t| t.node)), ("Id", Some(ScalarType::Long)));
    assert!(matches!(&pattern[4], ParsePart::Column { name, ty: None } if name.node == "Rest"));
    assert_eq!(text(src, op.span), "parse kind=regex flags=Ui Text with * \"id=\" Id:long ', ' Rest");

    let OperatorKind::Parse { drop_unmatched, .. } = last_op("T | parse-where x with a \":\" b").kind else {
        panic!()
    };
    assert!(drop_unmatched);
}

#[test]
fn unsupported_operators_cover_their_text() {
    let src = "T | parse-kv x as (y: string) with (quote=\"|\") | render timechart; T";
    let q = parse(src).unwrap();
    let Statement::Query(e) = &q.statements[0] else { panic!() };
    let ExprKind::Pipe { input, op } = &e.kind else { panic!() };
    assert_eq!(op.kind, OperatorKind::Unsupported { name: "render".into() });
    assert_eq!(text(src, op.span), "render timechart");
    let ExprKind::Pipe { op, .. } = &input.kind else { panic!() };
    assert_eq!(op.kind, OperatorKind::Unsupported { name: "parse-kv".into() });
    assert_eq!(text(src, op.span), "parse-kv x as (y: string) with (quote=\"|\")");
    assert_eq!(text(src, op.keyword), "parse-kv");

    let src =
        "(T | mv-apply x on (where a | take 1) | make-series n=count() on t step 1h) | mvapply y on (take 1)";
    let e = expr(src);
    let ExprKind::Pipe { input, op } = &e.kind else { panic!() };
    assert_eq!(op.kind, OperatorKind::Unsupported { name: "mv-apply".into() });
    let ExprKind::Pipe { op, .. } = &input.kind else { panic!() };
    assert_eq!(op.kind, OperatorKind::Unsupported { name: "make-series".into() });
    assert_eq!(text(src, op.span), "make-series n=count() on t step 1h");
    let src = "T | render barchart\n\n// next query\nU | take 1";
    let e = parse(src).unwrap_err();
    assert!(matches!(e, SyntaxError::Unexpected { ref found, .. } if found == "U"), "{e:?}");
    let src = "T | evaluate pivot(a)\nlet x = 1;";
    assert!(matches!(parse(src).unwrap_err(), SyntaxError::Unexpected { ref found, .. } if found == "let"));
    let src = "T | render timechart\n    with (title='a')\n| take 1";
    assert!(parse(src).is_ok());
    for kw in
        ["top-nested 3 of x by count()", "sample 5", "evaluate bag_unpack(d)", "partition by x (take 1)"]
    {
        let op = last_op(&format!("T | {kw}"));
        assert!(matches!(op.kind, OperatorKind::Unsupported { .. }), "{kw}");
    }
}

// ---------------------------------------------------------------------------
// Statements

#[test]
fn statements_and_lets() {
    let src = "let n = 5;; let T2 = T | take n ;\nT2 | count;";
    let q = parse(src).unwrap();
    assert_eq!(q.statements.len(), 3);
    let Statement::Let(l) = &q.statements[0] else { panic!() };
    assert_eq!(l.name.node, "n");
    assert_eq!(text(src, l.span), "let n = 5");
    let Statement::Let(l) = &q.statements[1] else { panic!() };
    assert!(matches!(&l.value, LetValue::Expr(e) if matches!(e.kind, ExprKind::Pipe { .. })));
    assert!(matches!(q.statements[2], Statement::Query(_)));
    assert_eq!(parse("let x = 1").unwrap().statements.len(), 1);
}

#[test]
fn functions_and_views() {
    let src =
        "let f = (a: string, b: long = 5, T:(*), U:(x:long, y:string)) { let c = a; T | take b }; f('x')";
    let q = parse(src).unwrap();
    let Statement::Let(l) = &q.statements[0] else { panic!() };
    let LetValue::Function(def) = &l.value else { panic!() };
    assert!(!def.is_view);
    assert_eq!(def.params.len(), 4);
    assert!(matches!(def.params[0].ty, ParamType::Scalar(ref t) if t.node == ScalarType::String));
    assert_eq!(def.params[1].default.as_ref().map(lit), Some(&Literal::Long(5)));
    assert_eq!(def.params[2].ty, ParamType::Tabular(vec![]));
    let ParamType::Tabular(cols) = &def.params[3].ty else { panic!() };
    assert_eq!(cols.len(), 2);
    assert_eq!(def.body.len(), 2);
    assert!(text(src, def.span).starts_with("(a: string"));
    assert!(text(src, def.span).ends_with("take b }"));

    let q = parse("let V = view () { T | take 1 }; V").unwrap();
    let Statement::Let(l) = &q.statements[0] else { panic!() };
    let LetValue::Function(def) = &l.value else { panic!() };
    assert!(def.is_view && def.params.is_empty() && def.body.len() == 1);

    let e = err("let g = () { 1 }; let h = (x: strng) { x }; g()");
    assert_eq!(e, SyntaxError::UnknownType { name: "strng".into(), span: Span::new(30, 35) });
    let q = parse("let p = (T | take 1); p").unwrap();
    let Statement::Let(l) = &q.statements[0] else { panic!() };
    assert!(matches!(l.value, LetValue::Expr(_)));
}

#[test]
fn unsupported_statements() {
    let src = "set querytrace; declare query_parameters(x:long = 1); T";
    let q = parse(src).unwrap();
    assert_eq!(q.statements.len(), 3);
    let Statement::Unsupported { keyword, span } = &q.statements[1] else { panic!() };
    assert_eq!(keyword.node, "declare");
    assert_eq!(text(src, *span), "declare query_parameters(x:long = 1)");
    assert!(matches!(&q.statements[0], Statement::Unsupported { keyword, .. } if keyword.node == "set"));
}

#[test]
fn comments_between_tokens() {
    let src = "// head\nT // after T\n| where /* not a comment */ x // c\n  > 1 // end";
    assert!(parse(src).is_err());
    let src = "// head\nT // after T\n| where x // c\n  > 1 // end\n";
    let q = parse(src).unwrap();
    let Statement::Query(e) = &q.statements[0] else { panic!() };
    assert_eq!(text(src, e.span), "T // after T\n| where x // c\n  > 1");
}

#[test]
fn nesting_depth_is_limited() {
    let deep = format!("print {}1{}", "(".repeat(10_000), ")".repeat(10_000));
    let handle = std::thread::Builder::new()
        .stack_size(2 * 1024 * 1024)
        .spawn(move || parse(&deep).map(|_| ()))
        .unwrap();
    let result = handle.join().expect("no stack overflow");
    assert!(matches!(result, Err(SyntaxError::Unexpected { .. })));
    let ok = format!("print {}1{}", "(".repeat(30), ")".repeat(30));
    assert!(parse(&ok).is_ok());
    let calls = format!("print {}1{}", "f(".repeat(30), ")".repeat(30));
    assert!(parse(&calls).is_ok());
    let dyn_deep = format!("print dynamic({}1{})", "[".repeat(5_000), "]".repeat(5_000));
    assert!(parse(&dyn_deep).is_err());
}

#[test]
fn deep_inputs_of_every_kind_fail_cleanly() {
    let inputs = [
        "let f = () { ".repeat(5_000),
        format!("print x{}", "[x".repeat(5_000)),
        format!("print {}", "f(".repeat(5_000)),
        format!("print {}", "-(".repeat(5_000)),
        format!("print {}", "x in (".repeat(5_000)),
        format!("print dynamic({})", "{\"a\": ".repeat(5_000)),
        format!("print {}", "toscalar(T | where ".repeat(5_000)),
        format!("print {}1", "- ".repeat(5_000)),
    ];
    let handle = std::thread::Builder::new()
        .stack_size(2 * 1024 * 1024)
        .spawn(move || inputs.iter().map(|src| parse(src).is_err()).collect::<Vec<_>>())
        .unwrap();
    assert_eq!(handle.join().expect("no stack overflow"), vec![true; 8]);
}
