//! Expressions: precedence, operators, calls.

use super::*;

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
