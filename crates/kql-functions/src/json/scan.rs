//! A one-pass JSON walker that picks the values at a set of paths.
//!
//! `extractjson` over a column parses every document, and usually wants one
//! to a handful of keys out of it. Building a DOM for that is wasteful: this
//! walker validates the whole document but only descends into the members the
//! paths name, records the byte range of each wanted value, and skips the rest
//! without allocating. Keys are compared as raw bytes unless they contain
//! escapes.

use std::borrow::Cow;

/// One step of a path.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub(crate) enum Step {
    /// `.name` or `['name']`.
    Key(String),
    /// `[n]`.
    Index(usize),
}

/// Several paths merged into a tree, so one walk serves them all.
#[derive(Clone, Debug, Default)]
pub(crate) struct PathTree {
    nodes: Vec<Node>,
    targets: usize,
}

#[derive(Clone, Debug, Default)]
struct Node {
    keys: Vec<(String, usize)>,
    indices: Vec<(usize, usize)>,
    /// Which of the requested paths end here.
    targets: Vec<usize>,
}

impl PathTree {
    /// A tree for `paths`; target `i` is `paths[i]`.
    pub fn new<'a>(paths: impl IntoIterator<Item = &'a [Step]>) -> Self {
        let mut tree = PathTree { nodes: vec![Node::default()], targets: 0 };
        for (target, path) in paths.into_iter().enumerate() {
            let mut node = 0;
            for step in path {
                node = tree.child(node, step);
            }
            tree.nodes[node].targets.push(target);
            tree.targets = target + 1;
        }
        tree
    }

    fn child(&mut self, node: usize, step: &Step) -> usize {
        let found = match step {
            Step::Key(k) => self.nodes[node].keys.iter().find(|(n, _)| n == k).map(|c| c.1),
            Step::Index(i) => self.nodes[node].indices.iter().find(|(n, _)| n == i).map(|c| c.1),
        };
        if let Some(c) = found {
            return c;
        }
        let c = self.nodes.len();
        self.nodes.push(Node::default());
        match step {
            Step::Key(k) => self.nodes[node].keys.push((k.clone(), c)),
            Step::Index(i) => self.nodes[node].indices.push((*i, c)),
        }
        c
    }

    /// Walks `doc`, filling `found[i]` with the byte range of the value at
    /// path `i` (or `None`). Returns `false` when `doc` is not valid JSON, in
    /// which case `found` is all `None`.
    pub fn find(&self, doc: &str, found: &mut Vec<Option<(usize, usize)>>) -> bool {
        found.clear();
        found.resize(self.targets, None);
        let mut s = Scanner { b: doc.as_bytes(), pos: 0, key_buf: String::new() };
        let ok = s.ws().is_ok() && self.walk(0, &mut s, found, 0).is_ok() && s.at_end();
        if !ok {
            found.iter_mut().for_each(|f| *f = None);
        }
        ok
    }

    fn walk(
        &self,
        node: usize,
        s: &mut Scanner<'_>,
        found: &mut [Option<(usize, usize)>],
        depth: usize,
    ) -> Parsed<()> {
        let n = &self.nodes[node];
        let start = s.pos;
        match s.peek() {
            Some(b'{') if !n.keys.is_empty() => self.walk_object(n, s, found, depth)?,
            Some(b'[') if !n.indices.is_empty() => self.walk_array(n, s, found, depth)?,
            _ => s.skip_value(depth)?,
        }
        for &t in &n.targets {
            found[t] = Some((start, s.pos));
        }
        Ok(())
    }

    fn walk_object(
        &self,
        n: &Node,
        s: &mut Scanner<'_>,
        found: &mut [Option<(usize, usize)>],
        depth: usize,
    ) -> Parsed<()> {
        if depth >= MAX_DEPTH {
            return Err(Invalid);
        }
        s.pos += 1;
        s.ws()?;
        if s.eat(b'}') {
            return Ok(());
        }
        loop {
            let child = {
                let key = s.key()?;
                n.keys.iter().find(|(k, _)| k.as_str() == key).map(|c| c.1)
            };
            s.ws()?;
            s.expect(b':')?;
            s.ws()?;
            match child {
                Some(c) => self.walk(c, s, found, depth + 1)?,
                None => s.skip_value(depth + 1)?,
            }
            s.ws()?;
            if s.eat(b',') {
                s.ws()?;
                continue;
            }
            return s.expect(b'}');
        }
    }

    fn walk_array(
        &self,
        n: &Node,
        s: &mut Scanner<'_>,
        found: &mut [Option<(usize, usize)>],
        depth: usize,
    ) -> Parsed<()> {
        if depth >= MAX_DEPTH {
            return Err(Invalid);
        }
        s.pos += 1;
        s.ws()?;
        if s.eat(b']') {
            return Ok(());
        }
        let mut i = 0usize;
        loop {
            match n.indices.iter().find(|(k, _)| *k == i) {
                Some(&(_, c)) => self.walk(c, s, found, depth + 1)?,
                None => s.skip_value(depth + 1)?,
            }
            i += 1;
            s.ws()?;
            if s.eat(b',') {
                s.ws()?;
                continue;
            }
            return s.expect(b']');
        }
    }
}

