//! `landtrace -l [GLOB]`: the schema as a table, from the schema itself.

use landtrace_event::schema::{BUILTINS, EVENTS, Family, GROUPS, glob_name as glob};
use std::io::{self, Write};

/// Writes the listing: events, then each event's fields, then (for the
/// full listing) builtins and access rights.
pub fn write(out: &mut impl Write, pattern: &str) -> io::Result<()> {
    let pattern = pattern.strip_prefix("landlock_").unwrap_or(pattern);
    let events: Vec<_> = EVENTS
        .iter()
        .filter(|e| glob(pattern, e.name) || e.aliases.iter().any(|a| glob(pattern, a)))
        .collect();
    for e in &events {
        let aliases =
            if e.aliases.is_empty() { String::new() } else { format!(" (alias {})", e.aliases.join(", ")) };
        writeln!(out, "{:<34}{}{aliases}", e.name, e.doc)?;
    }
    for e in &events {
        writeln!(out, "\n{}:", e.name)?;
        for (f, ty) in e.fields {
            writeln!(out, "    {:<16}{:<22}{}", f.name(), ty.to_string(), f.def().doc)?;
        }
    }
    if pattern == "*" {
        writeln!(out, "\nbuiltins (every event):")?;
        for b in BUILTINS {
            writeln!(out, "    {:<16}{:<22}{}", b.name, b.ty.to_string(), b.doc)?;
        }
        for fam in Family::ALL {
            writeln!(out, "\n{} rights ({}NAME, {}.name):", fam.noun(), fam.uapi_prefix(), fam.short())?;
            for r in fam.rights() {
                writeln!(out, "    {:<22}bit {:<3} ABI {}", r.name, r.shift, r.abi)?;
            }
        }
        writeln!(out, "\ngroups:")?;
        for g in GROUPS {
            writeln!(out, "    {:<22}{}", g.name, g.doc)?;
        }
    }
    Ok(())
}

pub fn print(pattern: &str) -> io::Result<()> {
    let mut out = io::stdout().lock();
    match write(&mut out, pattern) {
        Err(e) if e.kind() == io::ErrorKind::BrokenPipe => Ok(()),
        other => other,
    }
}
