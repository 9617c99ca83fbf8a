//! The names of a map's keys where it is exported as metrics (`--metrics`):
//! given with `@m[prog: comm]`, or derived from the key expressions
//! (`@m[event, comm]` has the labels `event` and `comm`).

use super::Checker;
use crate::typed::{KeyLabel, MapId, MapValue};
use landtrace_grammar::ast::{self, ExprKind};

/// The label a key expression gives itself: a field, builtin or variable
/// its own name, a dotted constant with `_` for the dot, `f[N]` as `f_N`;
/// anything else `keyN` (N from 1). A name taken by an earlier key gets
/// `_N` after it.
pub fn derived_labels(keys: &[ast::Expr]) -> Vec<String> {
    let mut out: Vec<String> = Vec::with_capacity(keys.len());
    for (i, k) in keys.iter().enumerate() {
        let name = match &k.kind {
            ExprKind::Name(n) | ExprKind::Var(n) => n.clone(),
            ExprKind::Dotted(d) => d.replace('.', "_"),
            ExprKind::Index { base, index } => match index.kind {
                ExprKind::Int(n) => format!("{}_{n}", base.name),
                _ => format!("key{}", i + 1),
            },
            _ => format!("key{}", i + 1),
        };
        let name = if name.starts_with("__") { format!("key{}", i + 1) } else { name };
        let name = if out.contains(&name) { format!("{name}_{}", i + 1) } else { name };
        out.push(name);
    }
    out
}

impl Checker<'_> {
    /// The labels of a new map's keys.
    pub(super) fn new_labels(&mut self, m: &ast::MapRef, value: MapValue) -> Vec<KeyLabel> {
        let keys = m.keys.as_deref().unwrap_or_default();
        let mut labels: Vec<KeyLabel> =
            derived_labels(keys).into_iter().map(|name| KeyLabel { name, given: None }).collect();
        for (i, given) in m.labels.iter().enumerate() {
            if let Some(g) = given
                && self.label_usable(m, i, g, &labels, value)
            {
                labels[i] = KeyLabel { name: g.name.clone(), given: Some(g.span) };
            }
        }
        labels
    }

    /// Labels given on a later reference to `id`: each must agree with
    /// one given before, and takes the place of a derived one.
    pub(super) fn more_labels(&mut self, m: &ast::MapRef, id: MapId) {
        for (i, given) in m.labels.iter().enumerate() {
            let Some(g) = given else { continue };
            let decl = &self.maps[id.0 as usize];
            let (labels, value) = (decl.labels.clone(), decl.value);
            let Some(had) = labels.get(i) else { continue };
            match had.given {
                Some(at) if had.name != g.name => {
                    let d = self
                        .err(
                            g.span,
                            format!(
                                "key {} of {} is labelled `{}` here but `{}` before",
                                i + 1,
                                decl.name,
                                g.name,
                                had.name
                            ),
                            "another label",
                        )
                        .with_secondary(at, "labelled here")
                        .with_help("a key has one label: write it once, or the same everywhere");
                    self.push(d);
                }
                Some(_) => {}
                None => {
                    if self.label_usable(m, i, g, &labels, value) {
                        self.maps[id.0 as usize].labels[i] =
                            KeyLabel { name: g.name.clone(), given: Some(g.span) };
                    }
                }
            }
        }
    }

    /// Whether the label given for key `i` can name it: not reserved and
    /// not another key's.
    fn label_usable(
        &mut self,
        m: &ast::MapRef,
        i: usize,
        g: &ast::Ident,
        labels: &[KeyLabel],
        value: MapValue,
    ) -> bool {
        let map = &m.name.name;
        let problem = if g.name.starts_with("__") {
            Some(("labels starting with `__` are reserved by Prometheus".to_string(), "reserved"))
        } else if g.name == "le" && matches!(value, MapValue::Hist | MapValue::Lhist { .. }) {
            Some((format!("`le` is the bucket label of {map}'s histogram"), "reserved"))
        } else {
            let given = m.labels.iter().enumerate().filter_map(|(j, l)| l.as_ref().map(|l| (j, &l.name)));
            let other =
                given.filter(|(j, _)| *j != i).find(|(_, n)| **n == g.name).map(|(j, _)| j).or_else(|| {
                    labels
                        .iter()
                        .enumerate()
                        .find(|(j, l)| *j != i && l.name == g.name && l.given.is_some())
                        .map(|(j, _)| j)
                });
            other.map(|j| {
                (
                    format!(
                        "keys {} and {} of {map} are both labelled `{}`",
                        j.min(i) + 1,
                        j.max(i) + 1,
                        g.name
                    ),
                    "taken",
                )
            })
        };
        let Some((message, label)) = problem else { return true };
        let d = self.err(g.span, message, label).with_help("choose another name: `@m[name: expr]`");
        self.push(d);
        false
    }
}

#[cfg(test)]
mod tests {
    use crate::{CheckOptions, compile};

    fn labels(src: &str) -> Vec<Vec<String>> {
        let c = compile(src, "t", &CheckOptions::default()).unwrap_or_else(|d| panic!("{d:?}"));
        c.typed.maps.iter().map(|m| m.labels.iter().map(|l| l.name.clone()).collect()).collect()
    }

    fn error(src: &str) -> String {
        match compile(src, "t", &CheckOptions::default()) {
            Ok(_) => panic!("{src} checks"),
            Err(d) => d.iter().map(|d| d.message.clone()).collect::<Vec<_>>().join("; "),
        }
    }

    #[test]
    fn keys_are_named_after_their_expressions() {
        assert_eq!(labels("on deny_access_fs { @d[event, comm] = count() }"), [["event", "comm"]]);
        assert_eq!(labels("on deny_access_fs { $x = 1; @d[$x, pid + 1] = count() }"), [["x", "key2"]]);
        assert_eq!(labels("on deny_access_fs { @d[comm, comm] = count() }"), [["comm", "comm_2"]]);
        assert_eq!(labels("on deny_access_fs { @ = count() }"), [Vec::<String>::new()]);
    }

    #[test]
    fn labels_can_be_given() {
        assert_eq!(
            labels("on deny_access_fs { @d[event: event, program: comm] = count() }"),
            [["event", "program"]]
        );
        // Given on a later reference.
        assert_eq!(
            labels("on deny_access_fs { @d[comm] = count() } END { delete(@d[program: \"x\"]) }"),
            [["program"]]
        );
        let c = compile(
            "on deny_access_fs { @d[comm] = count() } END { clear(@d) }",
            "t",
            &CheckOptions::default(),
        )
        .unwrap();
        assert!(c.typed.maps[0].cleared);
    }

    #[test]
    fn bad_labels_are_refused() {
        assert!(error("on deny_access_fs { @d[a: comm, a: pid] = count() }").contains("both labelled `a`"));
        assert!(error("on deny_access_fs { @d[__x: comm] = count() }").contains("reserved by Prometheus"));
        assert!(error("on deny_access_fs { @d[le: comm] = hist(pid) }").contains("bucket label"));
        assert!(
            error("on deny_access_fs { @d[a: comm] = count() } END { delete(@d[b: \"x\"]) }")
                .contains("labelled `b` here but `a` before")
        );
    }
}