/// Nesting deeper than this is rejected, as serde_json does.
const MAX_DEPTH: usize = 128;

/// The document is not valid JSON.
#[derive(Debug)]
pub(crate) struct Invalid;

type Parsed<T> = Result<T, Invalid>;

struct Scanner<'a> {
    b: &'a [u8],
    pos: usize,
    /// Holds a key that had to be unescaped, reused between keys.
    key_buf: String,
}

impl<'a> Scanner<'a> {
    #[inline]
    fn peek(&self) -> Option<u8> {
        self.b.get(self.pos).copied()
    }

    #[inline]
    fn eat(&mut self, c: u8) -> bool {
        if self.peek() == Some(c) {
            self.pos += 1;
            true
        } else {
            false
        }
    }

    #[inline]
    fn expect(&mut self, c: u8) -> Parsed<()> {
        if self.eat(c) { Ok(()) } else { Err(Invalid) }
    }

    #[inline]
    fn ws(&mut self) -> Parsed<()> {
        while let Some(b' ' | b'\t' | b'\n' | b'\r') = self.peek() {
            self.pos += 1;
        }
        Ok(())
    }

    fn at_end(&mut self) -> bool {
        self.ws().is_ok() && self.pos == self.b.len()
    }

    /// Reads a member name, unescaping only when needed.
    fn key(&mut self) -> Parsed<&str> {
        let start = self.pos + 1;
        let escaped = self.skip_string()?;
        let raw = &self.b[start..self.pos - 1];
        if !escaped {
            return std::str::from_utf8(raw).map_err(|_| Invalid);
        }
        let raw = std::str::from_utf8(raw).map_err(|_| Invalid)?;
        self.key_buf.clear();
        unescape_into(raw, &mut self.key_buf);
        Ok(&self.key_buf)
    }

    fn skip_value(&mut self, depth: usize) -> Parsed<()> {
        match self.peek().ok_or(Invalid)? {
            b'"' => self.skip_string().map(|_| ()),
            b'{' => self.skip_object(depth),
            b'[' => self.skip_array(depth),
            b't' => self.literal(b"true"),
            b'f' => self.literal(b"false"),
            b'n' => self.literal(b"null"),
            b'-' | b'0'..=b'9' => self.skip_number(),
            _ => Err(Invalid),
        }
    }

