//! Decoding cells of expected tables copied from documentation pages,
//! which keep the markdown source of each cell: code spans, escapes,
//! `<br>` and HTML entities.

/// Characters whose markdown escape (`\_`) is undone; any other backslash
/// is part of the value.
const ESCAPED: &[char] = &['_', '*', '|', '`'];

/// The text a documentation page shows for one markdown table cell.
pub(crate) fn decode_cell(cell: &str) -> String {
    let chars: Vec<char> = cell.chars().collect();
    let mut out = String::with_capacity(cell.len());
    let mut plain_start = 0;
    let mut i = 0;
    while i < chars.len() {
        if chars[i] != '`' {
            i += 1;
            continue;
        }
        match code_span_at(&chars, i) {
            Some((ticks, end)) => {
                out.push_str(&unescape(&chars[plain_start..i]));
                let body: String = chars[i + ticks..end].iter().collect();
                out.push_str(strip_one_space(&body));
                i = end + ticks;
                plain_start = i;
            }
            None => i += 1,
        }
    }
    out.push_str(&unescape(&chars[plain_start..]));
    let out = replace_line_breaks(&out);
    decode_entities(&out).replace('\u{a0}', " ").trim().to_string()
}

/// A code span opening at `start`: the length of its backtick fence and the
/// index where its closing fence begins. The longest fence that closes
/// wins, and the body is the shortest non-empty text before a closing
/// fence of the same length.
fn code_span_at(chars: &[char], start: usize) -> Option<(usize, usize)> {
    let run = chars[start..].iter().take_while(|c| **c == '`').count();
    for ticks in (1..=run).rev() {
        let body_start = start + ticks;
        let mut end = body_start + 1;
        while end + ticks <= chars.len() {
            if chars[end..end + ticks].iter().all(|c| *c == '`') {
                return Some((ticks, end));
            }
            end += 1;
        }
    }
    None
}

/// `` ` a ` `` shows as `a`: one space is dropped from each end when the
/// body both starts and ends with one and is not only spaces.
fn strip_one_space(body: &str) -> &str {
    if body.len() >= 2 && body.starts_with(' ') && body.ends_with(' ') && !body.trim().is_empty() {
        &body[1..body.len() - 1]
    } else {
        body
    }
}

fn unescape(chars: &[char]) -> String {
    let mut out = String::with_capacity(chars.len());
    let mut i = 0;
    while i < chars.len() {
        if chars[i] == '\\' && i + 1 < chars.len() && ESCAPED.contains(&chars[i + 1]) {
            out.push(chars[i + 1]);
            i += 2;
        } else {
            out.push(chars[i]);
            i += 1;
        }
    }
    out
}

/// `<br>`, `<br/>` and `<br />` (any case, any inner spacing) become a
/// newline.
fn replace_line_breaks(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    while let Some(pos) = rest.find('<') {
        out.push_str(&rest[..pos]);
        let tag = &rest[pos..];
        match line_break_len(tag) {
            Some(len) => {
                out.push('\n');
                rest = &tag[len..];
            }
            None => {
                out.push('<');
                rest = &tag[1..];
            }
        }
    }
    out.push_str(rest);
    out
}

/// The length of a `<br>` tag at the start of `text`.
fn line_break_len(text: &str) -> Option<usize> {
    let head = text.get(..3)?;
    if !head.eq_ignore_ascii_case("<br") {
        return None;
    }
    let after = &text[3..];
    let spaces = after.len() - after.trim_start().len();
    let after = &after[spaces..];
    let slash = usize::from(after.starts_with('/'));
    after[slash..].starts_with('>').then_some(3 + spaces + slash + 1)
}

/// Decodes `&name;`, `&#N;` and `&#xH;`. Unknown names stay as written.
fn decode_entities(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    while let Some(pos) = rest.find('&') {
        out.push_str(&rest[..pos]);
        let candidate = &rest[pos + 1..];
        let decoded = candidate.find(';').and_then(|end| {
            let body = &candidate[..end];
            entity(body).map(|c| (c, end + 1))
        });
        match decoded {
            Some((c, len)) => {
                out.push(c);
                rest = &candidate[len..];
            }
            None => {
                out.push('&');
                rest = candidate;
            }
        }
    }
    out.push_str(rest);
    out
}

