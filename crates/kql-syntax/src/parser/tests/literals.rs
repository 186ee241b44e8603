//! Literals: numbers, timespans, strings, typed and dynamic literals.

use super::*;

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
