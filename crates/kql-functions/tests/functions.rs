//! Calls built through the registry, run by DataFusion over small batches.

use std::sync::Arc;

use datafusion::arrow::array::{ArrayRef, Int64Array, RecordBatch, StringArray};
use datafusion::arrow::datatypes::{Field, Schema};
use datafusion::arrow::util::display::{ArrayFormatter, FormatOptions};
use datafusion::functions::core::expr_fn::get_field;
use datafusion::logical_expr::{Expr, ident, lit};
use datafusion::prelude::SessionContext;
use kql_functions::types::{KQL_TYPE_KEY, kql_field};
use kql_functions::{Arg, CallContext, Typed, extract_json_many, lookup};
use kql_syntax::ast::ScalarType;

/// A batch of string columns, `None` for null.
fn strings(cols: &[(&str, ScalarType, Vec<Option<&str>>)]) -> RecordBatch {
    let fields: Vec<Field> = cols.iter().map(|(n, t, _)| kql_field(*n, *t)).collect();
    let arrays: Vec<ArrayRef> =
        cols.iter().map(|(_, _, v)| Arc::new(StringArray::from(v.clone())) as ArrayRef).collect();
    RecordBatch::try_new(Arc::new(Schema::new(fields)), arrays).expect("valid batch")
}

/// Runs `exprs` over `batch`; each result column as text, `<null>` for null.
async fn run(batch: RecordBatch, exprs: Vec<Expr>) -> (Vec<Vec<String>>, Arc<Schema>) {
    let ctx = SessionContext::new();
    let exprs: Vec<Expr> = exprs.into_iter().enumerate().map(|(i, e)| e.alias(format!("c{i}"))).collect();
    let df = ctx.read_batch(batch).expect("read").select(exprs).expect("select");
    let batches = df.collect().await.expect("collect");
    let schema = batches.first().map(|b| b.schema()).expect("a batch");
    let opts = FormatOptions::default().with_null("<null>");
    let mut cols = vec![Vec::new(); schema.fields().len()];
    for b in &batches {
        for (c, out) in cols.iter_mut().enumerate() {
            let f = ArrayFormatter::try_new(b.column(c).as_ref(), &opts).expect("formattable");
            out.extend((0..b.num_rows()).map(|i| f.value(i).to_string()));
        }
    }
    (cols, schema)
}

fn call(name: &str, args: Vec<Arg>) -> Typed {
    let def = lookup(name).unwrap_or_else(|| panic!("{name} is registered"));
    (def.build)(&CallContext::default(), args).unwrap_or_else(|e| panic!("{name}: {e}"))
}

fn s(v: &str) -> Arg {
    Arg::expr(lit(v), ScalarType::String)
}

fn c(name: &str, ty: ScalarType) -> Arg {
    Arg::expr(ident(name), ty)
}

fn one_row() -> RecordBatch {
    strings(&[("x", ScalarType::String, vec![Some("")])])
}

/// Evaluates one constant call and returns its text.
async fn eval1(name: &str, args: Vec<Arg>) -> String {
    let t = call(name, args);
    run(one_row(), vec![t.expr]).await.0[0][0].clone()
}

