//! `landtrace -l [GLOB]`: the schema as a table, from the schema itself.

use landtrace_event::schema::{BUILTINS, EVENTS, Family, GROUPS, glob_name as glob};
use std::io::{self, Write};

/// Writes the listing: events, then each event's fields, then builtins,
/// access rights and groups; for a glob, what it matches of each (a right
/// by its name, `LANDLOCK_ACCESS_FS_NAME` or `fs.name`). Returns whether
/// anything matched.
pub fn write(out: &mut impl Write, pattern: &str) -> io::Result<bool> {
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
    let mut found = !events.is_empty();
    let all = pattern == "*";
    // Sections other than events only where the glob names something in
    // them (all of them for `*`).
    let section = |out: &mut dyn Write, title: &str, first: &mut bool| -> io::Result<()> {
        if *first {
            writeln!(out, "\n{title}")?;
            *first = false;
        }
        Ok(())
    };
    let mut first = true;
    for b in BUILTINS.iter().filter(|b| all || glob(pattern, b.name)) {
        section(out, "builtins (every event):", &mut first)?;
        writeln!(out, "    {:<16}{:<22}{}", b.name, b.ty.to_string(), b.doc)?;
        found = true;
    }
    for fam in Family::ALL {
        let mut first = true;
        let title = format!("{} rights ({}NAME, {}.name):", fam.noun(), fam.uapi_prefix(), fam.short());
        for r in fam.rights() {
            let uapi = format!("{}{}", fam.uapi_prefix(), r.name);
            let dotted = format!("{}.{}", fam.short(), r.name.to_lowercase());
            if all || glob(pattern, r.name) || glob(pattern, &uapi) || glob(pattern, &dotted) {
                section(out, &title, &mut first)?;
                writeln!(out, "    {:<22}bit {:<3} ABI {}", r.name, r.shift, r.abi)?;
                found = true;
            }
        }
    }
    let mut first = true;
    for g in GROUPS.iter().filter(|g| all || glob(pattern, g.name)) {
        section(out, "groups:", &mut first)?;
        writeln!(out, "    {:<22}{}", g.name, g.doc)?;
        found = true;
    }
    Ok(found)
}

/// Prints the listing; `Ok(false)` when nothing matches the glob.
pub fn print(pattern: &str) -> io::Result<bool> {
    let mut out = io::stdout().lock();
    match write(&mut out, pattern) {
        Err(e) if e.kind() == io::ErrorKind::BrokenPipe => Ok(true),
        other => other,
    }
}
