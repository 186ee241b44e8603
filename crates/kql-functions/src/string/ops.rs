//! The string operators the planner lowers to calls: `contains`, `has`,
//! `hasprefix`, `hassuffix`, `startswith`, `endswith`, `matches regex`, and
//! `=~`, each with its `_cs` form.
//!
//! `has` matches terms: a term is a maximal run of alphanumeric characters,
//! and `x has "needle"` holds when the needle occurs in `x` starting at the
//! start of a term and ending at the end of one. `hasprefix` only anchors the
//! start, `hassuffix` only the end. A needle whose edge character is not
//! alphanumeric needs no boundary on that side (it is one itself).

use datafusion::arrow::array::{ArrayRef, BooleanBuilder};
use datafusion::common::Result;
use datafusion::logical_expr::{Expr, Like};
use kql_syntax::ast::{ScalarType, StrOp};
use regex::Regex;

use crate::udf::{Call, KqlUdf, StrArg, arc};

/// `haystack <op> needle`, case-sensitive or not, as a boolean expression.
/// Both sides are KQL strings (null reads as ""). `matches regex` is always
/// case-sensitive unless the pattern says otherwise.
pub fn string_op(op: StrOp, case_sensitive: bool, haystack: Expr, needle: Expr) -> Expr {
    let code = match op {
        StrOp::Contains => 0,
        StrOp::Has => 1,
        StrOp::HasPrefix => 2,
        StrOp::HasSuffix => 3,
        StrOp::StartsWith => 4,
        StrOp::EndsWith => 5,
        StrOp::MatchesRegex => 6,
        StrOp::Like => {
            return Expr::Like(Like::new(false, Box::new(haystack), Box::new(needle), None, !case_sensitive));
        }
    };
    let name = format!("{}{}", op_name(code), if case_sensitive { "_cs" } else { "" });
    KqlUdf::new(name, ScalarType::Bool, eval_string_op)
        .param(code * 2 + i64::from(case_sensitive))
        .call(vec![haystack, needle])
}

/// `left =~ right`: equality ignoring case.
pub fn equals_ignore_case(left: Expr, right: Expr) -> Expr {
    KqlUdf::new("=~", ScalarType::Bool, eval_string_op).param(EQUALS * 2).call(vec![left, right])
}

const EQUALS: i64 = 7;

fn op_name(code: i64) -> &'static str {
    match code {
        0 => "contains",
        1 => "has",
        2 => "hasprefix",
        3 => "hassuffix",
        4 => "startswith",
        5 => "endswith",
        6 => "matches_regex",
        _ => "=~",
    }
}

#[derive(Clone, Copy, PartialEq, Eq, Debug)]
enum Anchor {
    Start,
    End,
    Both,
}

/// A needle prepared for one operator.
struct Matcher {
    code: i64,
    cs: bool,
    needle: String,
    /// Lower-case needle, for case-insensitive comparisons of non-ASCII text.
    lower: String,
    /// Case-insensitive (or `matches regex`) searcher.
    re: Option<Regex>,
}

impl Matcher {
    fn new(code: i64, cs: bool, needle: &str) -> Result<Self> {
        let re = match code {
            6 => Some(Regex::new(needle).map_err(|e| {
                datafusion::error::DataFusionError::Execution(format!("invalid regex `{needle}`: {e}"))
            })?),
            0..=3 if !cs => Regex::new(&format!("(?i){}", regex::escape(needle))).ok(),
            _ => None,
        };
        Ok(Matcher { code, cs, needle: needle.to_string(), lower: needle.to_lowercase(), re })
    }

    fn matches(&self, hay: &str) -> bool {
        match self.code {
            0 => match &self.re {
                Some(re) => re.is_match(hay),
                None => hay.contains(&self.needle),
            },
            1 => self.term_match(hay, Anchor::Both),
            2 => self.term_match(hay, Anchor::Start),
            3 => self.term_match(hay, Anchor::End),
            4 => self.starts(hay),
            5 => self.ends(hay),
            6 => self.re.as_ref().is_some_and(|re| re.is_match(hay)),
            _ => self.equals(hay),
        }
    }

    fn starts(&self, hay: &str) -> bool {
        if self.cs {
            return hay.starts_with(&self.needle);
        }
        let n = self.needle.len();
        if self.needle.is_ascii() {
            return hay.len() >= n && hay.as_bytes()[..n].eq_ignore_ascii_case(self.needle.as_bytes());
        }
        hay.to_lowercase().starts_with(&self.lower)
    }

    fn ends(&self, hay: &str) -> bool {
        if self.cs {
            return hay.ends_with(&self.needle);
        }
        let n = self.needle.len();
        if self.needle.is_ascii() {
            return hay.len() >= n
                && hay.as_bytes()[hay.len() - n..].eq_ignore_ascii_case(self.needle.as_bytes());
        }
        hay.to_lowercase().ends_with(&self.lower)
    }

    fn equals(&self, hay: &str) -> bool {
        if hay.is_ascii() && self.needle.is_ascii() {
            hay.eq_ignore_ascii_case(&self.needle)
        } else {
            hay.to_lowercase() == self.lower
        }
    }

