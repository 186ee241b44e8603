//! Tabular sources and operators.

use super::*;

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
