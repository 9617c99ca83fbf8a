//! printf format strings: parsed once at check time into literal pieces and
//! conversion specs (`%d %i %u %x %X %c %s %r %%`, flags `-`, `0`, `+`,
//! ` ` and `#`, a width, a precision, and the C length modifiers bpftrace
//! users type out of habit, which are accepted and ignored), as C's printf
//! reads them.

#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub enum Conv {
    /// `%d`, `%i`: signed decimal.
    Dec,
    /// `%u`: unsigned decimal.
    Unsigned,
    /// `%x`: lower-case hex.
    Hex,
    /// `%X`: upper-case hex.
    HexUpper,
    /// `%s`: any value in its default text form.
    Str,
    /// `%r`: a mask as right names.
    Rights,
    /// `%c`: the character whose code an integer is.
    Char,
}

#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub struct Spec {
    pub conv: Conv,
    pub width: usize,
    pub left: bool,
    pub zero: bool,
    /// `+`: a sign before a non-negative signed number; ` `: a space.
    pub sign: Option<u8>,
    /// `#`: `0x`/`0X` before a non-zero hex number.
    pub alt: bool,
    /// `.N`: at most N bytes of a string, at least N digits of a number.
    pub precision: Option<usize>,
    /// Byte range of the spec inside the format string.
    pub at: (usize, usize),
}

#[derive(Clone, PartialEq, Eq, Debug)]
pub enum Piece {
    Lit(Vec<u8>),
    Spec(Spec),
}

#[derive(Clone, PartialEq, Eq, Debug)]
pub struct Format {
    /// The format as written (after string escapes).
    pub text: Vec<u8>,
    pub pieces: Vec<Piece>,
}

/// A format error: byte range in the format string and message.
#[derive(Clone, PartialEq, Eq, Debug)]
pub struct FormatError {
    pub at: (usize, usize),
    pub message: String,
}

const MAX_WIDTH: usize = 4096;

impl Format {
    pub fn parse(fmt: &[u8]) -> Result<Format, FormatError> {
        let mut pieces = Vec::new();
        let mut lit = Vec::new();
        let mut i = 0;
        while i < fmt.len() {
            if fmt[i] != b'%' {
                lit.push(fmt[i]);
                i += 1;
                continue;
            }
            let start = i;
            i += 1;
            if fmt.get(i) == Some(&b'%') {
                lit.push(b'%');
                i += 1;
                continue;
            }
            let (mut left, mut zero, mut sign, mut alt) = (false, false, None, false);
            while let Some(&c @ (b'-' | b'0' | b'+' | b' ' | b'#')) = fmt.get(i) {
                left |= c == b'-';
                zero |= c == b'0';
                alt |= c == b'#';
                // `+` wins over ` `, as in C.
                if c == b'+' || (c == b' ' && sign.is_none()) {
                    sign = Some(c);
                }
                i += 1;
            }
            let wstart = i;
            while fmt.get(i).is_some_and(u8::is_ascii_digit) {
                i += 1;
            }
            let width = if i > wstart {
                std::str::from_utf8(&fmt[wstart..i])
                    .ok()
                    .and_then(|w| w.parse::<usize>().ok())
                    .filter(|w| *w <= MAX_WIDTH)
                    .ok_or_else(|| FormatError {
                        at: (wstart, i),
                        message: format!("width is larger than {MAX_WIDTH}"),
                    })?
            } else {
                0
            };
            let precision = if fmt.get(i) == Some(&b'.') {
                i += 1;
                let pstart = i;
                while fmt.get(i).is_some_and(u8::is_ascii_digit) {
                    i += 1;
                }
                // `%.s` is a precision of 0, as in C.
                Some(
                    std::str::from_utf8(&fmt[pstart..i])
                        .ok()
                        .map_or(Some(0), |p| if p.is_empty() { Some(0) } else { p.parse::<usize>().ok() })
                        .filter(|p| *p <= MAX_WIDTH)
                        .ok_or_else(|| FormatError {
                            at: (pstart, i),
                            message: format!("precision is larger than {MAX_WIDTH}"),
                        })?,
                )
            } else {
                None
            };
            while let Some(b'l' | b'h' | b'z' | b'j') = fmt.get(i) {
                i += 1;
            }
            let conv = match fmt.get(i) {
                Some(b'd' | b'i') => Conv::Dec,
                Some(b'u') => Conv::Unsigned,
                Some(b'x') => Conv::Hex,
                Some(b'X') => Conv::HexUpper,
                Some(b's') => Conv::Str,
                Some(b'r') => Conv::Rights,
                Some(b'c') => Conv::Char,
                Some(_) => {
                    let clen = std::str::from_utf8(&fmt[i..])
                        .ok()
                        .and_then(|s| s.chars().next())
                        .map_or(1, char::len_utf8);
                    return Err(FormatError {
                        at: (start, i + clen),
                        message: format!(
                            "unknown conversion `%{}`",
                            String::from_utf8_lossy(&fmt[i..i + clen])
                        ),
                    });
                }
                None => {
                    return Err(FormatError {
                        at: (start, i),
                        message: "incomplete conversion at the end of the format".into(),
                    });
                }
            };
            i += 1;
            if !lit.is_empty() {
                pieces.push(Piece::Lit(std::mem::take(&mut lit)));
            }
            pieces.push(Piece::Spec(Spec { conv, width, left, zero, sign, alt, precision, at: (start, i) }));
        }
        if !lit.is_empty() {
            pieces.push(Piece::Lit(lit));
        }
        Ok(Format { text: fmt.to_vec(), pieces })
    }

