//! Time as the event model writes and reads it: the `walltime` builtin,
//! RFC 3339 (JSON lines, audit), and civil time for text output.

use crate::record::Record;

/// The `walltime` builtin: RFC 3339 when the source knows the wall-clock
/// time; otherwise (ftrace text records only time since boot) the event
/// time as `+SECONDS.MICROS`.
pub fn walltime_text(rec: &Record) -> String {
    if rec.walltime() != 0 {
        rfc3339(rec.walltime())
    } else {
        format!("+{}.{:06}", rec.time() / 1_000_000_000, rec.time() % 1_000_000_000 / 1000)
    }
}

/// RFC 3339 UTC with nanoseconds: `2026-11-29T14:03:07.123456789Z`.
pub fn rfc3339(unix_ns: i64) -> String {
    let mut out = Vec::with_capacity(30);
    write_rfc3339(&mut out, unix_ns);
    String::from_utf8(out).expect("ASCII")
}

/// Appends what [`rfc3339`] returns, without allocating.
pub fn write_rfc3339(out: &mut Vec<u8>, unix_ns: i64) {
    let secs = unix_ns.div_euclid(1_000_000_000);
    let nanos = unix_ns.rem_euclid(1_000_000_000);
    let (y, mo, d, h, mi, s) = civil(secs);
    crate::value::push_fmt(out, format_args!("{y:04}-{mo:02}-{d:02}T{h:02}:{mi:02}:{s:02}.{nanos:09}Z"));
}

/// Breaks Unix seconds into (year, month, day, hour, minute, second), UTC.
pub fn civil(secs: i64) -> (i64, u32, u32, u32, u32, u32) {
    let days = secs.div_euclid(86_400);
    let rem = secs.rem_euclid(86_400);
    // Howard Hinnant's days-to-civil.
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = (doy - (153 * mp + 2) / 5 + 1) as u32;
    let m = if mp < 10 { mp + 3 } else { mp - 9 } as u32;
    let y = yoe + era * 400 + i64::from(m <= 2);
    (y, m, d, (rem / 3600) as u32, ((rem % 3600) / 60) as u32, (rem % 60) as u32)
}

/// Parses what [`rfc3339`] writes (and offsets other than Z) back to Unix
/// nanoseconds.
pub fn parse_rfc3339(s: &str) -> Option<i64> {
    let b = s.as_bytes();
    if b.len() < 20 || b[4] != b'-' || b[7] != b'-' || !matches!(b[10], b'T' | b't' | b' ') {
        return None;
    }
    let num = |r: std::ops::Range<usize>| s.get(r)?.parse::<i64>().ok();
    let (y, mo, d) = (num(0..4)?, num(5..7)?, num(8..10)?);
    let (h, mi, sec) = (num(11..13)?, num(14..16)?, num(17..19)?);
    let mut i = 19;
    let mut nanos = 0i64;
    if b.get(i) == Some(&b'.') {
        i += 1;
        let start = i;
        while i < b.len() && b[i].is_ascii_digit() {
            i += 1;
        }
        let frac = &s[start..i];
        if frac.is_empty() || frac.len() > 9 {
            return None;
        }
        nanos = frac.parse::<i64>().ok()? * 10i64.pow(9 - frac.len() as u32);
    }
    let offset = match &s[i..] {
        "Z" | "z" => 0,
        o if o.len() == 6 && (o.starts_with('+') || o.starts_with('-')) => {
            let sign = if o.starts_with('-') { -1 } else { 1 };
            sign * (o[1..3].parse::<i64>().ok()? * 3600 + o[4..6].parse::<i64>().ok()? * 60)
        }
        _ => return None,
    };
    if !(1..=12).contains(&mo) || !(1..=31).contains(&d) || h > 23 || mi > 59 || sec > 60 {
        return None;
    }
    // days-from-civil
    let y2 = if mo <= 2 { y - 1 } else { y };
    let era = y2.div_euclid(400);
    let yoe = y2.rem_euclid(400);
    let mp = (mo + 9) % 12;
    let doy = (153 * mp + 2) / 5 + d - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    let days = era * 146_097 + doe - 719_468;
    let secs = days * 86_400 + h * 3600 + mi * 60 + sec - offset;
    secs.checked_mul(1_000_000_000)?.checked_add(nanos)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn time_round_trip() {
        for ns in [0i64, 1_795_958_807_045_000_000, -1, 951_782_400_123_456_789] {
            let s = rfc3339(ns);
            assert_eq!(parse_rfc3339(&s), Some(ns), "{s}");
        }
        assert_eq!(rfc3339(1_795_958_807_045_000_000), "2026-11-29T13:26:47.045000000Z");
        assert_eq!(parse_rfc3339("2026-11-29T14:26:47+01:00"), Some(1_795_958_807_000_000_000));
    }
}
