//! Parser tests: the reference queries, the shared corpus and conformance
//! cases, and one test per construct.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use kql_syntax::SyntaxError;
use kql_syntax::ast::*;

/// The shared folder next to the workspace, if present.
fn shared(rel: &str) -> Option<PathBuf> {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../../shared").join(rel);
    if path.exists() {
        Some(path)
    } else {
        println!("skipping: {} is absent", path.display());
        None
    }
}

/// Every `*.kql` file under `dir`, sorted.
fn kql_files(dir: &Path) -> Vec<PathBuf> {
    let mut files = Vec::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        let Ok(entries) = std::fs::read_dir(&d) else { continue };
        for entry in entries.flatten() {
            let path = entry.path();
            if path.is_dir() {
                stack.push(path);
            } else if path.extension().is_some_and(|e| e == "kql") {
                files.push(path);
            }
        }
    }
    files.sort();
    files
}

/// A short grouping key for a parse failure.
fn reason(err: &SyntaxError) -> String {
    match err {
        SyntaxError::Unexpected { expected, found, .. } => format!("expected {expected}, found `{found}`"),
        other => other.to_string(),
    }
}

/// Parses every file under `dir`, prints the rate and the top failure
/// reasons, checks the spans of every AST, and returns (ok, total).
fn parse_rate(dir: &Path, label: &str) -> (usize, usize) {
    let files = kql_files(dir);
    let mut ok = 0;
    let mut reasons: BTreeMap<String, (usize, String)> = BTreeMap::new();
    for file in &files {
        let text = std::fs::read_to_string(file).unwrap_or_default();
        match kql_syntax::parse(&text) {
            Ok(query) => {
                check_spans(&query, &text, file);
                ok += 1;
            }
            Err(err) => {
                let entry = reasons.entry(reason(&err)).or_insert((0, String::new()));
                entry.0 += 1;
                if entry.1.is_empty() {
                    let at = err.span().start;
                    entry.1 = format!("{}@{at}", file.strip_prefix(dir).unwrap_or(file).display());
                }
            }
        }
    }
    let total = files.len();
    println!("{label}: parsed {ok} of {total} ({:.1}%)", 100.0 * ok as f64 / total.max(1) as f64);
    let mut top: Vec<_> = reasons.into_iter().collect();
    top.sort_by_key(|(_, (count, _))| std::cmp::Reverse(*count));
    for (reason, (count, example)) in top.iter().take(40) {
        println!("  {count:4}  {reason}   (e.g. {example})");
    }
    (ok, total)
}

#[test]
fn corpus_parse_rate() {
    let Some(dir) = shared("corpus") else { return };
    let (ok, total) = parse_rate(&dir, "corpus");
    assert!(total > 0 && ok > 0);
}

#[test]
fn conformance_parse_rate() {
    let Some(dir) = shared("conformance/cases") else { return };
    let (ok, total) = parse_rate(&dir, "conformance");
    assert!(total > 0 && ok > 0);
}

// ---------------------------------------------------------------------------
// The two reference queries.

fn pipe_ops(e: &Expr) -> (Vec<&Operator>, &Expr) {
    let mut ops = Vec::new();
    let mut cur = e;
    while let ExprKind::Pipe { input, op } = &cur.kind {
        ops.push(&**op);
        cur = input;
    }
    ops.reverse();
    (ops, cur)
}

fn name_of(e: &Expr) -> &str {
    match &e.kind {
        ExprKind::Name(n) => &n.node,
        other => panic!("not a name: {other:?}"),
    }
}

fn let_value<'q>(q: &'q Query, index: usize, name: &str) -> &'q Expr {
    let Statement::Let(l) = &q.statements[index] else { panic!("statement {index} is no let") };
    assert_eq!(l.name.node, name);
    let LetValue::Expr(e) = &l.value else { panic!("{name} is a function") };
    e
}

