//! The JSON Schema of `-f json` (docs/schema/landtrace-v1.schema.json),
//! built from the event schema so that it names every event, field and
//! right this landtrace has. The copy in docs/ is checked against this in
//! the tests, and every JSON line the test suite sees landtrace write is
//! validated against that copy.
//!
//! Within a version, records only gain keys: a change that removes,
//! renames or retypes one needs a new [`JSON_VERSION`] (and a new file).
//! The test that keeps docs/ current refuses such a change to the
//! documented version ([`breaking_changes`]).

use crate::jsonl::JSON_VERSION;
use landtrace_event::schema::{BUILTINS, BuiltinLoc, EventKind, Family, FieldType, Loc, SourceKind};
use serde_json::{Map, Value, json};

/// The schema's `$id`.
pub fn schema_id() -> String {
    format!("urn:landtrace:json-lines:v{JSON_VERSION}")
}

/// The JSON Schema (draft 2020-12) of every line `-f json` writes.
pub fn json_schema() -> Value {
    // Records are told apart by `type`, events by `event`: `if`/`then` on
    // those (not `oneOf`), so a validator checks a line against one
    // definition and names what is wrong with it.
    let when = |key: &str, value: &str, def: String| {
        json!({ "if": { "properties": { key: { "const": value } }, "required": [key] },
                "then": { "$ref": format!("#/$defs/{def}") } })
    };
    let names: Vec<&str> = EventKind::ALL.iter().map(|k| k.name()).collect();
    let kinds: Vec<Value> =
        EventKind::ALL.iter().map(|k| when("event", k.name(), format!("event_{}", k.name()))).collect();
    let mut defs = Map::new();
    defs.insert("uint".into(), json!({ "type": "integer", "minimum": 0 }));
    defs.insert("id".into(), json!({ "type": "string", "pattern": "^[0-9a-f]+$" }));
    defs.insert("hex_bytes".into(), json!({ "type": "string", "pattern": "^([0-9a-f]{2})*$" }));
    defs.insert(
        "value".into(),
        json!({
            "description": "A value of the language: int, bool, id (hex string), mask (names), str (or {\"hex\": ...} when not UTF-8).",
            "anyOf": [
                { "type": ["integer", "boolean", "string"] },
                { "type": "array", "items": { "type": "string" } },
                { "type": "object", "properties": { "hex": { "$ref": "#/$defs/hex_bytes" } },
                  "required": ["hex"], "additionalProperties": false }
            ]
        }),
    );
    for f in Family::ALL {
        // A right's name, or the bits no right names as one hex string.
        let names: Vec<&str> = f.rights().iter().map(|r| r.name).collect();
        defs.insert(
            format!("names_{}", f.short()),
            json!({ "type": "array", "items": { "anyOf": [ { "enum": names }, { "type": "string", "pattern": "^0x[0-9a-f]+$" } ] } }),
        );
    }
    for &k in &EventKind::ALL {
        defs.insert(format!("event_{}", k.name()), event_schema(k));
    }
    let record = |ty: &str, props: Value, required: &[&str]| {
        let mut p = props.as_object().cloned().unwrap_or_default();
        p.insert("type".into(), json!({ "const": ty }));
        let mut req = vec!["type"];
        req.extend_from_slice(required);
        json!({ "type": "object", "properties": p, "required": req, "additionalProperties": false })
    };
    defs.insert(
        "print".into(),
        record(
            "print",
            json!({ "values": { "type": "array", "items": { "$ref": "#/$defs/value" } } }),
            &["values"],
        ),
    );
    defs.insert("printf".into(), record("printf", json!({ "text": { "type": "string" } }), &["text"]));
    let bound = json!({ "type": ["integer", "null"] });
    defs.insert(
        "map".into(),
        record(
            "map",
            json!({
                "name": { "type": "string", "pattern": "^@" },
                "entries": { "type": "array", "items": {
                    "type": "object",
                    "properties": {
                        "keys": { "type": "array", "items": { "$ref": "#/$defs/value" } },
                        "value": { "anyOf": [
                            { "$ref": "#/$defs/value" },
                            { "type": "null" },
                            { "type": "object", "properties": {
                                "count": { "$ref": "#/$defs/uint" }, "average": { "type": "integer" }, "total": { "type": "integer" } },
                              "required": ["count", "average", "total"], "additionalProperties": false },
                            { "type": "object", "properties": { "buckets": { "type": "array", "items": {
                                "type": "object",
                                "properties": { "min": bound, "max": bound, "count": { "$ref": "#/$defs/uint" } },
                                "required": ["min", "max", "count"], "additionalProperties": false } } },
                              "required": ["buckets"], "additionalProperties": false }
                        ] }
                    },
                    "required": ["keys", "value"],
                    "additionalProperties": false
                } }
            }),
            &["name", "entries"],
        ),
    );
    defs.insert(
        "lost".into(),
        record(
            "lost",
            json!({ "source": { "enum": ["bpf", "audit", "trace"] }, "count": { "$ref": "#/$defs/uint" } }),
            &["source", "count"],
        ),
    );
    let uint = json!({ "$ref": "#/$defs/uint" });
    defs.insert(
        "summary".into(),
        record(
            "summary",
            json!({ "source": { "const": "bpf" }, "seen": uint, "filtered": uint, "delivered": uint, "lost": uint }),
            &["source", "seen", "filtered", "delivered", "lost"],
        ),
    );
    defs.insert(
        "error".into(),
        record(
            "error",
            json!({ "source": { "const": "replay" }, "file": { "type": "string" }, "line": uint, "count": uint,
                    "fatal": { "const": true }, "message": { "type": "string" } }),
            &["source", "message"],
        ),
    );
    let types = ["event", "print", "printf", "map", "lost", "summary", "error"];
    let records: Vec<Value> = types.iter().map(|t| when("type", t, (*t).to_string())).collect();
    defs.insert(
        "event".into(),
        json!({ "type": "object", "properties": { "event": { "enum": names } }, "required": ["event"], "allOf": kinds }),
    );
    json!({
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "$id": schema_id(),
        "title": format!("landtrace JSON lines, version {JSON_VERSION}"),
        "description": "One line of `landtrace -f json` output (docs/trace-format.md). Generated from the event schema: see trace/src/jsonschema.rs.",
        "version": JSON_VERSION,
        "type": "object",
        "properties": { "type": { "enum": types } },
        "required": ["type"],
        "allOf": records,
        "$defs": defs,
    })
}

