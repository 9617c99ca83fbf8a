//! A compact, stable S-expression form of the AST, for `--dump ast` and
//! golden parser tests. Spans are left out: they are checked separately,
//! and leaving them out keeps the dumps readable.

use crate::ast::{Block, Expr, ExprKind, InRhs, Item, ListElem, MapRef, Program, Stmt, StmtKind};
use std::fmt::{self, Write};

impl fmt::Display for Program {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for item in &self.items {
            write_item(f, item)?;
            f.write_char('\n')?;
        }
        Ok(())
    }
}

impl fmt::Display for Expr {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write_expr(f, self)
    }
}

fn write_item(f: &mut fmt::Formatter<'_>, item: &Item) -> fmt::Result {
    match item {
        Item::On(c) => {
            let names: Vec<&str> = c.events.iter().map(|e| e.name.as_str()).collect();
            write!(f, "(on [{}]", names.join(" "))?;
            if let Some(p) = &c.predicate {
                f.write_str(" (where ")?;
                write_expr(f, p)?;
                f.write_char(')')?;
            }
            match &c.block {
                Some(b) => {
                    f.write_char(' ')?;
                    write_block(f, b, 1)?;
                }
                None => f.write_str(" print-event")?,
            }
            f.write_char(')')
        }
        Item::Begin(b) => {
            f.write_str("(BEGIN ")?;
            write_block(f, b, 1)?;
            f.write_char(')')
        }
        Item::End(b) => {
            f.write_str("(END ")?;
            write_block(f, b, 1)?;
            f.write_char(')')
        }
        Item::Every(e) => {
            write!(f, "(every {}ns ", e.period_ns)?;
            write_block(f, &e.block, 1)?;
            f.write_char(')')
        }
        Item::List(l) => {
            write!(f, "(list {} [", l.name.name)?;
            write_elems(f, &l.elems)?;
            f.write_str("])")
        }
        Item::Macro(m) => {
            write!(f, "(macro {} ", m.name.name)?;
            write_expr(f, &m.body)?;
            f.write_char(')')
        }
    }
}

fn indent(f: &mut fmt::Formatter<'_>, depth: usize) -> fmt::Result {
    f.write_char('\n')?;
    for _ in 0..depth {
        f.write_str("  ")?;
    }
    Ok(())
}

fn write_block(f: &mut fmt::Formatter<'_>, b: &Block, depth: usize) -> fmt::Result {
    f.write_str("{")?;
    for s in &b.stmts {
        indent(f, depth)?;
        write_stmt(f, s, depth)?;
    }
    f.write_str("}")
}

fn write_stmt(f: &mut fmt::Formatter<'_>, s: &Stmt, depth: usize) -> fmt::Result {
    match &s.kind {
        StmtKind::PrintEvent => f.write_str("(print)"),
        StmtKind::Call { name, args } => {
            write!(f, "({}", name.name)?;
            for a in args {
                f.write_char(' ')?;
                write_expr(f, a)?;
            }
            f.write_char(')')
        }
        StmtKind::MapAssign { map, value, .. } => {
            f.write_str("(= ")?;
            write_map(f, map)?;
            f.write_char(' ')?;
            write_expr(f, value)?;
            f.write_char(')')
        }
        StmtKind::VarAssign { name, value, .. } => {
            write!(f, "(= ${} ", name.name)?;
            write_expr(f, value)?;
            f.write_char(')')
        }
        StmtKind::If { cond, then, otherwise } => {
            f.write_str("(if ")?;
            write_expr(f, cond)?;
            f.write_char(' ')?;
            write_block(f, then, depth + 1)?;
            if let Some(o) = otherwise {
                f.write_str(" else ")?;
                write_block(f, o, depth + 1)?;
            }
            f.write_char(')')
        }
    }
}

fn write_map(f: &mut fmt::Formatter<'_>, m: &MapRef) -> fmt::Result {
    f.write_str(&m.name.name)?;
    if let Some(keys) = &m.keys {
        f.write_char('[')?;
        for (i, k) in keys.iter().enumerate() {
            if i > 0 {
                f.write_char(' ')?;
            }
            if let Some(Some(label)) = m.labels.get(i) {
                write!(f, "{}: ", label.name)?;
            }
            write_expr(f, k)?;
        }
        f.write_char(']')?;
    }
    Ok(())
}

fn write_elems(f: &mut fmt::Formatter<'_>, elems: &[ListElem]) -> fmt::Result {
    for (i, e) in elems.iter().enumerate() {
        if i > 0 {
            f.write_char(' ')?;
        }
        match e {
            ListElem::Value(v) => write_expr(f, v)?,
            ListElem::Range(a, b, _) => {
                write_expr(f, a)?;
                f.write_str("..")?;
                write_expr(f, b)?;
            }
        }
    }
    Ok(())
}

fn write_expr(f: &mut fmt::Formatter<'_>, e: &Expr) -> fmt::Result {
    match &e.kind {
        ExprKind::Int(v) => write!(f, "{v}"),
        ExprKind::Str(s) => write!(f, "{:?}", String::from_utf8_lossy(s)),
        ExprKind::Regex(r) => write!(f, "re{r:?}"),
        ExprKind::Bool(b) => write!(f, "{b}"),
        ExprKind::Duration(ns) => write!(f, "{ns}ns"),
        ExprKind::Name(n) | ExprKind::Dotted(n) => f.write_str(n),
        ExprKind::Var(v) => write!(f, "${v}"),
        ExprKind::Arg(n) => write!(f, "${n}"),
        ExprKind::Map(m) => write_map(f, m),
        ExprKind::Call { name, args } => {
            write!(f, "({}", name.name)?;
            for a in args {
                f.write_char(' ')?;
                write_expr(f, a)?;
            }
            f.write_char(')')
        }
        ExprKind::Index { base, index } => {
            write!(f, "{}[", base.name)?;
            write_expr(f, index)?;
            f.write_char(']')
        }
        ExprKind::Unary(op, a) => {
            write!(f, "({} ", op.symbol())?;
            write_expr(f, a)?;
            f.write_char(')')
        }
        ExprKind::Binary(op, a, b) => {
            write!(f, "({} ", op.symbol())?;
            write_expr(f, a)?;
            f.write_char(' ')?;
            write_expr(f, b)?;
            f.write_char(')')
        }
        ExprKind::In { negated, lhs, rhs } => {
            f.write_str(if *negated { "(not-in " } else { "(in " })?;
            write_expr(f, lhs)?;
            f.write_char(' ')?;
            match rhs {
                InRhs::List(elems, _) => {
                    f.write_char('[')?;
                    write_elems(f, elems)?;
                    f.write_char(']')?;
                }
                InRhs::Range(a, b, _) => {
                    write_expr(f, a)?;
                    f.write_str("..")?;
                    write_expr(f, b)?;
                }
                InRhs::Name(n) => f.write_str(&n.name)?,
            }
            f.write_char(')')
        }
    }
}
