//! String patterns for `=~`: globs (`"/etc/**"`) and regular expressions
//! (`re"..."`), compiled once when the program is checked.
//!
//! Globs: `*` matches within a path segment, `**` across segments (`/**/`
//! also matches a single `/`), `?` one byte other than `/`, `[abc]`,
//! `[a-z]`, `[!abc]` a class, `{a,b}` alternatives. A glob matches the whole
//! string. Common shapes (a literal, `prefix/**`, `**suffix`, `**middle**`)
//! take a fast path that never touches the regex engine. Regular
//! expressions search anywhere in the string (anchor with `^`/`$`).

use regex::bytes::{Regex, RegexBuilder};

#[derive(Clone, Debug)]
pub struct Pattern {
    /// The pattern as written, for dumps.
    pub source: String,
    pub is_regex: bool,
    matcher: Matcher,
}

/// Where a literal must occur in a string.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub enum Affix {
    Whole,
    Prefix,
    Suffix,
}

#[derive(Clone, Debug)]
enum Matcher {
    Exact(Vec<u8>),
    Prefix(Vec<u8>),
    Suffix(Vec<u8>),
    Contains(Vec<u8>),
    Regex(Regex),
}

impl Pattern {
    pub fn glob(pat: &[u8]) -> Result<Pattern, PatternError> {
        let source = String::from_utf8_lossy(pat).into_owned();
        let matcher = glob_fast_path(pat).map_or_else(|| glob_regex(pat).map(Matcher::Regex), Ok)?;
        Ok(Pattern { source, is_regex: false, matcher })
    }

    pub fn regex(src: &str) -> Result<Pattern, PatternError> {
        let re = RegexBuilder::new(src).size_limit(1 << 20).build().map_err(PatternError::Regex)?;
        Ok(Pattern { source: src.to_string(), is_regex: true, matcher: Matcher::Regex(re) })
    }

    pub fn is_match(&self, s: &[u8]) -> bool {
        match &self.matcher {
            Matcher::Exact(p) => s == p.as_slice(),
            Matcher::Prefix(p) => s.starts_with(p),
            Matcher::Suffix(p) => s.ends_with(p),
            Matcher::Contains(p) => memmem(s, p),
            Matcher::Regex(re) => re.is_match(s),
        }
    }

    /// A pattern that is a plain string test, for code generation: what
    /// the string must equal, start with or end with.
    pub fn literal(&self) -> Option<(Affix, &[u8])> {
        match &self.matcher {
            Matcher::Exact(p) => Some((Affix::Whole, p)),
            Matcher::Prefix(p) => Some((Affix::Prefix, p)),
            Matcher::Suffix(p) => Some((Affix::Suffix, p)),
            Matcher::Contains(_) | Matcher::Regex(_) => None,
        }
    }

    /// How the pattern is matched, for `--dump`.
    pub fn strategy(&self) -> String {
        match &self.matcher {
            Matcher::Exact(p) => format!("equals {:?}", String::from_utf8_lossy(p)),
            Matcher::Prefix(p) => format!("prefix {:?}", String::from_utf8_lossy(p)),
            Matcher::Suffix(p) => format!("suffix {:?}", String::from_utf8_lossy(p)),
            Matcher::Contains(p) => format!("contains {:?}", String::from_utf8_lossy(p)),
            Matcher::Regex(re) => format!("regex {:?}", re.as_str()),
        }
    }
}

fn memmem(hay: &[u8], needle: &[u8]) -> bool {
    needle.is_empty() || hay.windows(needle.len()).any(|w| w == needle)
}

fn is_meta(b: u8) -> bool {
    matches!(b, b'*' | b'?' | b'[' | b'{')
}

fn glob_fast_path(pat: &[u8]) -> Option<Matcher> {
    if !pat.iter().any(|&b| is_meta(b)) {
        return Some(Matcher::Exact(pat.to_vec()));
    }
    let plain = |s: &[u8]| !s.iter().any(|&b| is_meta(b));
    if let Some(prefix) = pat.strip_suffix(b"**") {
        if plain(prefix) {
            return Some(Matcher::Prefix(prefix.to_vec()));
        }
        if let Some(mid) = prefix.strip_prefix(b"**")
            && plain(mid)
        {
            return Some(Matcher::Contains(mid.to_vec()));
        }
    }
    if let Some(suffix) = pat.strip_prefix(b"**") {
        // `**/x` also matches `x` with no slash; leave that to the regex.
        if plain(suffix) && !suffix.starts_with(b"/") {
            return Some(Matcher::Suffix(suffix.to_vec()));
        }
    }
    None
}