    /// Finds the next occurrence at or after byte `from`.
    fn find_at(&self, hay: &str, from: usize) -> Option<(usize, usize)> {
        match &self.re {
            Some(re) => re.find_at(hay, from).map(|m| (m.start(), m.end())),
            None => hay[from..].find(&self.needle).map(|i| (from + i, from + i + self.needle.len())),
        }
    }

    fn term_match(&self, hay: &str, anchor: Anchor) -> bool {
        if self.needle.is_empty() {
            return true;
        }
        let need_start = matches!(anchor, Anchor::Start | Anchor::Both)
            && self.needle.chars().next().is_some_and(char::is_alphanumeric);
        let need_end = matches!(anchor, Anchor::End | Anchor::Both)
            && self.needle.chars().next_back().is_some_and(char::is_alphanumeric);
        let mut from = 0;
        while from <= hay.len() {
            let Some((s, e)) = self.find_at(hay, from) else { return false };
            let start_ok = !need_start || !hay[..s].chars().next_back().is_some_and(char::is_alphanumeric);
            let end_ok = !need_end || !hay[e..].chars().next().is_some_and(char::is_alphanumeric);
            if start_ok && end_ok {
                return true;
            }
            // Retry one character further: matches may overlap.
            from = s + hay[s..].chars().next().map_or(1, char::len_utf8);
        }
        false
    }
}

fn eval_string_op(call: &Call) -> Result<ArrayRef> {
    let code = call.param / 2;
    let cs = call.param % 2 == 1;
    let hay = StrArg::new(call.arg(0)?)?;
    let needle = StrArg::new(call.arg(1)?)?;
    let mut out = BooleanBuilder::with_capacity(call.rows);
    if let Some(n) = needle.constant() {
        let m = Matcher::new(code, cs, n.unwrap_or(""))?;
        for i in 0..call.rows {
            out.append_value(m.matches(hay.text(i)));
        }
    } else {
        // A needle per row: rebuild only when it changes.
        let mut current: Option<Matcher> = None;
        for i in 0..call.rows {
            let n = needle.text(i);
            if current.as_ref().is_none_or(|m| m.needle != n) {
                current = Some(Matcher::new(code, cs, n)?);
            }
            out.append_value(current.as_ref().is_some_and(|m| m.matches(hay.text(i))));
        }
    }
    Ok(arc(out.finish()))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn check(code: i64, cs: bool, hay: &str, needle: &str) -> bool {
        Matcher::new(code, cs, needle).expect("valid needle").matches(hay)
    }

    #[test]
    fn docs_examples_hold() {
        assert!(check(0, false, "FabriKam", "BRik"));
        assert!(!check(0, true, "Fabrikam", "Kam"));
        assert!(check(0, true, "FabriKam", "Kam"));
        assert!(check(1, false, "North America", "america"));
        assert!(!check(1, false, "KustoExplorerQueryRun", "Explorer"));
        assert!(check(2, false, "North America", "ame"));
        assert!(!check(2, false, "North America", "mer"));
        assert!(!check(2, true, "North America", "CA"));
        assert!(!check(3, false, "North America", "americ"));
        assert!(check(3, true, "North America", "ica"));
        assert!(check(4, false, "Fabrikam", "fab"));
        assert!(!check(4, false, "Fabrikam", "kam"));
        assert!(check(5, false, "Fabrikam", "Kam"));
        assert!(check(5, true, "Fabrikam", "kam"));
        assert!(!check(5, true, "FabriKam", "kam"));
        assert!(!check(5, false, "Fabrikam", "brik"));
        assert!(check(6, true, "Fabrikam", "b.*k"));
        assert!(check(EQUALS, false, "abc", "ABC"));
        assert!(!check(EQUALS, false, "aBc", "xyz"));
    }

    #[test]
    fn has_finds_terms_in_punctuated_text() {
        let guid = "Kusto: ad67d136-c1db-4f9f-88ef-d94f3b6b0b5a;KustoExplorerQueryRun";
        for term in ["Kusto", "ad67d136", "c1db", "4f9f", "88ef", "d94f3b6b0b5a", "kustoexplorerqueryrun"] {
            assert!(check(1, false, guid, term), "{term}");
        }
        assert!(!check(1, false, guid, "67d1"));
        // Needles with punctuation anchor only at their alphanumeric edges.
        assert!(check(1, false, "cmd.exe /c whoami", "cmd.exe"));
        assert!(check(1, false, r"C:\Windows\System32\cmd.exe", r"\system32\"));
        assert!(!check(1, false, "xcmd.exe", "cmd.exe"));
        // A failed first occurrence does not hide a later one.
        assert!(check(1, false, "aaa aa", "aa"));
        assert!(check(1, true, "powershell.exe -enc", "powershell"));
        assert!(!check(1, true, "PowerShell.exe", "powershell"));
        assert!(check(1, false, "Ünïcode wörds", "WÖRDS"));
    }

    #[test]
    fn case_insensitive_edges_on_non_ascii() {
        assert!(check(4, false, "Éclair", "éc"));
        assert!(check(5, false, "CAFÉ", "fé"));
        assert!(check(EQUALS, false, "CAFÉ", "café"));
        assert!(!check(4, false, "é", "e"));
    }
}