#[tokio::test]
async fn extractjson_through_datafusion() {
    let docs = vec![
        Some(
            r#"{"InternetFacingReason":"PublicScan","InternetFacingLocalPort":443,"InternetFacingLastSeen":"2024-05-01 10:11:12.1234567","InternetFacingScannedPublicIp":null}"#,
        ),
        Some(r#"{"InternetFacingLocalPort":"8080"}"#),
        Some("{}"),
        Some(""),
        None,
    ];
    let batch = strings(&[("AdditionalFields", ScalarType::String, docs)]);
    let doc = || c("AdditionalFields", ScalarType::String);
    let port = call("extractjson", vec![s("$.InternetFacingLocalPort"), doc(), Arg::Type(ScalarType::Int)]);
    let reason =
        call("extract_json", vec![s("$.InternetFacingReason"), doc(), Arg::Type(ScalarType::String)]);
    let seen =
        call("extractjson", vec![s("$.InternetFacingLastSeen"), doc(), Arg::Type(ScalarType::DateTime)]);
    let ip = call("extractjson", vec![s("$.InternetFacingScannedPublicIp"), doc()]);
    assert_eq!(
        (port.ty, reason.ty, seen.ty, ip.ty),
        (ScalarType::Int, ScalarType::String, ScalarType::DateTime, ScalarType::String)
    );

    let (cols, _) = run(batch.clone(), vec![port.expr, reason.expr, seen.expr, ip.expr]).await;
    assert_eq!(cols[0], ["443", "8080", "<null>", "<null>", "<null>"]);
    assert_eq!(cols[1], ["PublicScan", "", "", "", ""]);
    assert_eq!(cols[2][0], "2024-05-01T10:11:12.123456700");
    assert_eq!(cols[3], ["", "", "", "", ""]);

    // The fused form gives the same values, one struct per row.
    let fused = extract_json_many(
        ident("AdditionalFields"),
        vec![
            ("$.InternetFacingLocalPort".into(), ScalarType::Int),
            ("$.InternetFacingReason".into(), ScalarType::String),
            ("$.InternetFacingLastSeen".into(), ScalarType::DateTime),
            ("$['InternetFacingScannedPublicIp']".into(), ScalarType::Dynamic),
        ],
    )
    .expect("valid paths");
    let fields = (0..4).map(|i| get_field(fused.clone(), format!("f{i}"))).collect();
    let (fcols, schema) = run(batch, fields).await;
    assert_eq!(fcols[0], cols[0]);
    assert_eq!(fcols[1], cols[1]);
    assert_eq!(fcols[2], cols[2]);
    assert_eq!(fcols[3], ["<null>"; 5]);
    assert_eq!(schema.field(3).metadata().get(KQL_TYPE_KEY).map(String::as_str), Some("dynamic"));
}

#[tokio::test]
async fn extractjson_rejects_bad_paths() {
    let def = lookup("extractjson").expect("registered");
    let ctx = CallContext::default();
    let err = (def.build)(&ctx, vec![c("p", ScalarType::String), s("{}")]).expect_err("non-constant path");
    assert!(matches!(err, kql_functions::FnError::Invalid { index: Some(0), .. }));
    let err = (def.build)(&ctx, vec![s("a.b"), s("{}")]).expect_err("no $");
    assert!(matches!(err, kql_functions::FnError::Invalid { index: Some(0), .. }));
    let err = (def.build)(&ctx, vec![s("$.a")]).expect_err("too few");
    assert_eq!(err, kql_functions::FnError::ArgCount { min: 2, max: Some(3), got: 1 });
}

#[tokio::test]
async fn dynamic_round_trips() {
    let batch = strings(&[(
        "t",
        ScalarType::String,
        vec![Some(r#"{"b": 2, "a": {"d": 1, "c": [3, "x"]}}"#), Some("hello"), Some("42"), Some(""), None],
    )]);
    let parsed = call("parse_json", vec![c("t", ScalarType::String)]);
    assert_eq!(parsed.ty, ScalarType::Dynamic);
    let back = call("tostring", vec![Arg::expr(parsed.expr.clone(), ScalarType::Dynamic)]);
    let canon = call("dynamic_to_json", vec![Arg::expr(parsed.expr.clone(), ScalarType::Dynamic)]);
    let (cols, schema) = run(batch, vec![parsed.expr, back.expr, canon.expr]).await;
    assert_eq!(cols[0], [r#"{"b":2,"a":{"d":1,"c":[3,"x"]}}"#, r#""hello""#, "42", "<null>", "<null>"]);
    assert_eq!(cols[1], [r#"{"b":2,"a":{"d":1,"c":[3,"x"]}}"#, "hello", "42", "", ""]);
    assert_eq!(cols[2], [r#"{"a":{"c":[3,"x"],"d":1},"b":2}"#, r#""hello""#, "42", "", ""]);
    assert_eq!(schema.field(0).metadata().get(KQL_TYPE_KEY).map(String::as_str), Some("dynamic"));
    assert!(schema.field(1).metadata().is_empty());
}

#[tokio::test]
async fn docs_example_nested_parse_json() {
    // let d='{"a":123, "b":"{\\"c\\":456}"}'; print parse_json(tostring(parse_json(d).b)).c
    let d = call("parse_json", vec![s(r#"{"a":123, "b":"{\"c\":456}"}"#)]);
    let b = call("extractjson", vec![s("$.b"), Arg::expr(d.expr, ScalarType::Dynamic)]);
    let inner = call("parse_json", vec![Arg::expr(b.expr, ScalarType::String)]);
    let c = call(
        "extractjson",
        vec![s("$.c"), Arg::expr(inner.expr, ScalarType::Dynamic), Arg::Type(ScalarType::Long)],
    );
    assert_eq!(run(one_row(), vec![c.expr]).await.0[0][0], "456");
}

#[tokio::test]
async fn arrays_and_bags() {
    let arr = || Arg::expr(lit(r#"["this","is","an","example","an","example"]"#), ScalarType::Dynamic);
    assert_eq!(eval1("array_length", vec![arr()]).await, "6");
    assert_eq!(
        eval1("array_length", vec![Arg::expr(lit(r#"{"a":1}"#), ScalarType::Dynamic)]).await,
        "<null>"
    );
    assert_eq!(eval1("set_has_element", vec![arr(), s("example")]).await, "true");
    assert_eq!(eval1("set_has_element", vec![arr(), s("nope")]).await, "false");
    let n = |v: i64| Arg::expr(lit(v), ScalarType::Long);
    assert_eq!(eval1("array_index_of", vec![arr(), s("an"), n(1), n(-1), n(2)]).await, "4");
    assert_eq!(eval1("array_index_of", vec![arr(), s("example"), n(1), n(2)]).await, "-1");
    let bag = Arg::expr(lit(r#"{"a":"b","c":{"d":123}}"#), ScalarType::Dynamic);
    assert_eq!(eval1("bag_keys", vec![bag]).await, r#"["a","c"]"#);

    let batch = RecordBatch::try_new(
        Arc::new(Schema::new(vec![Field::new("x", datafusion::arrow::datatypes::DataType::Int64, true)])),
        vec![Arc::new(Int64Array::from(vec![Some(1), None, Some(3)]))],
    )
    .expect("batch");
    let x = || Arg::expr(ident("x"), ScalarType::Long);
    let packed = call("pack_array", vec![x(), s("a\"b"), Arg::expr(lit(2.5), ScalarType::Real)]);
    let bag = call("bag_pack", vec![s("Level"), s("Information"), s("X"), x()]);
    let (cols, schema) = run(batch, vec![packed.expr, bag.expr]).await;
    assert_eq!(cols[0], [r#"[1,"a\"b",2.5]"#, r#"[null,"a\"b",2.5]"#, r#"[3,"a\"b",2.5]"#]);
    assert_eq!(cols[1][0], r#"{"Level":"Information","X":1}"#);
    assert_eq!(cols[1][1], r#"{"Level":"Information","X":null}"#);
    assert_eq!(schema.field(1).metadata().get(KQL_TYPE_KEY).map(String::as_str), Some("dynamic"));
}

fn long(v: i64) -> Arg {
    Arg::expr(lit(v), ScalarType::Long)
}

fn real(v: f64) -> Arg {
    Arg::expr(lit(v), ScalarType::Real)
}

fn dt(text: &str) -> Arg {
    let t = call("todatetime", vec![s(text)]);
    Arg::expr(t.expr, ScalarType::DateTime)
}

fn span(text: &str) -> Arg {
    let t = call("totimespan", vec![s(text)]);
    Arg::expr(t.expr, ScalarType::TimeSpan)
}

#[tokio::test]
async fn conversions() {
    assert_eq!(eval1("toint", vec![s("123")]).await, "123");
    assert_eq!(eval1("toint", vec![real(2.7)]).await, "2");
    assert_eq!(eval1("tolong", vec![s("abc")]).await, "<null>");
    assert_eq!(eval1("todouble", vec![s("1e3")]).await, "1000.0");
    assert_eq!(eval1("toreal", vec![long(3)]).await, "3.0");
    assert_eq!(eval1("tobool", vec![s("TRUE")]).await, "true");
    assert_eq!(eval1("toboolean", vec![long(0)]).await, "false");
    assert_eq!(
        eval1("todatetime", vec![s("2024-05-01T12:34:56.1234567Z")]).await,
        "2024-05-01T12:34:56.123456700"
    );
    assert_eq!(eval1("todatetime", vec![s("yesterday")]).await, "<null>");
    assert_eq!(eval1("totimespan", vec![s("0.00:03:00")]).await, "PT180S");
    assert_eq!(
        eval1("toguid", vec![s("74BE27DE-1E4E-49D9-B579-FE0B331D3642")]).await,
        "74be27de-1e4e-49d9-b579-fe0b331d3642"
    );
    assert_eq!(eval1("todecimal", vec![s("123.45678")]).await, "123.456780000000000000");
    assert_eq!(eval1("tostring", vec![real(1.5)]).await, "1.5");
    assert_eq!(eval1("tostring", vec![dt("2024-05-01 10:11:12")]).await, "2024-05-01T10:11:12.0000000Z");
    assert_eq!(eval1("tostring", vec![span("1.02:03:04")]).await, "1.02:03:04");
    assert_eq!(eval1("tostring", vec![Arg::expr(lit(true), ScalarType::Bool)]).await, "true");
    let d = call("parse_json", vec![s(r#"{"n": "42", "r": 2.5}"#)]);
    let n = call("extractjson", vec![s("$.n"), Arg::expr(d.expr.clone(), ScalarType::Dynamic)]);
    assert_eq!(eval1("tolong", vec![Arg::expr(n.expr, ScalarType::String)]).await, "42");
    assert_eq!(eval1("tolong", vec![Arg::expr(lit("2.5"), ScalarType::Dynamic)]).await, "2");
    // tolong of a datetime counts 100 ns ticks from 0001-01-01.
    assert_eq!(eval1("tolong", vec![dt("1970-01-01")]).await, "621355968000000000");
}

#[tokio::test]
async fn conditionals_and_nulls() {
    let batch = strings(&[("s", ScalarType::String, vec![Some("a"), Some(""), None])]);
    let col_s = || c("s", ScalarType::String);
    let empty = call("isempty", vec![col_s()]);
    let notempty = call("isnotempty", vec![col_s()]);
    let isnull = call("isnull", vec![col_s()]);
    let coalesce = call("coalesce", vec![col_s(), s("fallback")]);
    let cond = Arg::expr(call("isempty", vec![col_s()]).expr, ScalarType::Bool);
    let iff = call("iff", vec![cond, long(1), Arg::expr(lit(2i32), ScalarType::Int)]);
    assert_eq!(iff.ty, ScalarType::Long);
    let (cols, _) = run(batch, vec![empty.expr, notempty.expr, isnull.expr, coalesce.expr, iff.expr]).await;
    assert_eq!(cols[0], ["false", "true", "true"]);
    assert_eq!(cols[1], ["true", "false", "false"]);
    assert_eq!(cols[2], ["false", "false", "true"]);
    assert_eq!(cols[3], ["a", "fallback", "fallback"]);
    assert_eq!(cols[4], ["2", "1", "1"]);
    // coalesce(tolong("not a number"), tolong("42"), 33) is 42.
    let a = Arg::expr(call("tolong", vec![s("not a number")]).expr, ScalarType::Long);
    let b = Arg::expr(call("tolong", vec![s("42")]).expr, ScalarType::Long);
    assert_eq!(eval1("coalesce", vec![a, b, Arg::expr(lit(33i32), ScalarType::Int)]).await, "42");
    let err =
        (lookup("iff").expect("registered").build)(&CallContext::default(), vec![s("x"), long(1), long(2)]);
    assert!(matches!(err, Err(kql_functions::FnError::ArgType { index: 0, .. })));
}

#[tokio::test]
async fn string_functions() {
    assert_eq!(eval1("strlen", vec![s("héllo")]).await, "5");
    assert_eq!(eval1("tolower", vec![s("AbÇ")]).await, "abç");
    assert_eq!(eval1("toupper", vec![s("abc")]).await, "ABC");
    assert_eq!(eval1("reverse", vec![s("abç")]).await, "çba");
    assert_eq!(eval1("strcat", vec![s("n="), long(5), s(", t="), span("00:00:01")]).await, "n=5, t=00:00:01");
    assert_eq!(
        eval1("strcat_delim", vec![s("-"), long(1), s("2"), s("A"), span("1s")]).await,
        "1-2-A-00:00:01"
    );
    assert_eq!(eval1("substring", vec![s("123456"), long(1)]).await, "23456");
    assert_eq!(eval1("substring", vec![s("123456"), long(2), long(2)]).await, "34");
    assert_eq!(eval1("substring", vec![s("123456"), long(-2), long(2)]).await, "56");
    assert_eq!(eval1("indexof", vec![s("abcdefgabcdefg"), s("cde"), long(1), long(10), long(2)]).await, "9");
    assert_eq!(eval1("indexof", vec![long(1234567), long(5), long(1), long(4)]).await, "4");
    assert_eq!(eval1("countof", vec![s("ababa"), s("aba")]).await, "2");
    assert_eq!(eval1("countof", vec![s("ababa"), s("aba"), s("regex")]).await, "1");
    assert_eq!(eval1("replace_string", vec![s("a cat, a cat"), s("cat"), s("dog")]).await, "a dog, a dog");
    assert_eq!(eval1("split", vec![s("aa_bb_cc"), s("_")]).await, r#"["aa","bb","cc"]"#);
    assert_eq!(eval1("split", vec![s("aa_bb_cc"), s("_"), long(1)]).await, r#"["bb"]"#);
    assert_eq!(eval1("trim", vec![s(r"\s+"), s("    Hello, world!    ")]).await, "Hello, world!");
    assert_eq!(eval1("trim_start", vec![s(r"[^\w]+"), s("-  Te st1// $")]).await, "Te st1// $");
    assert_eq!(eval1("trim_end", vec![s(r"[^\w]+"), s("-  Te st1// $")]).await, "-  Te st1");
    assert_eq!(eval1("replace_regex", vec![s("a1b22"), s(r"(\d+)"), s(r"<\1>")]).await, "a<1>b<22>");
    assert_eq!(eval1("url_decode", vec![s("https%3a%2f%2fwww.bing.com%2f")]).await, "https://www.bing.com/");
    assert_eq!(eval1("base64_decode_tostring", vec![s("S3VzdG8=")]).await, "Kusto");
    assert_eq!(eval1("base64_encode_tostring", vec![s("Kusto")]).await, "S3VzdG8=");
    assert_eq!(
        eval1(
            "parse_url",
            vec![s("scheme://username:password@host:1234/this/is/a/path?k1=v1&k2=v2#fragment")]
        )
        .await,
        r#"{"Scheme":"scheme","Host":"host","Port":"1234","Path":"this/is/a/path","Username":"username","Password":"password","Query Parameters":{"k1":"v1","k2":"v2"},"Fragment":"fragment"}"#
    );

    let batch = strings(&[(
        "Text",
        ScalarType::String,
        vec![Some("User: James, Email: James@example.com, Age: 29"), Some("User: David, Age: 35")],
    )]);
    let text = || c("Text", ScalarType::String);
    let user = call("extract", vec![s("User: ([^,]+)"), long(1), text()]);
    let email = call("extract", vec![s(r"Email: (\S+),"), long(1), text()]);
    let age = call("extract", vec![s(r"\d+"), long(0), text(), Arg::Type(ScalarType::Int)]);
    assert_eq!(age.ty, ScalarType::Int);
    let (cols, _) = run(batch, vec![user.expr, email.expr, age.expr]).await;
    assert_eq!(cols[0], ["James", "David"]);
    assert_eq!(cols[1], ["James@example.com", ""]);
    assert_eq!(cols[2], ["29", "35"]);

    let bad = (lookup("extract").expect("registered").build)(
        &CallContext::default(),
        vec![s("("), long(0), s("x")],
    );
    assert!(matches!(bad, Err(kql_functions::FnError::Invalid { index: Some(0), .. })));
}

#[tokio::test]
async fn string_operators() {
    use kql_functions::string::{equals_ignore_case, string_op};
    use kql_syntax::ast::StrOp;
    let batch = strings(&[
        (
            "cmd",
            ScalarType::String,
            vec![
                Some(r"C:\Windows\System32\WindowsPowerShell\v1.0\powershell.exe -enc AAA"),
                Some("cmd.exe /c whoami"),
                Some("PowerShellish tool"),
                None,
            ],
        ),
        ("needle", ScalarType::String, vec![Some("powershell"), Some("WHOAMI"), Some("tool"), Some("")]),
    ]);
    let hay = || ident("cmd");
    let exprs = vec![
        string_op(StrOp::Has, false, hay(), lit("powershell")),
        string_op(StrOp::Has, true, hay(), lit("powershell")),
        string_op(StrOp::Contains, false, hay(), lit("POWERSHELL")),
        string_op(StrOp::HasPrefix, false, hay(), lit("power")),
        string_op(StrOp::HasSuffix, false, hay(), lit("ami")),
        string_op(StrOp::StartsWith, false, hay(), lit("c:\\windows")),
        string_op(StrOp::EndsWith, true, hay(), lit("tool")),
        string_op(StrOp::MatchesRegex, true, hay(), lit(r"\.exe\b")),
        string_op(StrOp::Has, false, hay(), ident("needle")),
        equals_ignore_case(hay(), lit("CMD.EXE /C WHOAMI")),
    ];
    let (cols, _) = run(batch, exprs).await;
    assert_eq!(cols[0], ["true", "false", "false", "false"], "has");
    assert_eq!(cols[1], ["true", "false", "false", "false"], "has_cs");
    assert_eq!(cols[2], ["true", "false", "true", "false"], "contains");
    assert_eq!(cols[3], ["true", "false", "true", "false"], "hasprefix");
    assert_eq!(cols[4], ["false", "true", "false", "false"], "hassuffix");
    assert_eq!(cols[5], ["true", "false", "false", "false"], "startswith");
    assert_eq!(cols[6], ["false", "false", "true", "false"], "endswith_cs");
    assert_eq!(cols[7], ["true", "true", "false", "false"], "matches regex");
    assert_eq!(cols[8], ["true", "true", "true", "true"], "has, needle per row");
    assert_eq!(cols[9], ["false", "true", "false", "false"], "=~");
}

#[tokio::test]
async fn datetime_functions() {
    let ctx = CallContext { now_ticks_ns: 1_714_560_000_000_000_000 }; // 2024-05-01T10:40:00Z
    let now = (lookup("now").expect("registered").build)(&ctx, vec![]).expect("now");
    let ago = (lookup("ago").expect("registered").build)(&ctx, vec![span("1d")]).expect("ago");
    let (cols, _) = run(one_row(), vec![now.expr, ago.expr]).await;
    assert_eq!(cols[0][0], "2024-05-01T10:40:00");
    assert_eq!(cols[1][0], "2024-04-30T10:40:00");

    assert_eq!(eval1("startofday", vec![dt("2017-01-01 10:10:17"), long(-1)]).await, "2016-12-31T00:00:00");
    assert_eq!(eval1("endofday", vec![dt("2017-01-01 10:10:17")]).await, "2017-01-01T23:59:59.999999900");
    assert_eq!(eval1("startofmonth", vec![dt("2017-03-15")]).await, "2017-03-01T00:00:00");
    assert_eq!(eval1("getyear", vec![dt("2015-10-12")]).await, "2015");
    assert_eq!(eval1("hourofday", vec![dt("2015-10-12 17:01")]).await, "17");
    assert_eq!(eval1("dayofweek", vec![dt("1970-05-11")]).await, "PT86400S");
    assert_eq!(eval1("week_of_year", vec![dt("2020-12-31")]).await, "53");
    assert_eq!(
        eval1("datetime_diff", vec![s("week"), dt("2017-10-29 00:00"), dt("2017-09-30 23:59")]).await,
        "5"
    );
    assert_eq!(
        eval1("datetime_add", vec![s("month"), long(1), dt("2017-01-31")]).await,
        "2017-02-28T00:00:00"
    );
    assert_eq!(
        eval1("format_datetime", vec![dt("2017-01-29 09:00:05"), s("yy-MM-dd [HH:mm:ss]")]).await,
        "17-01-29 [09:00:05]"
    );
    assert_eq!(
        eval1("format_timespan", vec![span("29.09:00:05.12345"), s("dd.hh:mm:ss:FF")]).await,
        "29.09:00:05:12"
    );
    assert_eq!(eval1("unixtime_seconds_todatetime", vec![long(1_546_300_800)]).await, "2019-01-01T00:00:00");
    let err = (lookup("datetime_diff").expect("registered").build)(
        &ctx,
        vec![s("fortnight"), dt("2017-01-01"), dt("2017-01-01")],
    );
    assert!(matches!(err, Err(kql_functions::FnError::Invalid { index: Some(0), .. })));
}

#[tokio::test]
async fn bin_and_math() {
    assert_eq!(eval1("bin", vec![real(4.5), long(1)]).await, "4.0");
    assert_eq!(eval1("bin", vec![long(17), long(5)]).await, "15");
    assert_eq!(eval1("floor", vec![long(-3), long(5)]).await, "-5");
    assert_eq!(eval1("bin", vec![span("16d"), span("7d")]).await, "PT1209600S");
    assert_eq!(eval1("bin", vec![dt("1970-05-11 13:45:07"), span("1d")]).await, "1970-05-11T00:00:00");
    assert_eq!(eval1("bin", vec![dt("2024-05-01 10:59:59.9"), span("1h")]).await, "2024-05-01T10:00:00");
    assert_eq!(eval1("bin_at", vec![real(6.5), real(2.5), long(7)]).await, "4.5");
    assert_eq!(
        eval1("bin_at", vec![dt("2017-05-17 10:20"), span("7d"), dt("2017-06-04")]).await,
        "2017-05-14T00:00:00"
    );
    assert_eq!(eval1("abs", vec![long(-5)]).await, "5");
    assert_eq!(eval1("abs", vec![span("-01:00:00")]).await, "PT3600S");
    assert_eq!(eval1("round", vec![real(2.15), long(1)]).await, "2.2");
    assert_eq!(eval1("round", vec![long(21), long(-1)]).await, "20");
    assert_eq!(eval1("sqrt", vec![real(-1.0)]).await, "<null>");
    assert_eq!(eval1("pow", vec![long(2), long(10)]).await, "1024.0");
    let err =
        (lookup("bin").expect("registered").build)(&CallContext::default(), vec![dt("2017-01-01"), long(1)]);
    assert!(matches!(err, Err(kql_functions::FnError::ArgType { index: 1, .. })));
}

#[tokio::test]
async fn ipv4_functions() {
    assert_eq!(eval1("parse_ipv4", vec![s("192.168.1.1/24")]).await, "3232235776");
    assert_eq!(eval1("parse_ipv4", vec![s("not-an-ip")]).await, "<null>");
    assert_eq!(eval1("ipv4_is_private", vec![s("10.1.2.3")]).await, "true");
    assert_eq!(eval1("ipv4_is_private", vec![s("127.0.0.1")]).await, "false");
    assert_eq!(eval1("ipv4_is_in_range", vec![s("192.168.1.6"), s("192.168.1.1/24")]).await, "true");
    assert_eq!(eval1("ipv4_is_in_range", vec![s("192.168.2.6"), s("192.168.1.1/24")]).await, "false");
    assert_eq!(eval1("ipv4_compare", vec![s("192.168.1.1"), s("192.168.1.0"), long(31)]).await, "0");
    assert_eq!(eval1("ipv4_is_match", vec![s("192.168.1.1/24"), s("192.168.1.255")]).await, "true");
    assert_eq!(eval1("format_ipv4_mask", vec![s("192.168.1.1"), long(24)]).await, "192.168.1.0/24");
}

#[tokio::test]
async fn aggregates() {
    use datafusion::arrow::array::Int32Array;
    let schema = Schema::new(vec![
        kql_field("name", ScalarType::String),
        Field::new("day", datafusion::arrow::datatypes::DataType::Int32, true),
        kql_field("grp", ScalarType::String),
    ]);
    let batch = RecordBatch::try_new(
        Arc::new(schema),
        vec![
            Arc::new(StringArray::from(vec!["John", "Paul", "George", "Ringo", "Paul"])),
            Arc::new(Int32Array::from(vec![Some(9), Some(18), Some(25), Some(7), None])),
            Arc::new(StringArray::from(vec!["a", "a", "b", "b", "b"])),
        ],
    )
    .expect("batch");
    let name = || c("name", ScalarType::String);
    let day = || Arg::expr(ident("day"), ScalarType::Int);
    let long_name = || {
        let len = call("strlen", vec![name()]);
        Arg::expr(len.expr.gt(lit(4i64)), ScalarType::Bool)
    };
    let aggs = vec![
        call("count", vec![]),
        call("countif", vec![long_name()]),
        call("sum", vec![day()]),
        call("sumif", vec![day(), long_name()]),
        call("avg", vec![day()]),
        call("min", vec![name()]),
        call("max", vec![day()]),
        call("dcount", vec![name()]),
        call("make_list", vec![name()]),
        call("make_set", vec![name(), long(3)]),
        call("make_set_if", vec![name(), long_name()]),
        call("make_list", vec![day()]),
    ];
    assert_eq!(aggs[2].ty, ScalarType::Long);
    assert_eq!(aggs[8].ty, ScalarType::Dynamic);
    let ctx = SessionContext::new();
    let exprs: Vec<Expr> = aggs.into_iter().enumerate().map(|(i, t)| t.expr.alias(format!("a{i}"))).collect();
    let df = ctx.read_batch(batch).expect("read").aggregate(vec![], exprs).expect("aggregate");
    let out = df.collect().await.expect("collect");
    let b = &out[0];
    let opts = FormatOptions::default().with_null("<null>");
    let v: Vec<String> = (0..b.num_columns())
        .map(|c| ArrayFormatter::try_new(b.column(c).as_ref(), &opts).expect("fmt").value(0).to_string())
        .collect();
    assert_eq!(
        v,
        [
            "5",
            "2",
            "59",
            "32",
            "14.75",
            "George",
            "25",
            "4",
            r#"["John","Paul","George","Ringo","Paul"]"#,
            r#"["John","Paul","George"]"#,
            r#"["George","Ringo"]"#,
            "[9,18,25,7]",
        ]
    );
    assert_eq!(b.schema().field(8).metadata().get(KQL_TYPE_KEY).map(String::as_str), Some("dynamic"));
}

#[test]
fn every_function_reports_bad_arity() {
    for def in kql_functions::all() {
        let too_many: Vec<Arg> = (0..70).map(|_| s("x")).collect();
        match (def.build)(&CallContext::default(), too_many) {
            Err(_) => {}
            Ok(_) if ["strcat", "pack_array", "bag_pack", "pack", "pack_dictionary"].contains(&def.name) => {}
            Ok(_) => panic!("{} accepted 70 arguments", def.name),
        }
    }
}

#[tokio::test]
async fn dictionary_and_view_strings_are_read() {
    use datafusion::arrow::array::{DictionaryArray, StringViewArray};
    use datafusion::arrow::datatypes::{DataType, Int32Type};
    let dict: DictionaryArray<Int32Type> =
        vec![r#"{"a":1}"#, r#"{"a":2}"#, r#"{"a":1}"#].into_iter().collect();
    let view = StringViewArray::from(vec!["North America", "south", "x"]);
    let schema = Schema::new(vec![
        Field::new("d", DataType::Dictionary(Box::new(DataType::Int32), Box::new(DataType::Utf8)), true),
        Field::new("v", DataType::Utf8View, true),
    ]);
    let batch = RecordBatch::try_new(Arc::new(schema), vec![Arc::new(dict), Arc::new(view)]).expect("batch");
    let a = call("extractjson", vec![s("$.a"), c("d", ScalarType::String), Arg::Type(ScalarType::Long)]);
    let has = kql_functions::string_op(kql_syntax::ast::StrOp::Has, false, ident("v"), lit("america"));
    let len = call("strlen", vec![c("v", ScalarType::String)]);
    let (cols, _) = run(batch, vec![a.expr, has, len.expr]).await;
    assert_eq!(cols[0], ["1", "2", "1"]);
    assert_eq!(cols[1], ["true", "false", "false"]);
    assert_eq!(cols[2], ["13", "5", "1"]);
}

#[tokio::test]
async fn dynamic_member_access() {
    use kql_functions::{Member, dynamic_get};
    let batch = strings(&[(
        "d",
        ScalarType::Dynamic,
        vec![Some(r#"{"a b":{"c":[10,{"e":"x"}]}}"#), Some(r#"{"a b":"s"}"#), None],
    )]);
    let path = vec![Member::Key("a b".into()), Member::Key("c".into()), Member::Index(1)];
    let dynamic = dynamic_get(ident("d"), path.clone(), ScalarType::Dynamic);
    let text = dynamic_get(ident("d"), path, ScalarType::String);
    let first = dynamic_get(
        ident("d"),
        vec![Member::Key("a b".into()), Member::Key("c".into()), Member::Index(0)],
        ScalarType::Long,
    );
    let (cols, schema) = run(batch, vec![dynamic, text, first]).await;
    assert_eq!(cols[0], [r#"{"e":"x"}"#, "<null>", "<null>"]);
    assert_eq!(cols[1], [r#"{"e":"x"}"#, "", ""]);
    assert_eq!(cols[2], ["10", "<null>", "<null>"]);
    assert_eq!(schema.field(0).metadata().get(KQL_TYPE_KEY).map(String::as_str), Some("dynamic"));
}

fn dynamic(json: &str) -> Arg {
    Arg::expr(lit(json), ScalarType::Dynamic)
}

#[tokio::test]
async fn extremes_and_dynamic_builders() {
    assert_eq!(eval1("max_of", vec![long(10), long(1), long(-3), long(17)]).await, "17");
    assert_eq!(eval1("min_of", vec![long(10), long(1), long(-3), long(17)]).await, "-3");
    assert_eq!(eval1("max_of", vec![long(1), real(2.5)]).await, "2.5");
    let null_long = Arg::expr(lit(datafusion::common::ScalarValue::Int64(None)), ScalarType::Long);
    assert_eq!(eval1("max_of", vec![null_long.clone(), long(2)]).await, "2");
    assert_eq!(eval1("max_of", vec![null_long.clone(), null_long]).await, "<null>");

    assert_eq!(eval1("array_concat", vec![dynamic("[1,2]"), dynamic("[3]")]).await, "[1,2,3]");
    assert_eq!(eval1("array_slice", vec![dynamic("[1,2,3]"), long(1), long(2)]).await, "[2,3]");
    assert_eq!(eval1("array_sum", vec![dynamic("[1,2,3,4]")]).await, "10.0");
    assert_eq!(eval1("strcat_array", vec![dynamic("[1,2,3]"), s("\"")]).await, "1\"2\"3");
    assert_eq!(
        eval1("array_sort_desc", vec![dynamic(r#"[null,"blue","yellow","green",null]"#)]).await,
        r#"["yellow","green","blue",null,null]"#
    );
    assert_eq!(
        eval1(
            "array_sort_asc",
            vec![dynamic(r#"[null,"blue","yellow","green",null]"#), Arg::expr(lit(false), ScalarType::Bool)]
        )
        .await,
        r#"[null,null,"blue","green","yellow"]"#
    );
    assert_eq!(eval1("zip", vec![dynamic("[1,3,5]"), dynamic("[2,4,6]")]).await, "[[1,2],[3,4],[5,6]]");
    assert_eq!(eval1("bag_has_key", vec![dynamic(r#"{"key1":123,"key2":"abc"}"#), s("key2")]).await, "true");
    assert_eq!(
        eval1("bag_set_key", vec![dynamic(r#"{"key1":1,"key3":"abc"}"#), s("key3"), long(3)]).await,
        r#"{"key1":1,"key3":3}"#
    );
    assert_eq!(eval1("gettype", vec![s("a")]).await, "string");
    assert_eq!(eval1("gettype", vec![span("1s")]).await, "timespan");
    assert_eq!(eval1("gettype", vec![dynamic("[1, 2, 3]")]).await, "array");
}

#[tokio::test]
async fn made_datetimes_and_timespans() {
    assert_eq!(eval1("make_datetime", vec![long(2017), long(10), long(1)]).await, "2017-10-01T00:00:00");
    assert_eq!(
        eval1("make_datetime", vec![long(2017), long(10), long(1), long(12), long(10)]).await,
        "2017-10-01T12:10:00"
    );
    assert_eq!(
        eval1("make_datetime", vec![long(2017), long(10), long(1), long(12), long(11), real(0.1234567)])
            .await,
        "2017-10-01T12:11:00.123456700"
    );
    assert_eq!(eval1("make_datetime", vec![long(2017), long(2), long(30)]).await, "<null>");
    let ts = call("make_timespan", vec![long(1), long(12), long(30), real(55.123)]);
    assert_eq!(ts.ty, ScalarType::TimeSpan);
    let text = call("tostring", vec![Arg::expr(ts.expr, ScalarType::TimeSpan)]);
    assert_eq!(run(one_row(), vec![text.expr]).await.0[0][0], "1.12:30:55.1230000");
    let short = call(
        "strcat",
        vec![Arg::expr(call("make_timespan", vec![long(1), long(30)]).expr, ScalarType::TimeSpan)],
    );
    assert_eq!(run(one_row(), vec![short.expr]).await.0[0][0], "01:30:00");
}

#[tokio::test]
async fn more_string_functions() {
    let id = "82b8be2d-dfa7-4bd1-8f63-24ad26d31449";
    assert_eq!(
        eval1("extract_all", vec![s(r"(\d+)"), s("a set of numbers: 123, 567 and 789")]).await,
        r#"["123","567","789"]"#
    );
    assert_eq!(
        eval1("extract_all", vec![s(r"(\w)(\w+)(\w)"), dynamic("[1,3]"), s(id)]).await,
        r#"[["8","d"],["d","7"],["4","1"],["8","3"],["2","9"]]"#
    );
    assert_eq!(eval1("extract_all", vec![s(r"(\d+)"), s("none")]).await, "<null>");
    assert_eq!(call("extract_all", vec![s(r"(\d+)"), s("x")]).ty, ScalarType::Dynamic);
    assert_eq!(eval1("string_size", vec![s("qwerty")]).await, "6");
    assert_eq!(eval1("string_size", vec![s("⒦⒰⒮⒯⒪")]).await, "15");
    assert_eq!(
        eval1("hash_sha256", vec![s("World")]).await,
        "78ae647dc5544d227130a0682a51e30bc7777fbb6d8a8f17007463a3ecd1d524"
    );
    assert_eq!(eval1("translate", vec![s("krasp"), s("otsku"), s("spark")]).await, "kusto");
    assert_eq!(eval1("translate", vec![s("abc"), s("x"), s("abc")]).await, "xxx");
    assert_eq!(
        eval1(
            "replace_strings",
            vec![
                s("A magic trick can turn a cat into a dog"),
                dynamic(r#"["cat","dog"]"#),
                dynamic(r#"["dog","pigeon"]"#)
            ]
        )
        .await,
        "A magic trick can turn a dog into a pigeon"
    );
    assert_eq!(eval1("unicode_codepoints_from_string", vec![s("⒦⒰⒮⒯⒪")]).await, "[9382,9392,9390,9391,9386]");
    assert_eq!(
        eval1("unicode_codepoints_to_string", vec![long(75), long(117), long(115), long(116), long(111)])
            .await,
        "Kusto"
    );
    assert_eq!(
        eval1("unicode_codepoints_to_string", vec![dynamic("[75,117,115]"), long(116), long(111)]).await,
        "Kusto"
    );
}

#[tokio::test]
async fn ipv4_in_text() {
    let log = "05:04:54 127.0.0.1 GET /favicon.ico 404";
    assert_eq!(eval1("has_ipv4", vec![s(log), s("127.0.0.1")]).await, "true");
    assert_eq!(
        eval1("has_ipv4", vec![s("05:04:54127.0.0.1 GET /favicon.ico 404"), s("127.0.0.1")]).await,
        "false"
    );
    assert_eq!(eval1("has_ipv4_prefix", vec![s(log), s("127.0.")]).await, "true");
    assert_eq!(eval1("has_ipv4_prefix", vec![s(log), s("127.0")]).await, "false");
    assert_eq!(eval1("has_any_ipv4", vec![s(log), s("127.0.0.1"), s("127.0.0.2")]).await, "true");
    assert_eq!(eval1("has_any_ipv4", vec![s(log), dynamic(r#"["127.0.0.1","127.0.0.2"]"#)]).await, "true");
    assert_eq!(
        eval1(
            "has_any_ipv4",
            vec![s("05:04:54 127.0.0.256 GET"), dynamic(r#"["127.0.0.256","192.168.1.1"]"#)]
        )
        .await,
        "false"
    );
    assert_eq!(eval1("has_any_ipv4_prefix", vec![s(log), dynamic(r#"["127.0.","192.168."]"#)]).await, "true");
    assert_eq!(eval1("has_any_ipv4_prefix", vec![s(log), s("10."), s("192.")]).await, "false");

    let batch = strings(&[("msg", ScalarType::String, vec![Some(log), Some("from 10.1.2.3."), None])]);
    let t = call("has_any_ipv4_prefix", vec![c("msg", ScalarType::String), s("10."), s("127.")]);
    assert_eq!(run(batch, vec![t.expr]).await.0[0], ["true", "true", "false"]);
}

#[tokio::test]
async fn count_distinct_is_exact() {
    let batch = strings(&[("x", ScalarType::String, vec![Some("a"), Some("b"), Some("a"), None, Some("c")])]);
    let t = call("count_distinct", vec![c("x", ScalarType::String)]);
    let ctx = SessionContext::new();
    let df =
        ctx.read_batch(batch).expect("read").aggregate(vec![], vec![t.expr.alias("n")]).expect("aggregate");
    let out = df.collect().await.expect("collect");
    let n = out[0].column(0).as_any().downcast_ref::<Int64Array>().expect("a long").value(0);
    assert_eq!(n, 3);
}