/// Checks the AST of a reference query; `time` is its timestamp column.
fn check_reference(text: &str, time: &str) {
    let q = kql_syntax::parse(text).unwrap_or_else(|e| panic!("{e:?}"));
    assert_eq!(q.statements.len(), 5);
    check_spans(&q, text, Path::new("reference"));

    let feed = let_value(&q, 0, "ThreatIntelFeed");
    let ExprKind::ExternalData { columns, uris, properties } = &feed.kind else { panic!("{feed:?}") };
    assert_eq!(columns.len(), 1);
    assert_eq!((columns[0].name.node.as_str(), columns[0].ty.node), ("DestIP", ScalarType::String));
    assert_eq!(uris.len(), 1);
    let url = "https://raw.githubusercontent.com/stamparm/ipsum/master/levels/4.txt";
    assert_eq!(uris[0].kind, ExprKind::Literal(Literal::String(url.into())));
    assert_eq!(properties.len(), 2);
    assert_eq!(properties[0].name.node, "format");
    assert_eq!(properties[0].value.kind, ExprKind::Literal(Literal::String("txt".into())));
    assert_eq!(properties[1].name.node, "ignoreFirstRecord");
    assert_eq!(properties[1].value.kind, ExprKind::Literal(Literal::Bool(true)));
    assert_eq!(properties[1].span.text(text), "ignoreFirstRecord=True");

    let regex = let_value(&q, 1, "IPRegex");
    let pattern = r"[0-9]{1,3}\.[0-9]{1,3}\.[0-9]{1,3}\.[0-9]{1,3}";
    assert_eq!(regex.kind, ExprKind::Literal(Literal::String(pattern.into())));

    let malicious = let_value(&q, 2, "MaliciousIP");
    let ExprKind::Call { func, args } = &malicious.kind else { panic!() };
    assert_eq!((func.node.as_str(), args.len()), ("materialize", 1));
    let (ops, source) = pipe_ops(&args[0]);
    assert_eq!(name_of(source), "ThreatIntelFeed");
    let OperatorKind::Where(pred) = &ops[0].kind else { panic!() };
    let ExprKind::Binary { op, .. } = &pred.kind else { panic!() };
    let regex_mode = StrOpMode { case_sensitive: true, negated: false };
    assert_eq!(op.node, BinaryOp::Str(StrOp::MatchesRegex, regex_mode));
    assert!(matches!(&ops[1].kind, OperatorKind::Distinct(d) if d.len() == 1));

    let facing = let_value(&q, 3, "InternetFacingInformation");
    let (ops, source) = pipe_ops(facing);
    assert_eq!(name_of(source), "DeviceInfo");
    assert_eq!(ops.len(), 5);
    let OperatorKind::Extend(items) = &ops[1].kind else { panic!() };
    assert_eq!(items.len(), 7);
    assert_eq!(items[6].names[0].node, "InternetFacingLastSeen");
    let OperatorKind::Summarize { aggregates, by, .. } = &ops[2].kind else { panic!() };
    let ExprKind::Call { func, args } = &aggregates[0].expr.kind else { panic!() };
    assert_eq!(func.node, "arg_max");
    assert_eq!(name_of(&args[0]), time);
    assert_eq!(args[1].kind, ExprKind::Star);
    assert_eq!(by.len(), 2);
    assert!(matches!(&ops[4].kind, OperatorKind::Project(p) if p.len() == 4));

    let Statement::Query(main) = &q.statements[4] else { panic!() };
    let (ops, source) = pipe_ops(main);
    assert_eq!(name_of(source), "DeviceNetworkEvents");
    assert_eq!(ops.len(), 6);
    let OperatorKind::Join { params, right, on } = &ops[1].kind else { panic!() };
    assert_eq!(params[0].name.node, "kind");
    assert_eq!(name_of(&params[0].value), "inner");
    assert_eq!(name_of(right), "InternetFacingInformation");
    let [JoinKey::Equal { left, right, .. }] = on.as_slice() else { panic!("{on:?}") };
    assert_eq!((left.node.as_str(), right.node.as_str()), ("DeviceId", "DeviceId"));
    let OperatorKind::Where(pred) = &ops[3].kind else { panic!() };
    let ExprKind::In { op, list, .. } = &pred.kind else { panic!() };
    assert_eq!(op.node, SetOp::In);
    assert_eq!(name_of(&list[0]), "MaliciousIP");
    let OperatorKind::ProjectRename(renames) = &ops[4].kind else { panic!() };
    assert_eq!(
        (renames[0].0.node.as_str(), renames[0].1.node.as_str()),
        ("ThreatIntelligenceIP", "RemoteIP")
    );
    let OperatorKind::ProjectReorder(columns) = &ops[5].kind else { panic!() };
    let names: Vec<_> = columns.iter().map(|(c, _)| c.pattern.node.as_str()).collect();
    assert_eq!(names, [time, "DeviceName", "ThreatIntelligenceIP", "LocalPort", "InitiatingProcessFileName"]);
    assert_eq!(ops[5].keyword.text(text), "project-reorder");
    assert!(text.trim_end().ends_with(ops[5].span.text(text)));
}

