//! Escaping of untrusted bytes (paths, comm, socket names) for text output.
//!
//! Only as much as safety needs: text a person reads (valid UTF-8, spaces,
//! quotes, `=`) is printed as it is; what could forge a line or change the
//! terminal's state is shown as an escape: control characters (C0, DEL,
//! C1) and bidirectional overrides and isolates, and every byte that is
//! not UTF-8, as `\xNN` (bytes) or `\u{NNNN}` (characters). The backslash
//! itself is `\x5c`, so an escape in the output was made by landtrace.
//! Map keys also escape `,` and `]`, which separate and end them.

/// Whether an ASCII byte is printed as itself: printable, not `\`.
pub fn is_safe(b: u8) -> bool {
    SAFE[b as usize]
}

/// [`is_safe`] of every byte (false for every non-ASCII byte: those are
/// looked at as UTF-8).
static SAFE: [bool; 256] = {
    let mut t = [false; 256];
    let mut b = 0;
    while b < 256 {
        let c = b as u8;
        t[b] = c >= 0x20 && c <= 0x7e && c != b'\\';
        b += 1;
    }
    t
};

/// Whether a character is shown as an escape: C1 controls, bidirectional
/// embeddings, overrides and isolates (ASCII is [`is_safe`]'s).
fn unsafe_char(c: char) -> bool {
    ('\u{80}'..='\u{9f}').contains(&c)
        || ('\u{202a}'..='\u{202e}').contains(&c)
        || ('\u{2066}'..='\u{2069}').contains(&c)
}

const HEX: &[u8; 16] = b"0123456789abcdef";

fn push_byte_escape(out: &mut Vec<u8>, b: u8) {
    out.extend_from_slice(&[b'\\', b'x', HEX[(b >> 4) as usize], HEX[(b & 15) as usize]]);
}

/// Appends `s` escaped for text output; runs of safe bytes are copied whole.
pub fn escape_into(out: &mut Vec<u8>, s: &[u8]) {
    escape_with(out, s, b"");
}

/// [`escape_into`] for a map key's part, where `,` and `]` also escape.
pub fn escape_key_into(out: &mut Vec<u8>, s: &[u8]) {
    escape_with(out, s, b",]");
}

fn escape_with(out: &mut Vec<u8>, s: &[u8], also: &[u8]) {
    let mut rest = s;
    loop {
        let safe = rest.iter().position(|&b| !SAFE[b as usize] || also.contains(&b)).unwrap_or(rest.len());
        out.extend_from_slice(&rest[..safe]);
        let Some(&b) = rest.get(safe) else { return };
        if b < 0x80 {
            push_byte_escape(out, b);
            rest = &rest[safe + 1..];
            continue;
        }
        // Non-ASCII: one UTF-8 character, or one byte that starts none.
        let tail = &rest[safe..];
        let chunk = tail.utf8_chunks().next().expect("not empty");
        if let Some(c) = chunk.valid().chars().next() {
            let n = c.len_utf8();
            if unsafe_char(c) {
                out.extend_from_slice(format!("\\u{{{:04x}}}", c as u32).as_bytes());
            } else {
                out.extend_from_slice(&tail[..n]);
            }
            rest = &tail[n..];
        } else {
            push_byte_escape(out, b);
            rest = &tail[1..];
        }
    }
}

pub fn escape(s: &[u8]) -> String {
    let mut out = Vec::with_capacity(s.len());
    escape_into(&mut out, s);
    String::from_utf8(out).expect("escaped text is UTF-8")
}

/// Appends a JSON string literal. Valid UTF-8 is written as a JSON string
/// (control characters escaped); anything else is written lossily and the
/// caller adds a `<name>_hex` companion so nothing is lost.
pub fn json_str_into(out: &mut Vec<u8>, s: &[u8]) {
    let text = String::from_utf8_lossy(s);
    out.push(b'"');
    for c in text.chars() {
        match c {
            '"' => out.extend_from_slice(b"\\\""),
            '\\' => out.extend_from_slice(b"\\\\"),
            '\n' => out.extend_from_slice(b"\\n"),
            '\r' => out.extend_from_slice(b"\\r"),
            '\t' => out.extend_from_slice(b"\\t"),
            c if (c as u32) < 0x20 || c == '\u{7f}' || ('\u{80}'..='\u{9f}').contains(&c) => {
                out.extend_from_slice(format!("\\u{:04x}", c as u32).as_bytes());
            }
            c => {
                let mut buf = [0u8; 4];
                out.extend_from_slice(c.encode_utf8(&mut buf).as_bytes());
            }
        }
    }
    out.push(b'"');
}

/// Lower-case hex of bytes, for `<name>_hex` companions.
pub fn hex(s: &[u8]) -> String {
    s.iter().map(|b| format!("{b:02x}")).collect()
}

pub fn unhex(s: &str) -> Option<Vec<u8>> {
    if !s.len().is_multiple_of(2) {
        return None;
    }
    (0..s.len()).step_by(2).map(|i| u8::from_str_radix(s.get(i..i + 2)?, 16).ok()).collect()
}