fn entity(body: &str) -> Option<char> {
    if let Some(num) = body.strip_prefix('#') {
        let code = match num.strip_prefix(['x', 'X']) {
            Some(hex) if !hex.is_empty() && hex.bytes().all(|b| b.is_ascii_hexdigit()) => {
                u32::from_str_radix(hex, 16).ok()?
            }
            Some(_) => return None,
            None if !num.is_empty() && num.bytes().all(|b| b.is_ascii_digit()) => num.parse().ok()?,
            None => return None,
        };
        return Some(char::from_u32(code).filter(|c| *c != '\0').unwrap_or('\u{fffd}'));
    }
    Some(match body {
        "amp" | "AMP" => '&',
        "lt" | "LT" => '<',
        "gt" | "GT" => '>',
        "quot" | "QUOT" => '"',
        "apos" => '\'',
        "nbsp" => '\u{a0}',
        "copy" => '©',
        "reg" => '®',
        "trade" => '™',
        "hellip" => '…',
        "mdash" => '—',
        "ndash" => '–',
        "lsquo" => '‘',
        "rsquo" => '’',
        "ldquo" => '“',
        "rdquo" => '”',
        "laquo" => '«',
        "raquo" => '»',
        "times" => '×',
        "divide" => '÷',
        "deg" => '°',
        "plusmn" => '±',
        "middot" => '·',
        "bull" => '•',
        "euro" => '€',
        "pound" => '£',
        "yen" => '¥',
        "cent" => '¢',
        "sect" => '§',
        "para" => '¶',
        "micro" => 'µ',
        "le" => '≤',
        "ge" => '≥',
        "ne" => '≠',
        "infin" => '∞',
        "larr" => '←',
        "rarr" => '→',
        "uarr" => '↑',
        "darr" => '↓',
        "vert" | "verbar" => '|',
        "grave" => '`',
        "lowbar" => '_',
        "ast" => '*',
        "bsol" => '\\',
        "num" => '#',
        "dollar" => '$',
        "percnt" => '%',
        "excl" => '!',
        "colon" => ':',
        "semi" => ';',
        "comma" => ',',
        "period" => '.',
        "lpar" => '(',
        "rpar" => ')',
        "lsqb" | "lbrack" => '[',
        "rsqb" | "rbrack" => ']',
        "lcub" | "lbrace" => '{',
        "rcub" | "rbrace" => '}',
        "equals" => '=',
        "plus" => '+',
        "quest" => '?',
        "commat" => '@',
        "Hat" => '^',
        "tilde" => '˜',
        _ => return None,
    })
}

#[cfg(test)]
mod tests {
    use super::decode_cell;

    #[test]
    fn code_spans_lose_their_backticks() {
        assert_eq!(decode_cell("`abc`"), "abc");
        assert_eq!(decode_cell("`` a`b ``"), "a`b");
        assert_eq!(decode_cell("` x `"), "x");
        assert_eq!(decode_cell("a `\\_b` c"), "a \\_b c");
        assert_eq!(decode_cell("`unclosed"), "`unclosed");
    }

    #[test]
    fn escapes_breaks_and_entities() {
        assert_eq!(decode_cell("a\\_b\\*c\\|d"), "a_b*c|d");
        assert_eq!(decode_cell("C:\\Windows\\n"), "C:\\Windows\\n");
        assert_eq!(decode_cell("one<br>two<BR />three<br/>four"), "one\ntwo\nthree\nfour");
        assert_eq!(decode_cell("&lt;a&gt; &amp; &#65;&#x42;&nbsp;x"), "<a> & AB x");
        assert_eq!(decode_cell("&unknown; & stays"), "&unknown; & stays");
        assert_eq!(decode_cell("  padded  "), "padded");
    }
}