#[test]
fn reference_defender_query() {
    let Some(path) = shared("reference/defender.kql") else { return };
    check_reference(&std::fs::read_to_string(path).unwrap_or_default(), "Timestamp");
}

#[test]
fn reference_sentinel_query() {
    let Some(path) = shared("reference/sentinel.kql") else { return };
    let text = std::fs::read_to_string(path).unwrap_or_default();
    check_reference(&text, "TimeGenerated");
    let q = kql_syntax::parse(&text).unwrap_or_else(|e| panic!("{e:?}"));
    let (ops, _) = pipe_ops(let_value(&q, 3, "InternetFacingInformation"));
    let OperatorKind::Extend(items) = &ops[0].kind else { panic!() };
    assert!(matches!(&items[0].expr.kind, ExprKind::Call { func, .. } if func.node == "dynamic_to_json"));
}

// ---------------------------------------------------------------------------
// Errors: code and span.

fn err(src: &str) -> SyntaxError {
    match kql_syntax::parse(src) {
        Ok(q) => panic!("{src:?} parsed: {q:?}"),
        Err(e) => e,
    }
}

fn code(e: &SyntaxError) -> String {
    use miette::Diagnostic;
    e.code().map(|c| c.to_string()).unwrap_or_default()
}

fn unexpected(src: &str) -> (String, String, kql_syntax::Span, Option<String>) {
    match err(src) {
        SyntaxError::Unexpected { expected, found, span, help } => (expected, found, span, help),
        other => panic!("{src:?}: {other:?}"),
    }
}

#[test]
fn missing_predicate_points_at_the_last_token() {
    let e = err("T | where");
    assert_eq!(code(&e), "kql::syntax::unexpected_token");
    let (expected, found, span, _) = unexpected("T | where");
    // The text ends early: the error underlines its last token, `where`.
    assert_eq!((expected.as_str(), found.as_str(), span), ("an expression", "end of input", (4..9).into()));
    let (expected, found, span, _) = unexpected("T | where x > | take 1");
    assert_eq!((expected.as_str(), found.as_str(), span), ("an expression", "|", (14..15).into()));
}

#[test]
fn unterminated_strings() {
    let e = err("print \"abc");
    assert_eq!(code(&e), "kql::syntax::unterminated_string");
    assert_eq!(e, SyntaxError::UnterminatedString { span: (6..10).into() });
    assert_eq!(err("print 'ab\n| take 1"), SyntaxError::UnterminatedString { span: (6..9).into() });
    assert_eq!(err("print @\"a"), SyntaxError::UnterminatedString { span: (6..9).into() });
    assert_eq!(err("print ```a"), SyntaxError::UnterminatedString { span: (6..10).into() });
    assert_eq!(err("T | parse x with 'a"), SyntaxError::UnterminatedString { span: (17..19).into() });
}

#[test]
fn unclosed_brackets_point_at_the_opening() {
    let e = err("T | where (a > 1");
    assert_eq!(code(&e), "kql::syntax::unclosed_bracket");
    assert_eq!(e, SyntaxError::UnclosedBracket { open: '(', span: (10..11).into() });
    assert_eq!(err("print f(1, 2"), SyntaxError::UnclosedBracket { open: '(', span: (7..8).into() });
    assert_eq!(err("print dynamic([1, 2"), SyntaxError::UnclosedBracket { open: '[', span: (14..15).into() });
    assert_eq!(err("let f = () { T"), SyntaxError::UnclosedBracket { open: '{', span: (11..12).into() });
    assert_eq!(err("T | render x (a"), SyntaxError::UnclosedBracket { open: '(', span: (13..14).into() });
    let (expected, found, span, _) = unexpected("print (1 2)");
    assert_eq!((expected.as_str(), found.as_str(), span), ("`)`", "2", (9..10).into()));
}