/// One event kind's record: the builtins, then its fields by type.
fn event_schema(k: EventKind) -> Value {
    let mut props = Map::new();
    let mut required = vec!["type".to_string(), "v".to_string()];
    props.insert("type".into(), json!({ "const": "event" }));
    props.insert("v".into(), json!({ "const": JSON_VERSION }));
    let sources: Vec<&str> = SourceKind::ALL.iter().map(|s| s.name()).collect();
    for b in BUILTINS {
        let (schema, needed) = match b.loc {
            BuiltinLoc::EventName => (json!({ "const": k.name() }), true),
            BuiltinLoc::SourceName => (json!({ "enum": sources }), true),
            BuiltinLoc::Int(_) => (json!({ "$ref": "#/$defs/uint" }), true),
            // RFC 3339 UTC with nanoseconds, where the source knows it.
            BuiltinLoc::WallText(_) => (
                json!({ "type": "string", "pattern": "^-?[0-9]{4,}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}\\.[0-9]{9}Z$" }),
                false,
            ),
            BuiltinLoc::Comm => {
                props.insert(format!("{}_hex", b.name), json!({ "$ref": "#/$defs/hex_bytes" }));
                (json!({ "type": "string" }), true)
            }
            // Only where the input named a host.
            BuiltinLoc::Node => {
                props.insert(format!("{}_hex", b.name), json!({ "$ref": "#/$defs/hex_bytes" }));
                (json!({ "type": "string" }), false)
            }
        };
        props.insert(b.name.into(), schema);
        if needed {
            required.push(b.name.into());
        }
    }
    for (fid, ty) in k.def().fields {
        let name = fid.name();
        required.push(name.into());
        let schema = match (fid.def().loc, *ty) {
            (Loc::Str(_), _) => {
                props.insert(format!("{name}_hex"), json!({ "$ref": "#/$defs/hex_bytes" }));
                json!({ "type": "string" })
            }
            (_, FieldType::MaskList(f)) => {
                props.insert(
                    format!("{name}_raw"),
                    json!({ "type": "array", "items": { "$ref": "#/$defs/uint" } }),
                );
                required.push(format!("{name}_raw"));
                json!({ "type": "array", "items": { "$ref": format!("#/$defs/names_{}", f.short()) } })
            }
            (_, FieldType::Mask(f)) => {
                props.insert(format!("{name}_raw"), json!({ "$ref": "#/$defs/uint" }));
                required.push(format!("{name}_raw"));
                json!({ "$ref": format!("#/$defs/names_{}", f.short()) })
            }
            (_, FieldType::Int) => json!({ "type": "integer" }),
            (_, FieldType::Bool) => json!({ "type": "boolean" }),
            (_, FieldType::Id) => json!({ "$ref": "#/$defs/id" }),
            (_, FieldType::Str) => json!({ "type": "string" }),
        };
        props.insert(name.into(), schema);
    }
    let maybe: Vec<&str> = landtrace_event::record::MAYBE_UNKNOWN.iter().map(|b| b.name()).collect();
    props.insert(
        "unknown".into(),
        json!({
            "description": "Builtins the source did not know: written as 0 above, never a value to trust.",
            "type": "array",
            "items": { "enum": maybe },
            "uniqueItems": true,
        }),
    );
    props.insert(
        "extra".into(),
        json!({
            "description": "Fields the source gave that the schema has not, as strings ({\"hex\": ...} when not UTF-8).",
            "type": "object",
            "additionalProperties": { "anyOf": [
                { "type": "string" },
                { "type": "object", "properties": { "hex": { "$ref": "#/$defs/hex_bytes" } }, "required": ["hex"], "additionalProperties": false }
            ] }
        }),
    );
    json!({
        "type": "object",
        "description": k.def().doc,
        "properties": props,
        "required": required,
        "additionalProperties": false,
    })
}