    fn skip_object(&mut self, depth: usize) -> Parsed<()> {
        if depth >= MAX_DEPTH {
            return Err(Invalid);
        }
        self.pos += 1;
        self.ws()?;
        if self.eat(b'}') {
            return Ok(());
        }
        loop {
            if self.peek() != Some(b'"') {
                return Err(Invalid);
            }
            self.skip_string()?;
            self.ws()?;
            self.expect(b':')?;
            self.ws()?;
            self.skip_value(depth + 1)?;
            self.ws()?;
            if self.eat(b',') {
                self.ws()?;
                continue;
            }
            return self.expect(b'}');
        }
    }

    fn skip_array(&mut self, depth: usize) -> Parsed<()> {
        if depth >= MAX_DEPTH {
            return Err(Invalid);
        }
        self.pos += 1;
        self.ws()?;
        if self.eat(b']') {
            return Ok(());
        }
        loop {
            self.skip_value(depth + 1)?;
            self.ws()?;
            if self.eat(b',') {
                self.ws()?;
                continue;
            }
            return self.expect(b']');
        }
    }

    fn literal(&mut self, word: &[u8]) -> Parsed<()> {
        if self.b[self.pos..].starts_with(word) {
            self.pos += word.len();
            Ok(())
        } else {
            Err(Invalid)
        }
    }

    fn digits(&mut self) -> usize {
        let start = self.pos;
        while let Some(b'0'..=b'9') = self.peek() {
            self.pos += 1;
        }
        self.pos - start
    }

    fn skip_number(&mut self) -> Parsed<()> {
        self.eat(b'-');
        match self.peek() {
            Some(b'0') => self.pos += 1,
            Some(b'1'..=b'9') => {
                self.digits();
            }
            _ => return Err(Invalid),
        }
        if self.eat(b'.') && self.digits() == 0 {
            return Err(Invalid);
        }
        if let Some(b'e' | b'E') = self.peek() {
            self.pos += 1;
            if let Some(b'+' | b'-') = self.peek() {
                self.pos += 1;
            }
            if self.digits() == 0 {
                return Err(Invalid);
            }
        }
        Ok(())
    }

    /// Skips a string starting at its opening quote; tells whether it holds
    /// escapes.
    fn skip_string(&mut self) -> Parsed<bool> {
        self.expect(b'"')?;
        let mut escaped = false;
        loop {
            let c = self.peek().ok_or(Invalid)?;
            self.pos += 1;
            match c {
                b'"' => return Ok(escaped),
                b'\\' => {
                    escaped = true;
                    match self.peek().ok_or(Invalid)? {
                        b'"' | b'\\' | b'/' | b'b' | b'f' | b'n' | b'r' | b't' => self.pos += 1,
                        b'u' => {
                            let hex = self.b.get(self.pos + 1..self.pos + 5).ok_or(Invalid)?;
                            if !hex.iter().all(u8::is_ascii_hexdigit) {
                                return Err(Invalid);
                            }
                            self.pos += 5;
                        }
                        _ => return Err(Invalid),
                    }
                }
                0..=0x1f => return Err(Invalid),
                _ => {}
            }
        }
    }
}

/// The top-level value of `doc`, or `None` when `doc` is not valid JSON.
pub(crate) fn parse_root(doc: &str) -> Option<Elem<'_>> {
    let mut s = Scanner { b: doc.as_bytes(), pos: 0, key_buf: String::new() };
    s.ws().ok()?;
    let start = s.pos;
    s.skip_value(0).ok()?;
    let end = s.pos;
    s.at_end().then(|| Elem::classify(&doc[start..end]))
}

/// The raw text of each item of the (valid) JSON array `raw`.
pub(crate) fn array_items(raw: &str) -> Option<Vec<&str>> {
    let mut s = Scanner { b: raw.as_bytes(), pos: 0, key_buf: String::new() };
    s.ws().ok()?;
    s.expect(b'[').ok()?;
    s.ws().ok()?;
    let mut items = Vec::new();
    if s.eat(b']') {
        return Some(items);
    }
    loop {
        let start = s.pos;
        s.skip_value(1).ok()?;
        items.push(&raw[start..s.pos]);
        s.ws().ok()?;
        if s.eat(b',') {
            s.ws().ok()?;
            continue;
        }
        s.expect(b']').ok()?;
        return Some(items);
    }
}