#[test]
fn invalid_literals() {
    let check = |src: &str, what: &str, span: std::ops::Range<usize>| match err(src) {
        SyntaxError::InvalidLiteral { what: w, span: s, help } => {
            assert_eq!((w.as_str(), s), (what, span.into()), "{src}");
            assert!(help.is_some(), "{src}");
        }
        other => panic!("{src}: {other:?}"),
    };
    check("print int(abc)", "int", 6..14);
    check("print 99999999999999999999", "long", 6..26);
    check("print int(3000000000)", "int", 6..21);
    check("print datetime(abc)", "datetime", 6..19);
    check("print timespan(1x)", "timespan", 6..18);
    check("print guid(123)", "guid", 6..15);
    check("print 5x", "timespan", 6..8);
    check("print 1.5 + 2xyz", "timespan", 12..16);
    check("print \"\\u12\"", "string", 7..11);
    assert_eq!(code(&err("print int(abc)")), "kql::syntax::invalid_literal");
}

#[test]
fn unknown_types() {
    let e = err("print typeof(strng)");
    assert_eq!(code(&e), "kql::syntax::unknown_type");
    assert_eq!(e, SyntaxError::UnknownType { name: "strng".into(), span: (13..18).into() });
    assert_eq!(
        err("datatable (a: lng) [1]"),
        SyntaxError::UnknownType { name: "lng".into(), span: (14..17).into() }
    );
}

#[test]
fn empty_queries() {
    for src in ["", "  ", "; ;", "// only a comment\n"] {
        let e = err(src);
        assert_eq!(code(&e), "kql::syntax::empty_query");
        assert_eq!(e, SyntaxError::Empty { span: (0..src.len()).into() });
    }
}

#[test]
fn unknown_operators_get_suggestions() {
    let (expected, found, span, help) = unexpected("T | wher x");
    assert_eq!((expected.as_str(), found.as_str(), span), ("a tabular operator", "wher", (4..8).into()));
    assert_eq!(help.as_deref(), Some("did you mean `where`?"));
    let (_, found, span, help) = unexpected("T | project-awya x");
    assert_eq!((found.as_str(), span), ("project-awya", (4..16).into()));
    assert_eq!(help.as_deref(), Some("did you mean `project-away`?"));
    let (_, found, _, help) = unexpected("T | frobnicate");
    assert_eq!((found.as_str(), help), ("frobnicate", None));
    let (expected, found, _, _) = unexpected("T | 5");
    assert_eq!((expected.as_str(), found.as_str()), ("a tabular operator", "5"));
}

#[test]
fn join_keys_name_what_is_supported() {
    let (expected, found, span, _) = unexpected("L | join R on A == B");
    assert!(expected.contains("$left.Column == $right.Column"), "{expected}");
    assert_eq!((found.as_str(), span), ("A", (14..15).into()));
    let (expected, _, _, _) = unexpected("L | join R on $left.A");
    assert!(expected.starts_with("`==`"), "{expected}");
    let (expected, found, _, _) = unexpected("L | join R on $left.A == $left.B");
    assert_eq!((expected.as_str(), found.as_str()), ("`$right.Column`", "$left"));
    let (expected, _, _, _) = unexpected("L | join R");
    assert!(expected.starts_with("`on`"), "{expected}");
    let (expected, _, _, _) = unexpected("L | join R on 5");
    assert!(expected.starts_with("a join key"), "{expected}");
}