/// What `new` takes away from `old`, two versions of this schema (empty
/// when `new` only adds): a definition or property gone, a required key
/// no longer required, an `enum` value dropped, any other keyword changed.
/// A record may gain keys, an enum values (events, rights), a list of
/// alternatives entries; a change that does more needs a new version.
pub fn breaking_changes(old: &Value, new: &Value) -> Vec<String> {
    let mut out = Vec::new();
    compare(old, new, "", &mut out);
    out
}

fn compare(old: &Value, new: &Value, at: &str, out: &mut Vec<String>) {
    match (old, new) {
        (Value::Object(o), Value::Object(n)) => {
            for (k, ov) in o {
                let here = format!("{at}/{k}");
                let Some(nv) = n.get(k) else {
                    out.push(format!("{here} removed"));
                    continue;
                };
                match k.as_str() {
                    // Docs may change.
                    "description" | "title" => {}
                    "enum" | "required" => {
                        let nv: Vec<&Value> = nv.as_array().map(|a| a.iter().collect()).unwrap_or_default();
                        for v in ov.as_array().into_iter().flatten() {
                            if !nv.contains(&v) {
                                out.push(format!("{here}: {v} dropped"));
                            }
                        }
                    }
                    _ => compare(ov, nv, &here, out),
                }
            }
        }
        // Lists of alternatives (`anyOf`, `allOf` of if/then) may grow.
        (Value::Array(o), Value::Array(n)) if o.len() <= n.len() => {
            for (i, (ov, nv)) in o.iter().zip(n).enumerate() {
                compare(ov, nv, &format!("{at}/{i}"), out);
            }
        }
        _ if old != new => out.push(format!("{at}: {old} became {new}")),
        _ => {}
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// docs/ holds the schema this landtrace writes by. After a change to
    /// the events or the writer, regenerate it with
    /// `LANDTRACE_UPDATE_DOCS=1 cargo test -p landtrace-trace jsonschema`.
    #[test]
    fn the_documented_schema_is_current() {
        let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
            .join(format!("../docs/schema/landtrace-v{JSON_VERSION}.schema.json"));
        let text = serde_json::to_string_pretty(&json_schema()).expect("a schema serializes") + "\n";
        let docs = std::fs::read_to_string(&path).unwrap_or_default();
        // Within a version the schema only grows: what the documented one
        // promises, this one keeps (else: a new JSON_VERSION, a new file).
        if let Ok(old) = serde_json::from_str::<Value>(&docs) {
            let broken = breaking_changes(&old, &json_schema());
            assert!(
                broken.is_empty(),
                "the JSON output breaks version {JSON_VERSION} of its schema (bump JSON_VERSION): {broken:#?}"
            );
        }
        if std::env::var_os("LANDTRACE_UPDATE_DOCS").is_some() {
            std::fs::write(&path, &text).expect("writing the schema");
        }
        let docs = std::fs::read_to_string(&path).unwrap_or_default();
        assert!(
            docs == text,
            "{} is not the schema landtrace writes by; regenerate it with LANDTRACE_UPDATE_DOCS=1 cargo test -p landtrace-trace jsonschema",
            path.display()
        );
    }

    /// Every event kind and every right is in it.
    #[test]
    fn it_names_every_event_and_right() {
        let s = json_schema();
        for k in EventKind::ALL {
            assert!(s["$defs"].get(format!("event_{}", k.name())).is_some(), "{}", k.name());
        }
        for f in Family::ALL {
            let names = &s["$defs"][format!("names_{}", f.short())]["items"]["anyOf"][0]["enum"];
            assert_eq!(names.as_array().map(Vec::len), Some(f.rights().len()), "{f:?}");
        }
    }
    /// Additions pass; what takes away from the schema is named.
    #[test]
    fn breaking_changes_are_told_from_additions() {
        let old = json_schema();
        let mut grown = old.clone();
        grown["$defs"]["event_free_domain"]["properties"]["new_field"] = json!({ "type": "integer" });
        grown["$defs"]["names_fs"]["items"]["anyOf"][0]["enum"]
            .as_array_mut()
            .unwrap()
            .push(json!("NEW_RIGHT"));
        grown["$defs"]["event_free_domain"]["description"] = json!("reworded");
        assert_eq!(breaking_changes(&old, &grown), Vec::<String>::new());
        let mut cut = old.clone();
        cut["$defs"]["event_free_domain"]["properties"].as_object_mut().unwrap().remove("denials");
        cut["$defs"]["event_free_domain"]["required"].as_array_mut().unwrap().retain(|v| v != "denials");
        cut["$defs"]["names_fs"]["items"]["anyOf"][0]["enum"].as_array_mut().unwrap().remove(0);
        cut["$defs"]["lost"]["properties"]["count"] = json!({ "type": "string" });
        let broken = breaking_changes(&old, &cut);
        assert_eq!(broken.len(), 4, "{broken:#?}");
        assert!(
            broken.iter().any(|b| b.contains("event_free_domain/properties/denials removed")),
            "{broken:#?}"
        );
    }
}