/// The name and raw value text of each member of the (valid) JSON object
/// `raw`, in document order.
pub(crate) fn object_members(raw: &str) -> Option<Vec<(Cow<'_, str>, &str)>> {
    let mut s = Scanner { b: raw.as_bytes(), pos: 0, key_buf: String::new() };
    s.ws().ok()?;
    s.expect(b'{').ok()?;
    s.ws().ok()?;
    let mut members = Vec::new();
    if s.eat(b'}') {
        return Some(members);
    }
    loop {
        let key_start = s.pos + 1;
        let escaped = s.skip_string().ok()?;
        let key = Elem::str_text(&raw[key_start..s.pos - 1], escaped);
        s.ws().ok()?;
        s.expect(b':').ok()?;
        s.ws().ok()?;
        let start = s.pos;
        s.skip_value(1).ok()?;
        members.push((key, &raw[start..s.pos]));
        s.ws().ok()?;
        if s.eat(b',') {
            s.ws().ok()?;
            continue;
        }
        s.expect(b'}').ok()?;
        return Some(members);
    }
}

/// A JSON value found in a document, without its text copied.
#[derive(Clone, Copy, Debug, PartialEq)]
pub(crate) enum Elem<'a> {
    Null,
    Bool(bool),
    /// The number as written.
    Number(&'a str),
    /// The string's raw contents between the quotes, and whether it holds
    /// escapes.
    Str(&'a str, bool),
    /// An object or array, as written.
    Composite(&'a str),
}

impl<'a> Elem<'a> {
    /// Classifies the valid JSON value `raw`.
    pub fn classify(raw: &'a str) -> Elem<'a> {
        match raw.as_bytes().first() {
            Some(b'n') => Elem::Null,
            Some(b't') => Elem::Bool(true),
            Some(b'f') => Elem::Bool(false),
            Some(b'"') => {
                let inner = &raw[1..raw.len() - 1];
                Elem::Str(inner, inner.contains('\\'))
            }
            Some(b'{' | b'[') => Elem::Composite(raw),
            _ => Elem::Number(raw),
        }
    }

    /// The text of a string element, unescaped.
    pub fn str_text(inner: &'a str, escaped: bool) -> Cow<'a, str> {
        if escaped {
            let mut out = String::with_capacity(inner.len());
            unescape_into(inner, &mut out);
            Cow::Owned(out)
        } else {
            Cow::Borrowed(inner)
        }
    }
}

/// Appends the unescaped form of the (already validated) string contents
/// `raw` to `out`. A lone surrogate becomes U+FFFD.
pub(crate) fn unescape_into(raw: &str, out: &mut String) {
    let mut rest = raw;
    while let Some(i) = rest.find('\\') {
        out.push_str(&rest[..i]);
        let bytes = rest.as_bytes();
        let (c, used) = match bytes.get(i + 1) {
            Some(b'n') => ('\n', 2),
            Some(b't') => ('\t', 2),
            Some(b'r') => ('\r', 2),
            Some(b'b') => ('\u{8}', 2),
            Some(b'f') => ('\u{c}', 2),
            Some(b'u') => decode_u(&rest[i..]),
            Some(&c) => (char::from(c), 2),
            None => ('\\', 1),
        };
        out.push(c);
        rest = &rest[i + used..];
    }
    out.push_str(rest);
}

/// Decodes `\uXXXX` (and a following low surrogate) at the start of `s`.
fn decode_u(s: &str) -> (char, usize) {
    let hex = |at: usize| s.get(at..at + 4).and_then(|h| u32::from_str_radix(h, 16).ok());
    let Some(hi) = hex(2) else { return ('\u{fffd}', 2) };
    if (0xD800..0xDC00).contains(&hi)
        && s.get(6..8) == Some("\\u")
        && let Some(lo) = hex(8).filter(|lo| (0xDC00..0xE000).contains(lo))
    {
        let c = 0x10000 + ((hi - 0xD800) << 10) + (lo - 0xDC00);
        return (char::from_u32(c).unwrap_or('\u{fffd}'), 12);
    }
    (char::from_u32(hi).unwrap_or('\u{fffd}'), 6)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn one(path: &[Step], doc: &str) -> Option<String> {
        let tree = PathTree::new([path]);
        let mut found = Vec::new();
        tree.find(doc, &mut found);
        found[0].map(|(a, b)| doc[a..b].to_string())
    }

    fn key(k: &str) -> Step {
        Step::Key(k.to_string())
    }

    #[test]
    fn finds_nested_values() {
        let doc = r#" {"a": {"b": [10, {"c": "x"}]}, "d": null} "#;
        assert_eq!(one(&[key("a"), key("b"), Step::Index(1), key("c")], doc).as_deref(), Some(r#""x""#));
        assert_eq!(one(&[key("a"), key("b")], doc).as_deref(), Some(r#"[10, {"c": "x"}]"#));
        assert_eq!(one(&[key("d")], doc).as_deref(), Some("null"));
        assert_eq!(one(&[key("e")], doc), None);
        assert_eq!(one(&[], doc).as_deref(), Some(r#"{"a": {"b": [10, {"c": "x"}]}, "d": null}"#));
    }

    #[test]
    fn rejects_invalid_documents_even_after_the_value() {
        for doc in [r#"{"a":1,"#, r#"{"a":1} x"#, r#"{"a":01}"#, r#"{"a":"\q"}"#, "", "{'a':1}"] {
            assert_eq!(one(&[key("a")], doc), None, "{doc}");
        }
    }

    #[test]
    fn escaped_keys_match() {
        assert_eq!(one(&[key("é")], r#"{"\u00e9": 5}"#).as_deref(), Some("5"));
        assert_eq!(one(&[key("a\"b")], r#"{"a\"b": true}"#).as_deref(), Some("true"));
    }

    #[test]
    fn several_paths_in_one_walk() {
        let tree = PathTree::new([&[key("a")][..], &[key("b"), Step::Index(0)][..], &[key("a")][..]]);
        let doc = r#"{"b":[7,8],"a":"s"}"#;
        let mut found = Vec::new();
        assert!(tree.find(doc, &mut found));
        let got: Vec<_> = found.iter().map(|f| f.map(|(a, b)| &doc[a..b])).collect();
        assert_eq!(got, vec![Some(r#""s""#), Some("7"), Some(r#""s""#)]);
    }

    #[test]
    fn roots_items_and_members() {
        assert_eq!(parse_root(" 12 "), Some(Elem::Number("12")));
        assert_eq!(parse_root(r#""a\"b""#), Some(Elem::Str(r#"a\"b"#, true)));
        assert_eq!(parse_root("\""), None);
        assert_eq!(parse_root("[1,"), None);
        assert_eq!(
            array_items(r#"[1, "a", [2,3], {"b":null}]"#),
            Some(vec!["1", r#""a""#, "[2,3]", r#"{"b":null}"#])
        );
        assert_eq!(array_items("[]"), Some(vec![]));
        let m = object_members(r#"{"a":1, "b\u0021": [true]}"#).expect("an object");
        assert_eq!(m, vec![(Cow::Borrowed("a"), "1"), (Cow::Owned("b!".to_string()), "[true]")]);
    }

    #[test]
    fn unescapes() {
        let mut s = String::new();
        unescape_into(r#"a\"b\\c\u00e9\ud83d\ude00\n"#, &mut s);
        assert_eq!(s, "a\"b\\cé😀\n");
    }
}