#[test]
fn misplaced_tokens() {
    let (expected, found, span, help) = unexpected("T | where a = 1");
    assert_eq!((expected.as_str(), found.as_str(), span), ("`|`, `;` or end of input", "=", (12..13).into()));
    assert_eq!(help.as_deref(), Some("use `==` to compare values"));
    let (_, found, _, _) = unexpected("T | take 1 )");
    assert_eq!(found, ")");
    let (expected, _, _, _) = unexpected("T | sort x");
    assert_eq!(expected, "`by`");
    let (expected, found, _, _) = unexpected("print x in 5");
    assert_eq!((expected.as_str(), found.as_str()), ("`(` and a list of values", "5"));
    let (expected, found, _, _) = unexpected("print x between (1, 2)");
    assert_eq!((expected.as_str(), found.as_str()), ("`..`", ","));
    let (expected, found, _, _) = unexpected("let x = ");
    assert_eq!((expected.as_str(), found.as_str()), ("an expression", "end of input"));
    let (expected, _, _, _) = unexpected("T | summarize by");
    assert_eq!(expected, "an expression");
    let (expected, found, _, help) = unexpected("T | distinct y = tolower(x)");
    assert_eq!((expected.as_str(), found.as_str()), ("`,` or the end of `distinct`", "="));
    assert!(help.is_some_and(|h| h.contains("extend")));
    let (expected, found, span, _) = unexpected("union T1, f(1, )");
    assert_eq!((expected.as_str(), found.as_str(), span), ("an expression", ")", (15..16).into()));
    let (expected, found, _, _) = unexpected("let = 5");
    assert_eq!((expected.as_str(), found.as_str()), ("a name after `let`", "="));
    let (expected, found, _, _) = unexpected("let x 5");
    assert_eq!((expected.as_str(), found.as_str()), ("`=`", "5"));
    let (expected, _, _, _) = unexpected("let f = (a: string) T");
    assert_eq!(expected, "`{` and the function body");
}

#[test]
fn long_chains_are_errors_not_overflows() {
    let sum = format!("print {}1", "1 + ".repeat(5_000));
    let pipes = format!("T{}", " | take 1".repeat(2_000));
    let handle = std::thread::Builder::new()
        .stack_size(2 * 1024 * 1024)
        .spawn(move || (kql_syntax::parse(&sum).is_err(), kql_syntax::parse(&pipes).is_err()))
        .expect("thread");
    assert_eq!(handle.join().expect("no stack overflow"), (true, true));
    let ok = format!("print {}1", "1 + ".repeat(500));
    assert!(kql_syntax::parse(&ok).is_ok());
}

// ---------------------------------------------------------------------------
// Never panic.

/// A small deterministic generator (xorshift).
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }

    fn below(&mut self, n: usize) -> usize {
        (self.next() % n as u64) as usize
    }
}

fn parse_without_panic(text: &str) {
    let owned = text.to_string();
    let result = std::panic::catch_unwind(move || {
        let _ = kql_syntax::parse(&owned);
        let _ = kql_syntax::parse_expr(&owned);
    });
    assert!(result.is_ok(), "parser panicked on {text:?}");
}

/// Every prefix of `text` at a character boundary, `step` bytes apart.
fn prefixes(text: &str, step: usize) -> impl Iterator<Item = &str> {
    (0..=text.len()).step_by(step.max(1)).filter(|&n| text.is_char_boundary(n)).map(move |n| &text[..n])
}

#[test]
fn no_panic_on_prefixes_and_noise() {
    let mut samples = vec![
        "let f = (a: string, T:(*)) { T | where x has a }; f('x') | summarize count() by bin(t, 1h)".to_string(),
        "datatable(a:long, b:dynamic)[1, dynamic({\"k\": [1, 2.5, datetime(2024-01-01)]})] | mv-expand b to typeof(long)".into(),
        "T | join kind=leftouter (U | project $left) on $left.A == $right.B | where x !in~ ('a', @'b''c', h\"d\")".into(),
        "externaldata(x:string)[@'u'] with (format='csv') | union (print 1), T* | top 5 by x desc nulls last".into(),
    ];
    for rel in ["reference/defender.kql", "reference/sentinel.kql"] {
        if let Some(path) = shared(rel) {
            samples.push(std::fs::read_to_string(path).unwrap_or_default());
        }
    }
    for sample in &samples {
        prefixes(sample, 1).for_each(parse_without_panic);
    }
    if let Some(dir) = shared("corpus") {
        for file in kql_files(&dir).iter().step_by(3) {
            let text = std::fs::read_to_string(file).unwrap_or_default();
            prefixes(&text, text.len() / 12 + 1).for_each(parse_without_panic);
        }
    }
    let pieces = [
        "(",
        ")",
        "[",
        "]",
        "{",
        "}",
        "|",
        ";",
        ",",
        ".",
        "..",
        "=",
        "==",
        "!",
        "!in",
        "in~",
        "'",
        "\"",
        "@",
        "h",
        "```",
        "\\",
        "//",
        "\n",
        " ",
        "let",
        "T",
        "where",
        "project-away",
        "summarize",
        "by",
        "join",
        "on",
        "$left",
        "dynamic(",
        "datetime(",
        "timespan(",
        "typeof(",
        "1",
        "1.5",
        "0x",
        "1d",
        "e",
        "-",
        "*",
        "has_any",
        "between",
        "é",
        "\u{200B}",
        "view",
        "mv-expand",
        "to",
        "with",
        "kind=",
        "print",
        "range",
        "from",
        "union",
    ];
    let mut rng = Rng(0x9E37_79B9_7F4A_7C15);
    for _ in 0..20_000 {
        let len = rng.below(24);
        let text: String = (0..len).map(|_| pieces[rng.below(pieces.len())]).collect();
        parse_without_panic(&text);
    }
    for _ in 0..5_000 {
        let bytes: Vec<u8> = (0..rng.below(40)).map(|_| rng.next() as u8).collect();
        parse_without_panic(&String::from_utf8_lossy(&bytes));
    }
}