    pub fn specs(&self) -> impl Iterator<Item = &Spec> {
        self.pieces.iter().filter_map(|p| match p {
            Piece::Spec(s) => Some(s),
            Piece::Lit(_) => None,
        })
    }
}

impl Spec {
    /// Pads the text already written at `out[start..]` to the spec's
    /// width, in place.
    pub fn pad_from(&self, out: &mut Vec<u8>, start: usize, numeric: bool) {
        let len = out.len() - start;
        let fill = self.width.saturating_sub(len);
        if fill == 0 {
            return;
        }
        if self.left {
            out.resize(out.len() + fill, b' ');
            return;
        }
        // Zeros go after a sign and a `0x`; spaces before everything. (C
        // ignores `0` when a number has a precision.)
        let (at, byte) = if self.zero && numeric && self.precision.is_none() {
            let signed = usize::from(matches!(out.get(start), Some(b'-' | b'+' | b' ')));
            let prefixed =
                if out[start + signed..].starts_with(b"0x") || out[start + signed..].starts_with(b"0X") {
                    2
                } else {
                    0
                };
            (start + signed + prefixed, b'0')
        } else {
            (start, b' ')
        };
        let end = out.len();
        out.resize(end + fill, byte);
        out.copy_within(at..end, at + fill);
        out[at..at + fill].fill(byte);
    }

    /// Pads `text` to the spec's width.
    pub fn pad(&self, out: &mut Vec<u8>, text: &[u8], numeric: bool) {
        let fill = self.width.saturating_sub(text.len());
        if self.left {
            out.extend_from_slice(text);
            out.resize(out.len() + fill, b' ');
        } else if self.zero && numeric {
            let (sign, digits) = match text.first() {
                Some(b'-') => (&text[..1], &text[1..]),
                _ => (&text[..0], text),
            };
            out.extend_from_slice(sign);
            out.resize(out.len() + fill, b'0');
            out.extend_from_slice(digits);
        } else {
            out.resize(out.len() + fill, b' ');
            out.extend_from_slice(text);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_specs() {
        let f = Format::parse(b"%-16s %08x %lu %r %%\n").unwrap();
        let specs: Vec<_> = f.specs().map(|s| (s.conv, s.width, s.left, s.zero)).collect();
        assert_eq!(
            specs,
            vec![
                (Conv::Str, 16, true, false),
                (Conv::Hex, 8, false, true),
                (Conv::Unsigned, 0, false, false),
                (Conv::Rights, 0, false, false)
            ]
        );
        assert!(matches!(f.pieces.last(), Some(Piece::Lit(l)) if l == b" %\n"));
        assert_eq!(Format::parse(b"%q").unwrap_err().message, "unknown conversion `%q`");
        assert!(Format::parse(b"abc %").is_err());
    }

    #[test]
    fn pads() {
        let spec = |w, left, zero| Spec {
            conv: Conv::Dec,
            width: w,
            left,
            zero,
            sign: None,
            alt: false,
            precision: None,
            at: (0, 0),
        };
        let mut out = Vec::new();
        spec(5, false, true).pad(&mut out, b"-42", true);
        assert_eq!(out, b"-0042");
        out.clear();
        spec(5, true, false).pad(&mut out, b"ab", false);
        assert_eq!(out, b"ab   ");
    }
}
