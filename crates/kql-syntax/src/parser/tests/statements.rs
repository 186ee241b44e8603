//! Statements, lets, functions, comments and depth limits.

use super::*;

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