// ---------------------------------------------------------------------------
// Span checks over whole ASTs.

/// Fails when any span of `query` is reversed or out of the text.
fn check_spans(query: &Query, text: &str, file: &Path) {
    let mut spans = Vec::new();
    for statement in &query.statements {
        statement_spans(statement, &mut spans);
    }
    for (what, span) in spans {
        assert!(
            span.start <= span.end
                && span.end <= text.len()
                && text.is_char_boundary(span.start)
                && text.is_char_boundary(span.end),
            "{}: bad span {span:?} on {what}",
            file.display()
        );
        assert!(!span.is_empty(), "{}: empty span on {what}", file.display());
    }
}

type SpanList = Vec<(&'static str, kql_syntax::Span)>;

fn statement_spans(statement: &Statement, out: &mut SpanList) {
    match statement {
        Statement::Let(let_stmt) => {
            out.push(("let", let_stmt.span));
            out.push(("let name", let_stmt.name.span));
            match &let_stmt.value {
                LetValue::Expr(e) => expr_spans(e, out),
                LetValue::Function(f) => {
                    out.push(("function", f.span));
                    for p in &f.params {
                        out.push(("param", p.name.span));
                        if let Some(d) = &p.default {
                            expr_spans(d, out);
                        }
                    }
                    for s in &f.body {
                        statement_spans(s, out);
                    }
                }
            }
        }
        Statement::Query(e) => expr_spans(e, out),
        Statement::Unsupported { keyword, span } => {
            out.push(("statement keyword", keyword.span));
            out.push(("statement", *span));
        }
    }
}

fn assignment_spans(items: &[Assignment], out: &mut SpanList) {
    for a in items {
        out.push(("assignment", a.span));
        for n in &a.names {
            out.push(("assigned name", n.span));
        }
        expr_spans(&a.expr, out);
    }
}

fn args_spans(items: &[NamedArg], out: &mut SpanList) {
    for a in items {
        out.push(("named arg", a.span));
        out.push(("named arg name", a.name.span));
        expr_spans(&a.value, out);
    }
}

fn expr_spans(e: &Expr, out: &mut SpanList) {
    out.push(("expr", e.span));
    match &e.kind {
        ExprKind::Literal(_) | ExprKind::Star | ExprKind::TypeOf(_) => {}
        ExprKind::Name(n) => out.push(("name", n.span)),
        ExprKind::Call { func, args } => {
            out.push(("func", func.span));
            args.iter().for_each(|a| expr_spans(a, out));
        }
        ExprKind::NamedArg { name, value } => {
            out.push(("named arg", name.span));
            expr_spans(value, out);
        }
        ExprKind::Member { expr, name } => {
            expr_spans(expr, out);
            out.push(("member", name.span));
        }
        ExprKind::Index { expr, index } => {
            expr_spans(expr, out);
            expr_spans(index, out);
        }
        ExprKind::Unary { expr, .. } => expr_spans(expr, out),
        ExprKind::Binary { op, left, right } => {
            out.push(("binary op", op.span));
            expr_spans(left, out);
            expr_spans(right, out);
        }
        ExprKind::In { expr, op, list } => {
            out.push(("set op", op.span));
            expr_spans(expr, out);
            list.iter().for_each(|a| expr_spans(a, out));
        }
        ExprKind::Between { expr, low, high, .. } => {
            expr_spans(expr, out);
            expr_spans(low, out);
            expr_spans(high, out);
        }
        ExprKind::Pipe { input, op } => {
            expr_spans(input, out);
            operator_spans(op, out);
        }
        ExprKind::ExternalData { columns, uris, properties } => {
            columns.iter().for_each(|c| out.push(("column", c.name.span)));
            uris.iter().for_each(|u| expr_spans(u, out));
            args_spans(properties, out);
        }
        ExprKind::DataTable { columns, values } => {
            columns.iter().for_each(|c| out.push(("column", c.name.span)));
            values.iter().for_each(|u| expr_spans(u, out));
        }
        ExprKind::Print(items) => assignment_spans(items, out),
        ExprKind::Range { name, from, to, step } => {
            out.push(("range name", name.span));
            expr_spans(from, out);
            expr_spans(to, out);
            expr_spans(step, out);
        }
        ExprKind::Union(args) => {
            args_spans(&args.params, out);
            args.tables.iter().for_each(|t| expr_spans(t, out));
        }
        ExprKind::UnsupportedSource { keyword } => out.push(("source keyword", keyword.span)),
    }
}

fn operator_spans(op: &Operator, out: &mut SpanList) {
    out.push(("operator", op.span));
    out.push(("operator keyword", op.keyword));
    match &op.kind {
        OperatorKind::Where(e) | OperatorKind::Take(e) | OperatorKind::Invoke(e) => expr_spans(e, out),
        OperatorKind::Extend(a) | OperatorKind::Project(a) | OperatorKind::Serialize(a) => {
            assignment_spans(a, out)
        }
        OperatorKind::ProjectAway(p) | OperatorKind::ProjectKeep(p) => {
            p.iter().for_each(|p| out.push(("pattern", p.pattern.span)));
        }
        OperatorKind::ProjectRename(r) => r.iter().for_each(|(a, b)| {
            out.push(("rename", a.span));
            out.push(("rename", b.span));
        }),
        OperatorKind::ProjectReorder(r) => r.iter().for_each(|(p, _)| out.push(("pattern", p.pattern.span))),
        OperatorKind::Summarize { params, aggregates, by } => {
            args_spans(params, out);
            assignment_spans(aggregates, out);
            assignment_spans(by, out);
        }
        OperatorKind::Distinct(items) => items.iter().for_each(|e| expr_spans(e, out)),
        OperatorKind::Sort(keys) => keys.iter().for_each(|k| expr_spans(&k.expr, out)),
        OperatorKind::Top { count, key } => {
            expr_spans(count, out);
            expr_spans(&key.expr, out);
        }
        OperatorKind::Join { params, right, on } | OperatorKind::Lookup { params, right, on } => {
            args_spans(params, out);
            expr_spans(right, out);
            for key in on {
                match key {
                    JoinKey::Column(c) => out.push(("join column", c.span)),
                    JoinKey::Equal { left, right, span } => {
                        out.push(("join left", left.span));
                        out.push(("join right", right.span));
                        out.push(("join key", *span));
                    }
                }
            }
        }
        OperatorKind::Union(args) => {
            args_spans(&args.params, out);
            args.tables.iter().for_each(|t| expr_spans(t, out));
        }
        OperatorKind::As(name) => out.push(("as", name.span)),
        OperatorKind::MvExpand { params, columns, limit, .. } => {
            args_spans(params, out);
            assignment_spans(columns, out);
            if let Some(l) = limit {
                expr_spans(l, out);
            }
        }
        OperatorKind::Parse { params, expr, pattern, .. } => {
            args_spans(params, out);
            expr_spans(expr, out);
            for part in pattern {
                match part {
                    ParsePart::Star(span) => out.push(("parse star", *span)),
                    ParsePart::Text(t) => out.push(("parse text", t.span)),
                    ParsePart::Column { name, ty } => {
                        out.push(("parse column", name.span));
                        if let Some(t) = ty {
                            out.push(("parse type", t.span));
                        }
                    }
                }
            }
        }
        OperatorKind::Count | OperatorKind::GetSchema | OperatorKind::Unsupported { .. } => {}
    }
}
