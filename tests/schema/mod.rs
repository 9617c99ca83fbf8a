//! Validation of landtrace's `-f json` lines against the documented JSON
//! Schema (docs/schema/), in process with the `jsonschema` crate: it needs
//! nothing installed, so it always runs. Every test run of the binary with
//! JSON output passes what it printed through [`check`]: a line the schema
//! does not describe fails the test that printed it.
//!
//! By hand, any draft 2020-12 validator reads the schema, e.g.
//! `check-jsonschema` or Python's `jsonschema`.

use serde_json::Value;
use std::collections::HashMap;
use std::path::PathBuf;
use std::sync::{Mutex, OnceLock};

/// The workspace root (this module is also used by the runtime crate's tests).
fn root() -> PathBuf {
    let here = PathBuf::from(env!("CARGO_MANIFEST_DIR"));
    here.ancestors().find(|p| p.join("docs/schema").is_dir()).map(PathBuf::from).unwrap_or(here)
}

/// The schema, read and checked against its meta-schema once.
fn schema() -> &'static Value {
    static SCHEMA: OnceLock<Value> = OnceLock::new();
    SCHEMA.get_or_init(|| {
        let file = root().join("docs/schema/landtrace-v1.schema.json");
        let text = std::fs::read_to_string(&file).unwrap_or_else(|e| panic!("{}: {e}", file.display()));
        let schema: Value = serde_json::from_str(&text).expect("the schema is JSON");
        jsonschema::meta::validate(&schema)
            .unwrap_or_else(|e| panic!("the schema is not a valid schema: {e}"));
        schema
    })
}

/// The name of the one definition the schema checks `rec` against (it
/// tells records apart by "type" and events by "event", with if/then), or
/// `None` for the whole schema. A line is checked against that definition
/// only, which is what the whole schema says of it, and much faster.
fn definition(rec: &Value) -> Option<String> {
    let s = schema();
    let known = |list: &Value, v: &str| list.as_array().is_some_and(|a| a.iter().any(|x| x == v));
    let ty = rec.get("type")?.as_str()?;
    if !known(&s["properties"]["type"]["enum"], ty) {
        return None;
    }
    if ty != "event" {
        return Some(ty.to_string());
    }
    let ev = rec.get("event")?.as_str()?;
    known(&s["$defs"]["event"]["properties"]["event"]["enum"], ev).then(|| format!("event_{ev}"))
}

/// Runs `f` with the validator for `def` (the whole schema for `None`),
/// built once per definition.
fn with_validator<R>(def: Option<String>, f: impl FnOnce(&jsonschema::Validator) -> R) -> R {
    static CACHE: OnceLock<Mutex<HashMap<Option<String>, jsonschema::Validator>>> = OnceLock::new();
    let mut cache =
        CACHE.get_or_init(Mutex::default).lock().unwrap_or_else(std::sync::PoisonError::into_inner);
    let v = cache.entry(def.clone()).or_insert_with(|| {
        let s = schema();
        let sub = match &def {
            None => s.clone(),
            Some(name) => serde_json::json!({
                "$schema": s["$schema"],
                "$defs": s["$defs"],
                "$ref": format!("#/$defs/{name}"),
            }),
        };
        jsonschema::options().build(&sub).unwrap_or_else(|e| panic!("building a validator for {def:?}: {e}"))
    });
    f(v)
}

/// Whether `args` ask for JSON output.
#[allow(dead_code, reason = "not every test target runs landtrace with its arguments in one place")]
pub fn asks_json(args: &[&str]) -> bool {
    args.windows(2).any(|w| matches!(w[0], "-f" | "--format") && w[1] == "json")
        || args.contains(&"--format=json")
}

/// Every line of `stdout` that landtrace wrote is a record the schema
/// describes; else panics with the first few that are not. landtrace's
/// lines are the ones that start with `{`: a command run with `-c` shares
/// the standard output, and its lines are its own.
pub fn check(stdout: &str) {
    let mut bad = Vec::new();
    let mut count = 0;
    for (n, line) in stdout.lines().enumerate().filter(|(_, l)| l.starts_with('{')) {
        let rec: Value = match serde_json::from_str(line) {
            Ok(v) => v,
            Err(e) => {
                count += 1;
                bad.push(format!("line {}: not JSON: {e}: {}", n + 1, cut(line)));
                continue;
            }
        };
        let errors: Vec<String> = with_validator(definition(&rec), |v| {
            v.iter_errors(&rec).map(|e| format!("{e} at {}", e.instance_path())).take(3).collect()
        });
        if !errors.is_empty() {
            count += 1;
            if bad.len() < 5 {
                bad.push(format!("line {}: {}: {}", n + 1, errors.join("; "), cut(line)));
            }
        }
    }
    assert!(
        count == 0,
        "JSON output that docs/schema does not describe ({count} lines):\n{}",
        bad.join("\n")
    );
}

fn cut(line: &str) -> &str {
    let mut end = line.len().min(300);
    while !line.is_char_boundary(end) {
        end -= 1;
    }
    &line[..end]
}
