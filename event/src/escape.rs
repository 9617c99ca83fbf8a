//! Escaping of untrusted bytes (paths, comm, socket names) for text output.
//!
//! As lltop does, every byte outside a small safe set becomes `\xNN`, so a
//! value can never contain a space, `=`, a quote, a newline or a terminal
//! control sequence: it cannot forge a field, a line or an escape code.

/// Bytes printed as themselves: printable ASCII except space, `\`, quotes,
/// `=` and backtick.
pub fn is_safe(b: u8) -> bool {
    SAFE[b as usize]
}

/// [`is_safe`] of every byte.
static SAFE: [bool; 256] = {
    let mut t = [false; 256];
    let mut b = 0;
    while b < 256 {
        let c = b as u8;
        t[b] = c >= 0x21 && c <= 0x7e && !matches!(c, b'\\' | b'"' | b'\'' | b'=' | b'`');
        b += 1;
    }
    t
};

/// Appends `s` with every unsafe byte as `\xNN`; runs of safe bytes are
/// copied whole.
pub fn escape_into(out: &mut Vec<u8>, s: &[u8]) {
    const HEX: &[u8; 16] = b"0123456789abcdef";
    let mut rest = s;
    loop {
        let safe = rest.iter().position(|&b| !SAFE[b as usize]).unwrap_or(rest.len());
        out.extend_from_slice(&rest[..safe]);
        let Some(&b) = rest.get(safe) else { return };
        out.extend_from_slice(&[b'\\', b'x', HEX[(b >> 4) as usize], HEX[(b & 15) as usize]]);
        rest = &rest[safe + 1..];
    }
}

pub fn escape(s: &[u8]) -> String {
    let mut out = Vec::with_capacity(s.len());
    escape_into(&mut out, s);
    String::from_utf8(out).expect("escaped text is ASCII")
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
        assert_eq!(escape(b"a b=c\n\x1b[31m\"'\\"), "a\\x20b\\x3dc\\x0a\\x1b[31m\\x22\\x27\\x5c");
        assert_eq!(escape("é".as_bytes()), "\\xc3\\xa9");
    }

    /// Every byte, alone and within runs, escapes as the byte-by-byte rule
    /// says.
    #[test]
    fn escapes_byte_by_byte() {
        for b in 0..=255u8 {
            let safe = (0x21..=0x7e).contains(&b) && !matches!(b, b'\\' | b'"' | b'\'' | b'=' | b'`');
            assert_eq!(is_safe(b), safe, "{b:#x}");
            let want = if safe { vec![b] } else { format!("\\x{b:02x}").into_bytes() };
            let mut out = Vec::new();
            escape_into(&mut out, &[b'a', b, b'z', b]);
            assert_eq!(out, [&b"a"[..], &want, b"z", &want].concat(), "{b:#x}");
            // At every place of a run longer than the eight bytes looked
            // at together.
            for at in 0..20 {
                let mut s = b"abcdefghijklmnopqrs".to_vec();
                s.insert(at, b);
                let mut out = Vec::new();
                escape_into(&mut out, &s);
                assert_eq!(out, [&s[..at], &want, &s[at + 1..]].concat(), "{b:#x} at {at}");
            }
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