fn glob_regex(pat: &[u8]) -> Result<Regex, PatternError> {
    let mut re = String::from("(?s-u)^");
    let mut i = 0;
    let mut in_alt = false;
    while i < pat.len() {
        let b = pat[i];
        match b {
            b'*' if pat.get(i + 1) == Some(&b'*') => {
                let at_seg_start = i == 0 || pat[i - 1] == b'/';
                let next = pat.get(i + 2);
                if at_seg_start && next == Some(&b'/') {
                    // `**/`: zero or more whole segments.
                    re.push_str("(?:.*/)?");
                    i += 3;
                } else {
                    re.push_str(".*");
                    i += 2;
                }
                continue;
            }
            b'*' => re.push_str("[^/]*"),
            b'?' => re.push_str("[^/]"),
            b'[' => {
                let end = pat[i + 1..]
                    .iter()
                    .enumerate()
                    .position(|(k, &c)| c == b']' && k > 0)
                    .map(|k| i + 1 + k)
                    .ok_or(PatternError::UnclosedBracket)?;
                let mut class = &pat[i + 1..end];
                re.push('[');
                if let Some(rest) = class.strip_prefix(b"!").or_else(|| class.strip_prefix(b"^")) {
                    re.push('^');
                    class = rest;
                }
                for (k, &c) in class.iter().enumerate() {
                    if c == b'-' && k > 0 && k + 1 < class.len() {
                        re.push('-');
                    } else {
                        push_byte(&mut re, c);
                    }
                }
                re.push(']');
                i = end + 1;
                continue;
            }
            b'{' if !in_alt => {
                in_alt = true;
                re.push_str("(?:");
            }
            b',' if in_alt => re.push('|'),
            b'}' if in_alt => {
                in_alt = false;
                re.push(')');
            }
            _ => push_byte(&mut re, b),
        }
        i += 1;
    }
    if in_alt {
        return Err(PatternError::UnclosedBrace);
    }
    re.push('$');
    RegexBuilder::new(&re).unicode(false).build().map_err(PatternError::Regex)
}

fn push_byte(re: &mut String, b: u8) {
    if b.is_ascii_alphanumeric() || b == b'/' || b == b'_' {
        re.push(b as char);
    } else {
        re.push_str(&format!("\\x{b:02x}"));
    }
}

/// The last line of regex's error, which says what is wrong.
/// A pattern the regex engine refuses (a glob is compiled to a regex).
#[derive(Clone, Debug, thiserror::Error)]
pub enum PatternError {
    #[error("{}", regex_error_message(.0))]
    Regex(#[source] regex::Error),
    #[error("unclosed `{{` in glob")]
    UnclosedBrace,
    #[error("unclosed `[` in glob")]
    UnclosedBracket,
}

/// The last line of the regex crate's message: what is wrong, without the
/// pattern drawn again (the diagnostic points at it).
fn regex_error_message(e: &regex::Error) -> String {
    let text = e.to_string();
    text.lines()
        .rev()
        .find(|l| !l.trim().is_empty())
        .map(|l| l.trim().trim_start_matches("error: ").to_string())
        .unwrap_or(text)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn g(p: &str, s: &str) -> bool {
        Pattern::glob(p.as_bytes()).unwrap().is_match(s.as_bytes())
    }

    #[test]
    fn globs() {
        assert!(g("/etc/**", "/etc/passwd"));
        assert!(g("/etc/**", "/etc/ssl/certs/x"));
        assert!(!g("/etc/**", "/etcx/passwd"));
        assert!(!g("/etc/**", "/etc"));
        assert!(g("/etc/*", "/etc/passwd"));
        assert!(!g("/etc/*", "/etc/ssl/x"));
        assert!(g("/etc/**/passwd", "/etc/passwd"));
        assert!(g("/etc/**/passwd", "/etc/a/b/passwd"));
        assert!(g("**.so", "/usr/lib/libc.so"));
        assert!(g("**/lib/**", "/usr/lib/x"));
        assert!(g("/tmp/?", "/tmp/a"));
        assert!(!g("/tmp/?", "/tmp/ab"));
        assert!(g("/dev/tty[0-9]", "/dev/tty3"));
        assert!(!g("/dev/tty[!0-9]", "/dev/tty3"));
        assert!(g("/{etc,root}/**", "/root/.ssh/id"));
        assert!(g("/tmp/a b", "/tmp/a b"));
        assert!(g("/tmp/*.txt", "/tmp/\u{e9}.txt"));
        assert!(Pattern::glob(b"/tmp/[ab").is_err());
        let raw = Pattern::glob(b"/tmp/\xff*").unwrap();
        assert!(raw.is_match(b"/tmp/\xff\xfe"));
        assert!(!raw.is_match(b"/tmp/\xfe"));
    }

    #[test]
    fn regexes() {
        let r = Pattern::regex("^/etc/(passwd|shadow)$").unwrap();
        assert!(r.is_match(b"/etc/shadow"));
        assert!(!r.is_match(b"/etc/group"));
        let e = Pattern::regex("([").unwrap_err();
        assert!(e.to_string().contains("unclosed"), "{e}");
    }
}