/// Text for a message on stderr that may hold untrusted bytes (a file
/// name, a line's content, an event name from a trace): every control
/// character (C0, DEL, C1) and every bidirectional override becomes a
/// visible `\xNN` or `\u{NNNN}`, so no input can move the cursor, colour
/// the terminal or reorder what is shown. Newlines are kept only when
/// `multi_line` (messages landtrace itself writes on several lines).
pub fn message(s: &str, multi_line: bool) -> std::borrow::Cow<'_, str> {
    let bad = |c: char| {
        (c < ' ' && !(multi_line && c == '\n'))
            || c == '\u{7f}'
            || ('\u{80}'..='\u{9f}').contains(&c)
            || ('\u{202a}'..='\u{202e}').contains(&c)
            || ('\u{2066}'..='\u{2069}').contains(&c)
    };
    if !s.chars().any(bad) {
        return std::borrow::Cow::Borrowed(s);
    }
    let mut out = String::with_capacity(s.len() + 8);
    for c in s.chars() {
        if !bad(c) {
            out.push(c);
        } else if (c as u32) < 0x100 {
            out.push_str(&format!("\\x{:02x}", c as u32));
        } else {
            out.push_str(&format!("\\u{{{:04x}}}", c as u32));
        }
    }
    std::borrow::Cow::Owned(out)
}

#[cfg(test)]
mod tests {
    use super::message;

    #[test]
    fn messages_show_control_characters() {
        assert_eq!(message("landlock_\x1b[31mfoo", false), "landlock_\\x1b[31mfoo");
        assert_eq!(message("a\nb\u{202e}c", false), "a\\x0ab\\u{202e}c");
        assert_eq!(message("a\nb", true), "a\nb");
        assert_eq!(message("plain é text", false), "plain é text");
    }

    use super::*;

    #[test]
    fn hostile_bytes_are_escaped() {
        assert_eq!(escape(b"/etc/passwd"), "/etc/passwd");
        // Readable text is kept; controls, a backslash and invalid bytes are not.
        assert_eq!(
            escape("Web Content r\u{e9}sum\u{e9}.pdf \"q\" a=b".as_bytes()),
            "Web Content r\u{e9}sum\u{e9}.pdf \"q\" a=b"
        );
        assert_eq!(escape(b"a b=c\n\x1b[31m\"'\\"), "a b=c\\x0a\\x1b[31m\"'\\x5c");
        assert_eq!(escape(b"\xff\xc3"), "\\xff\\xc3");
        assert_eq!(escape("x\u{202e}y\u{85}z\u{2067}".as_bytes()), "x\\u{202e}y\\u{0085}z\\u{2067}");
        let mut key = Vec::new();
        escape_key_into(&mut key, b"a, b]c");
        assert_eq!(key, b"a\\x2c b\\x5dc");
    }

    /// What escapes cannot forge a line or move the terminal: no control
    /// character (C0, DEL, C1) and no bidi control survives, for every
    /// byte alone and at every place of a run, and every other byte is
    /// kept or shown.
    #[test]
    fn escapes_byte_by_byte() {
        for b in 0..=255u8 {
            let safe = (0x20..=0x7e).contains(&b) && b != b'\\';
            assert_eq!(is_safe(b), safe, "{b:#x}");
            // Alone, a byte of 0x80 or more is not UTF-8.
            let want = if safe { vec![b] } else { format!("\\x{b:02x}").into_bytes() };
            let mut out = Vec::new();
            escape_into(&mut out, &[b'a', b, b'z', b]);
            assert_eq!(out, [&b"a"[..], &want, b"z", &want].concat(), "{b:#x}");
            for at in 0..20 {
                let mut s = b"abcdefghijklmnopqrs".to_vec();
                s.insert(at, b);
                let mut out = Vec::new();
                escape_into(&mut out, &s);
                assert_eq!(out, [&s[..at], &want, &s[at + 1..]].concat(), "{b:#x} at {at}");
            }
        }
        // Every character up to U+2FFF: kept exactly when it is safe.
        for c in (0..0x3000u32).filter_map(char::from_u32) {
            let text = format!("a{c}b");
            let shown = escape(text.as_bytes());
            assert!(
                !shown.chars().any(|c| c.is_control()
                    || ('\u{202a}'..='\u{202e}').contains(&c)
                    || ('\u{2066}'..='\u{2069}').contains(&c)),
                "{c:?}: {shown:?}"
            );
            let kept = shown == text;
            let ok = !c.is_control()
                && c != '\\'
                && !('\u{202a}'..='\u{202e}').contains(&c)
                && !('\u{2066}'..='\u{2069}').contains(&c);
            assert_eq!(kept, ok, "{c:?}: {shown:?}");
        }
        let mut out = Vec::new();
        escape_into(&mut out, b"");
        assert!(out.is_empty());
    }

    #[test]
    fn json_strings() {
        let mut out = Vec::new();
        json_str_into(&mut out, b"a\"b\n\x1b");
        assert_eq!(out, b"\"a\\\"b\\n\\u001b\"");
        assert_eq!(unhex(&hex(b"\xff\x00a")).unwrap(), b"\xff\x00a");
    }
}
