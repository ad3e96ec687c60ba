//! The predicate vocabulary of rule files, and its evaluation over the facts JSON.
//!
//! Evaluation is three-valued (Kleene): a predicate is true, false, or unknown because a fact it
//! reads is unavailable. `all` is false as soon as one member is false, `any` true as soon as one is
//! true; otherwise an unknown member makes the whole unknown. A not-applicable member of `all` or
//! `any` is left out (e.g. the runtime half of a sysctl check on an offline root), and a
//! combination whose members are all not-applicable is itself not-applicable. This is what makes
//! "never a pass on something unread" hold through any combination of predicates.

use std::borrow::Cow;
use std::cmp::Ordering;

use regex::Regex;
use serde_json::Value;

use super::view::{self, FactView, Key, Listing, Node};
use crate::facts::Missing;
use crate::i18n::{Problem, Reason};

/// One segment-list path into the facts JSON (`sysctl.keys["net.ipv4.ip_forward"].persisted`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FactPath {
    /// The keys, in order.
    pub segments: Vec<String>,
}

impl FactPath {
    /// Parses `a.b["c.d"].e`.
    pub fn parse(s: &str) -> Result<Self, String> {
        let mut segments = Vec::new();
        let b = s.as_bytes();
        let mut i = 0;
        let mut cur = String::new();
        while i < b.len() {
            match b[i] {
                b'.' => {
                    if cur.is_empty() && !matches!(i.checked_sub(1).map(|j| b[j]), Some(b']')) {
                        return Err(format!("empty segment in fact path {s:?}"));
                    }
                    if !cur.is_empty() {
                        segments.push(std::mem::take(&mut cur));
                    }
                    i += 1;
                }
                b'[' => {
                    if !cur.is_empty() {
                        segments.push(std::mem::take(&mut cur));
                    }
                    let rest = &s[i + 1..];
                    let Some(rest) = rest.strip_prefix('"') else {
                        return Err(format!("expected `[\"key\"]` in fact path {s:?}"));
                    };
                    let Some(end) = rest.find("\"]") else {
                        return Err(format!("unterminated `[\"` in fact path {s:?}"));
                    };
                    segments.push(rest[..end].to_owned());
                    i += 1 + 1 + end + 2;
                }
                _ => {
                    let ch = s[i..].chars().next().unwrap_or(' ');
                    if !(ch.is_ascii_alphanumeric() || ch == '_' || ch == '-') {
                        return Err(format!("unexpected {ch:?} in fact path {s:?}"));
                    }
                    cur.push(ch);
                    i += ch.len_utf8();
                }
            }
        }
        if !cur.is_empty() {
            segments.push(cur);
        }
        if segments.is_empty() {
            return Err("empty fact path".into());
        }
        Ok(FactPath { segments })
    }
}

impl std::fmt::Display for FactPath {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        for (i, s) in self.segments.iter().enumerate() {
            if s.bytes().all(|c| c.is_ascii_alphanumeric() || c == b'_' || c == b'-') {
                if i > 0 {
                    f.write_str(".")?;
                }
                f.write_str(s)?;
            } else {
                write!(f, "[\"{s}\"]")?;
            }
        }
        Ok(())
    }
}

/// A literal or a reference to a rule variable.
#[derive(Debug, Clone)]
pub enum Operand {
    /// A literal value.
    Lit(Value),
    /// `{ var = "name" }`.
    Var(String),
    /// `{ var = "name", split = ":", part = 0 }`: one field of a variable's string value
    /// (`var_sshd_set_maxstartups = "10:30:60"`).
    VarPart {
        /// The variable.
        name: String,
        /// The separator.
        split: String,
        /// Which field, from 0.
        part: usize,
    },
}

impl Operand {
    /// The variable it refers to, if any.
    pub fn var(&self) -> Option<&str> {
        match self {
            Operand::Lit(_) => None,
            Operand::Var(n) | Operand::VarPart { name: n, .. } => Some(n),
        }
    }
}

/// How a value is read before the comparison: split into a list on a separator (`split`), one
/// field of that list (`part`), a size or a duration in sshd's units (`unit`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Pick {
    /// Split a string value on this separator.
    pub split: Option<String>,
    /// Take this field (from 0) of the split value.
    pub part: Option<usize>,
    /// Read both sides of a numeric comparison in this unit.
    pub unit: Option<Unit>,
}

/// The units a numeric comparison can read, as sshd_config(5) writes them.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Unit {
    /// A byte count with an optional K, M or G suffix (powers of 1024): `512M`.
    Bytes,
    /// A time in sshd's format: numbers with optional s, m, h, d, w suffixes, summed: `1h30m`.
    Seconds,
}

impl Unit {
    /// The value in bytes or seconds; `None` when it is not written in this unit.
    pub fn read(self, v: &Value) -> Option<f64> {
        let s = match v {
            Value::Number(n) => return n.as_f64(),
            Value::String(s) => s.trim(),
            _ => return None,
        };
        if s.is_empty() {
            return None;
        }
        match self {
            Unit::Bytes => {
                let shift = |c: char| match c.to_ascii_uppercase() {
                    'K' => Some(10),
                    'M' => Some(20),
                    'G' => Some(30),
                    _ => None,
                };
                let (digits, mult) = match s.chars().last().and_then(shift) {
                    Some(bits) => (s.get(..s.len() - 1).unwrap_or_default(), f64::from(1u32 << bits)),
                    None => (s, 1.0),
                };
                (!digits.is_empty() && digits.bytes().all(|b| b.is_ascii_digit()))
                    .then(|| digits.parse::<f64>().ok().map(|n| n * mult))
                    .flatten()
            }
            Unit::Seconds => {
                let mut total = 0f64;
                let mut num = String::new();
                for c in s.chars() {
                    if c.is_ascii_digit() {
                        num.push(c);
                        continue;
                    }
                    let mult = match c.to_ascii_lowercase() {
                        's' => 1.0,
                        'm' => 60.0,
                        'h' => 3600.0,
                        'd' => 86400.0,
                        'w' => 604800.0,
                        _ => return None,
                    };
                    total += num.parse::<f64>().ok()? * mult;
                    num.clear();
                }
                if !num.is_empty() {
                    total += num.parse::<f64>().ok()?;
                }
                Some(total)
            }
        }
    }

    fn name(self) -> &'static str {
        match self {
            Unit::Bytes => "bytes",
            Unit::Seconds => "seconds",
        }
    }
}

/// Splits `s` on `sep` as `split` does: the empty string is the empty list, and each field is
/// trimmed (an empty field stays, so that it is seen).
pub fn split_list(s: &str, sep: &str) -> Vec<Value> {
    if s.trim().is_empty() {
        return Vec::new();
    }
    if sep.trim().is_empty() {
        return s.split_whitespace().map(|x| Value::String(x.to_owned())).collect();
    }
    s.split(sep).map(|x| Value::String(x.trim().to_owned())).collect()
}

/// Version comparison scheme.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Scheme {
    /// deb-version(7).
    Dpkg,
    /// rpmvercmp.
    Rpm,
}

/// A comparison applied to one value.
#[derive(Debug, Clone)]
pub enum Op {
    /// Equal.
    Eq(Operand),
    /// Not equal.
    Ne(Operand),
    /// One of.
    In(Operand),
    /// None of.
    NotIn(Operand),
    /// Numeric `<`, `<=`, `>`, `>=`.
    Cmp(Ordering, bool, Operand),
    /// Version `>=` (true) or `<` (false).
    Version(bool, Scheme, Operand),
    /// Regex match (true) or non-match (false).
    Matches(bool, Regex),
    /// List/string containment (true) or its negation.
    Contains(bool, Operand),
    /// Emptiness test.
    Empty(bool),
    /// Presence test.
    Present(bool),
    /// Mode has no bit outside the mask.
    ModeMax(u32),
    /// The value was decided by a line of a file in the image (its source names a path), not by a
    /// default (true), or the opposite (false).
    SetInFile(bool),
    /// Every item of the list is in the operand's list (`subset_of`, true), or none is
    /// (`disjoint_from`, false). The items that break it are the evidence.
    Subset(bool, Operand),
    /// A file mode has none of the bits the operand, an octal umask, clears: the mode that umask
    /// leaves, or a stricter one.
    WithinUmask(Operand),
    /// The value read as [`Pick`] says, then tested.
    Pick(Pick, Box<Op>),
}

/// Quantifier over a list or map.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Quant {
    /// No item satisfies.
    None,
    /// Every item satisfies.
    Every,
    /// At least one item satisfies.
    Some,
}

/// A predicate.
#[derive(Debug, Clone)]
pub enum Expr {
    /// All hold.
    All(Vec<Expr>),
    /// One holds.
    Any(Vec<Expr>),
    /// Negation.
    Not(Box<Expr>),
    /// A test of the value at `path` (relative to the item inside a quantifier).
    Test {
        /// Where.
        path: Option<FactPath>,
        /// What.
        op: Op,
    },
    /// A test of a rule variable's value.
    VarTest {
        /// The variable.
        name: String,
        /// What.
        op: Op,
    },
    /// A quantifier over the list at `path`.
    Quant {
        /// Where.
        path: Option<FactPath>,
        /// Which.
        quant: Quant,
        /// Applied to each item.
        inner: Box<Expr>,
    },
}

const OPS: &[&str] = &[
    "eq",
    "ne",
    "in",
    "not_in",
    "lt",
    "le",
    "gt",
    "ge",
    "version_ge",
    "version_lt",
    "matches",
    "not_matches",
    "contains",
    "not_contains",
    "empty",
    "present",
    "mode_max",
    "set_in_file",
    "subset_of",
    "disjoint_from",
    "within_umask",
    "none",
    "every",
    "some",
];

impl Expr {
    /// Builds an expression from a TOML table. `nested` is true inside a quantifier, where
    /// `field` (relative) replaces `fact` (absolute).
    pub fn from_toml(v: &toml::Value, nested: bool) -> Result<Expr, String> {
        let t = v.as_table().ok_or("a predicate must be a table")?;
        let list = |key: &str| -> Result<Vec<Expr>, String> {
            let arr = t[key].as_array().ok_or(format!("`{key}` takes a list of predicates"))?;
            if arr.is_empty() {
                return Err(format!("`{key}` needs at least one predicate"));
            }
            arr.iter().map(|e| Expr::from_toml(e, nested)).collect()
        };
        for comb in ["all", "any", "not"] {
            if t.contains_key(comb) {
                if t.len() != 1 {
                    return Err(format!("`{comb}` must be alone in its table"));
                }
                return Ok(match comb {
                    "all" => Expr::All(list("all")?),
                    "any" => Expr::Any(list("any")?),
                    _ => Expr::Not(Box::new(Expr::from_toml(&t["not"], nested)?)),
                });
            }
        }
        // `{ var = "name", OP = … }` tests a rule variable itself (e.g. "is an allow-list set").
        let var_name = match t.get("var") {
            Some(v) => Some(v.as_str().ok_or("`var` must be a string")?.to_owned()),
            None => None,
        };
        if var_name.is_some() && (t.contains_key("fact") || t.contains_key("field")) {
            return Err("a predicate tests either `var` or a fact, not both".into());
        }
        let path_key = if var_name.is_some() {
            "var"
        } else if nested {
            "field"
        } else {
            "fact"
        };
        let path = match t.get(path_key) {
            Some(_) if var_name.is_some() => None,
            Some(p) => Some(FactPath::parse(
                p.as_str().ok_or(format!("`{path_key}` must be a string"))?,
            )?),
            None if nested => None,
            None => return Err("a predicate needs `fact` (or `all`, `any`, `not`)".into()),
        };
        let other = if nested { "fact" } else { "field" };
        if var_name.is_none() && t.contains_key(other) {
            return Err(format!("`{other}` is not allowed here (use `{path_key}`)"));
        }
        const MODIFIERS: [&str; 4] = ["scheme", "split", "part", "unit"];
        let mut ops = t.keys().filter(|k| *k != path_key && !MODIFIERS.contains(&k.as_str()));
        let op_key = ops
            .next()
            .ok_or(format!("the predicate needs an operator: one of {}", OPS.join(", ")))?;
        if let Some(extra) = ops.next() {
            return Err(format!(
                "the predicate has two operators, `{op_key}` and `{extra}`: combine them with `all`"
            ));
        }
        let arg = &t[op_key.as_str()];
        if t.contains_key("scheme") && !op_key.starts_with("version_") {
            return Err("`scheme` only goes with version_ge or version_lt".into());
        }
        let operand = || -> Result<Operand, String> { operand(arg) };
        let op = match op_key.as_str() {
            "eq" => Op::Eq(operand()?),
            "ne" => Op::Ne(operand()?),
            "in" => Op::In(list_operand(arg, op_key)?),
            "not_in" => Op::NotIn(list_operand(arg, op_key)?),
            "lt" => Op::Cmp(Ordering::Less, false, operand()?),
            "le" => Op::Cmp(Ordering::Less, true, operand()?),
            "gt" => Op::Cmp(Ordering::Greater, false, operand()?),
            "ge" => Op::Cmp(Ordering::Greater, true, operand()?),
            "version_ge" | "version_lt" => {
                let scheme = match t.get("scheme").map(|s| s.as_str()) {
                    None | Some(Some("dpkg")) => Scheme::Dpkg,
                    Some(Some("rpm")) => Scheme::Rpm,
                    _ => return Err("`scheme` must be \"dpkg\" or \"rpm\"".into()),
                };
                Op::Version(op_key == "version_ge", scheme, operand()?)
            }
            "matches" | "not_matches" => {
                let s = arg.as_str().ok_or(format!("`{op_key}` takes a regex string"))?;
                let re = Regex::new(s).map_err(|e| format!("bad regex in `{op_key}`: {e}"))?;
                Op::Matches(op_key == "matches", re)
            }
            "subset_of" | "disjoint_from" => Op::Subset(op_key == "subset_of", list_operand(arg, op_key)?),
            "within_umask" => {
                let o = operand()?;
                if let Operand::Lit(v) = &o
                    && umask_of(v).is_none()
                {
                    return Err(format!(
                        "`within_umask` takes an octal umask string like \"027\", got {v}"
                    ));
                }
                Op::WithinUmask(o)
            }
            "contains" => Op::Contains(true, operand()?),
            "not_contains" => Op::Contains(false, operand()?),
            "empty" => Op::Empty(arg.as_bool().ok_or("`empty` takes true or false")?),
            "present" => Op::Present(arg.as_bool().ok_or("`present` takes true or false")?),
            "mode_max" => Op::ModeMax(parse_mode(arg).ok_or("`mode_max` takes an octal string like \"0644\"")?),
            "set_in_file" if var_name.is_some() => {
                return Err("`set_in_file` tests where a fact's value comes from; a variable has no file".into());
            }
            "set_in_file" => Op::SetInFile(arg.as_bool().ok_or("`set_in_file` takes true or false")?),
            "none" | "every" | "some" => {
                let quant = match op_key.as_str() {
                    "none" => Quant::None,
                    "every" => Quant::Every,
                    _ => Quant::Some,
                };
                if var_name.is_some() {
                    return Err("quantifiers take a fact, not a `var`".into());
                }
                return Ok(Expr::Quant {
                    path,
                    quant,
                    inner: Box::new(Expr::from_toml(arg, true)?),
                });
            }
            other => {
                return Err(format!(
                    "unknown operator `{other}`: expected one of {}",
                    OPS.join(", ")
                ));
            }
        };
        let op = with_pick(t, op_key, op)?;
        Ok(match var_name {
            Some(name) => Expr::VarTest { name, op },
            None => Expr::Test { path, op },
        })
    }

    /// Checks that every variable the expression uses has a default of the type its operator
    /// needs: a list variable compared with `eq` or `le`, or a number given to `subset_of`, would
    /// make the comparison silently false (or, negated, silently true). A load error instead.
    pub fn check_var_types(&self, vars: &Vars) -> Result<(), String> {
        match self {
            Expr::All(v) | Expr::Any(v) => v.iter().try_for_each(|e| e.check_var_types(vars)),
            Expr::Not(e) => e.check_var_types(vars),
            Expr::Quant { inner, .. } => inner.check_var_types(vars),
            Expr::Test { op, .. } => check_operand_type(op, vars),
            Expr::VarTest { name, op } => {
                check_operand_type(op, vars)?;
                let Some(subject) = vars.get(name) else { return Ok(()) };
                let (op, pick) = match op {
                    Op::Pick(p, inner) => (inner.as_ref(), Some(p)),
                    other => (other, None),
                };
                let subject = match pick {
                    Some(Pick {
                        split: Some(sep), part, ..
                    }) => match subject.as_str() {
                        Some(s) => {
                            let items = split_list(s, sep);
                            match part {
                                Some(i) => items.get(*i).cloned().ok_or_else(|| {
                                    format!("variable {name} = {subject} has no field {i} when split on {sep:?}")
                                })?,
                                None => Value::Array(items),
                            }
                        }
                        None => return Err(format!("variable {name} is not a string: `split` cannot read it")),
                    },
                    _ => subject.clone(),
                };
                let is_list = subject.is_array();
                let bad = match op {
                    Op::Eq(_)
                    | Op::Ne(_)
                    | Op::In(_)
                    | Op::NotIn(_)
                    | Op::Matches(..)
                    | Op::Version(..)
                    | Op::ModeMax(_)
                    | Op::WithinUmask(_) => is_list,
                    Op::Cmp(..) => is_list || (pick.and_then(|p| p.unit).is_none() && number(&subject).is_none()),
                    Op::Subset(..) => !is_list,
                    _ => false,
                };
                if bad {
                    return Err(format!(
                        "variable {name} is {}: `{}` cannot test it",
                        kind_of(&subject),
                        op_name(op)
                    ));
                }
                Ok(())
            }
        }
    }

    /// Every absolute fact path the expression reads (for validation and the file list).
    pub fn fact_paths<'a>(&'a self, out: &mut Vec<&'a FactPath>) {
        match self {
            Expr::All(v) | Expr::Any(v) => v.iter().for_each(|e| e.fact_paths(out)),
            Expr::Not(e) => e.fact_paths(out),
            Expr::Test { path, .. } => out.extend(path.as_ref()),
            Expr::VarTest { .. } => {}
            Expr::Quant { path, .. } => out.extend(path.as_ref()),
        }
    }

    /// Every variable the expression refers to.
    pub fn vars<'a>(&'a self, out: &mut Vec<&'a str>) {
        match self {
            Expr::All(v) | Expr::Any(v) => v.iter().for_each(|e| e.vars(out)),
            Expr::Not(e) => e.vars(out),
            Expr::Quant { inner, .. } => inner.vars(out),
            Expr::VarTest { name, .. } => out.push(name),
            Expr::Test { op, .. } => out.extend(op.operand().and_then(Operand::var)),
        }
        if let Expr::VarTest { op, .. } = self {
            out.extend(op.operand().and_then(Operand::var));
        }
    }
}

impl Op {
    /// The operand it compares with, if it has one.
    pub fn operand(&self) -> Option<&Operand> {
        match self {
            Op::Eq(o)
            | Op::Ne(o)
            | Op::In(o)
            | Op::NotIn(o)
            | Op::Cmp(_, _, o)
            | Op::Version(_, _, o)
            | Op::Contains(_, o)
            | Op::Subset(_, o)
            | Op::WithinUmask(o) => Some(o),
            Op::Pick(_, inner) => inner.operand(),
            Op::Matches(..) | Op::Empty(_) | Op::Present(_) | Op::ModeMax(_) | Op::SetInFile(_) => None,
        }
    }
}

/// The operator's name as a rule file writes it.
fn op_name(op: &Op) -> &'static str {
    match op {
        Op::Eq(_) => "eq",
        Op::Ne(_) => "ne",
        Op::In(_) => "in",
        Op::NotIn(_) => "not_in",
        Op::Cmp(Ordering::Less, false, _) => "lt",
        Op::Cmp(Ordering::Less, true, _) => "le",
        Op::Cmp(_, false, _) => "gt",
        Op::Cmp(_, true, _) => "ge",
        Op::Version(true, ..) => "version_ge",
        Op::Version(false, ..) => "version_lt",
        Op::Matches(true, _) => "matches",
        Op::Matches(false, _) => "not_matches",
        Op::Contains(true, _) => "contains",
        Op::Contains(false, _) => "not_contains",
        Op::Empty(_) => "empty",
        Op::Present(_) => "present",
        Op::ModeMax(_) => "mode_max",
        Op::SetInFile(_) => "set_in_file",
        Op::Subset(true, _) => "subset_of",
        Op::Subset(false, _) => "disjoint_from",
        Op::WithinUmask(_) => "within_umask",
        Op::Pick(_, inner) => op_name(inner),
    }
}

/// What kind of value `v` is, for messages.
fn kind_of(v: &Value) -> String {
    match v {
        Value::Null => "nothing".into(),
        Value::Bool(b) => format!("true or false ({b})"),
        Value::Number(n) => format!("a number ({n})"),
        Value::String(s) if s.chars().count() > 40 => {
            format!("a string ({:?}…)", s.chars().take(40).collect::<String>())
        }
        Value::String(s) => format!("a string ({s:?})"),
        Value::Array(_) => "a list".into(),
        Value::Object(_) => "a table".into(),
    }
}

/// A umask as octal text (`"027"`, `"0077"`) or a number, at most 0777.
fn umask_of(v: &Value) -> Option<u32> {
    let m = match v {
        Value::String(s) => u32::from_str_radix(s.trim(), 8).ok()?,
        Value::Number(n) => u32::try_from(n.as_u64()?).ok()?,
        _ => return None,
    };
    (m <= 0o777).then_some(m)
}

/// The operand-side check of [`Expr::check_var_types`].
fn check_operand_type(op: &Op, vars: &Vars) -> Result<(), String> {
    let (inner, unit) = match op {
        Op::Pick(p, inner) => (inner.as_ref(), p.unit),
        other => (other, None),
    };
    let Some(o) = inner.operand() else { return Ok(()) };
    let name = o.var();
    let value = match o {
        Operand::Lit(v) => v.clone(),
        Operand::Var(n) => match vars.get(n) {
            Some(v) => v.clone(),
            None => return Ok(()),
        },
        Operand::VarPart { name, split, part } => match vars.get(name) {
            Some(Value::String(s)) => match split_list(s, split).get(*part) {
                Some(v) => v.clone(),
                None => {
                    return Err(format!(
                        "variable {name} = {s:?} has no field {part} when split on {split:?}"
                    ));
                }
            },
            Some(v) => {
                return Err(format!("variable {name} is {}: `split` reads a string", kind_of(v)));
            }
            None => return Ok(()),
        },
    };
    let is_list = value.is_array();
    let want = match inner {
        Op::Eq(_) | Op::Ne(_) | Op::Contains(..) | Op::Version(..) if is_list => Some("one value, not a list"),
        Op::In(_) | Op::NotIn(_) | Op::Subset(..) if !is_list => Some("a list"),
        Op::Cmp(..) => match unit {
            Some(u) if u.read(&value).is_none() => Some(match u {
                Unit::Bytes => "a size in bytes (512M, 1G)",
                Unit::Seconds => "a time (3600, 1h, 30m)",
            }),
            None if number(&value).is_none() => Some("a number"),
            _ => None,
        },
        Op::WithinUmask(_) if umask_of(&value).is_none() => Some("an octal umask (\"027\")"),
        _ => None,
    };
    match (want, name) {
        (Some(w), Some(n)) => Err(format!(
            "`{}` needs {w}, but variable {n} is {}",
            op_name(inner),
            kind_of(&value)
        )),
        (Some(w), None) => Err(format!("`{}` needs {w}, got {}", op_name(inner), kind_of(&value))),
        (None, _) => Ok(()),
    }
}

/// Wraps `op` in the `split`/`part`/`unit` modifiers of table `t`, checking they fit it.
fn with_pick(t: &toml::Table, op_key: &str, op: Op) -> Result<Op, String> {
    let split = match t.get("split") {
        Some(v) => Some(
            v.as_str()
                .ok_or("`split` takes a separator string, e.g. \",\"")?
                .to_owned(),
        ),
        None => None,
    };
    let part = match t.get("part") {
        Some(v) => Some(
            v.as_integer()
                .and_then(|i| usize::try_from(i).ok())
                .ok_or("`part` takes a field number from 0")?,
        ),
        None => None,
    };
    let unit = match t.get("unit").map(|u| u.as_str()) {
        None => None,
        Some(Some("bytes")) => Some(Unit::Bytes),
        Some(Some("seconds")) => Some(Unit::Seconds),
        Some(_) => return Err("`unit` must be \"bytes\" or \"seconds\"".into()),
    };
    if part.is_some() && split.is_none() {
        return Err("`part` picks a field of a `split` value: add `split`".into());
    }
    if unit.is_some() && !matches!(op, Op::Cmp(..)) {
        return Err(format!("`unit` only goes with lt, le, gt or ge, not `{op_key}`"));
    }
    if split.is_some() && part.is_some() && matches!(op, Op::Subset(..)) {
        return Err(format!("`{op_key}` tests a list: drop `part`, which picks one field"));
    }
    if split.is_some() && matches!(op, Op::SetInFile(_)) {
        return Err("`set_in_file` tests where a value comes from: `split` does not apply".into());
    }
    if split.is_none() && unit.is_none() {
        return Ok(op);
    }
    Ok(Op::Pick(Pick { split, part, unit }, Box::new(op)))
}

fn operand(v: &toml::Value) -> Result<Operand, String> {
    if let Some(t) = v.as_table() {
        let name = match t.get("var") {
            Some(toml::Value::String(name)) => name.clone(),
            _ => return Err("an operand table must be `{ var = \"name\" }`".into()),
        };
        if let Some(k) = t.keys().find(|k| !["var", "split", "part"].contains(&k.as_str())) {
            return Err(format!(
                "an operand table takes `var`, and `split` with `part` to pick one field; not `{k}`"
            ));
        }
        return match (t.get("split"), t.get("part")) {
            (None, None) => Ok(Operand::Var(name)),
            (Some(toml::Value::String(split)), Some(p)) => {
                let part = p
                    .as_integer()
                    .and_then(|i| usize::try_from(i).ok())
                    .ok_or("`part` takes a field number from 0")?;
                Ok(Operand::VarPart {
                    name,
                    split: split.clone(),
                    part,
                })
            }
            _ => Err("an operand picks a field with both `split = \"SEP\"` and `part = N`".into()),
        };
    }
    serde_json::to_value(v).map(Operand::Lit).map_err(|e| e.to_string())
}

fn list_operand(v: &toml::Value, key: &str) -> Result<Operand, String> {
    match operand(v)? {
        Operand::Lit(Value::Array(a)) => Ok(Operand::Lit(Value::Array(a))),
        Operand::Lit(_) => Err(format!("`{key}` takes a list")),
        Operand::VarPart { .. } => Err(format!("`{key}` takes a list, not one field of a variable")),
        var => Ok(var),
    }
}

fn parse_mode(v: &toml::Value) -> Option<u32> {
    match v {
        toml::Value::String(s) => u32::from_str_radix(s, 8).ok(),
        toml::Value::Integer(i) => u32::try_from(*i).ok(),
        _ => None,
    }
}

/// The three-valued outcome of a predicate.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Truth {
    /// Holds.
    True,
    /// Does not hold.
    False,
    /// Unknown: a fact is unavailable (error) or does not exist here (not-applicable).
    Unknown(Missing, Reason),
}

pub use crate::model::Evidence;

/// Variable values in force for one rule.
pub type Vars = std::collections::BTreeMap<String, Value>;

/// Evaluation state: the facts, the variables, and the evidence gathered so far.
pub struct Eval<'a> {
    /// The facts.
    pub facts: &'a dyn FactView,
    /// Variables.
    pub vars: &'a Vars,
    /// Evidence gathered.
    pub evidence: Vec<Evidence>,
    /// Errors in the rule itself (an undefined variable, a bad operand).
    pub problems: Vec<Problem>,
    /// The items of the last list test that broke it (`subset_of`, `disjoint_from`): index and
    /// value, for the evidence.
    offenders: Vec<(usize, Value)>,
}

/// The item a quantifier is looking at: a view of it, and its name for evidence
/// (`packages.installed["telnetd"]`), rendered only when needed.
pub type Item<'i> = (&'i dyn FactView, &'i dyn Fn() -> String);

impl<'a> Eval<'a> {
    /// A fresh evaluation.
    pub fn new(facts: &'a dyn FactView, vars: &'a Vars) -> Self {
        Eval {
            facts,
            vars,
            evidence: Vec::new(),
            problems: Vec::new(),
            offenders: Vec::new(),
        }
    }

    fn resolve<'o>(&mut self, o: &'o Operand) -> Option<Cow<'o, Value>>
    where
        'a: 'o,
    {
        let vars: &'a Vars = self.vars;
        match o {
            Operand::Lit(v) => Some(Cow::Borrowed(v)),
            Operand::Var(n) => match vars.get(n) {
                Some(v) => Some(Cow::Borrowed(v)),
                None => {
                    self.problems.push(Problem::NoValue(n.clone()));
                    None
                }
            },
            Operand::VarPart { name, split, part } => {
                let Some(v) = vars.get(name) else {
                    self.problems.push(Problem::NoValue(name.clone()));
                    return None;
                };
                match v
                    .as_str()
                    .map(|s| split_list(s, split))
                    .and_then(|l| l.into_iter().nth(*part))
                {
                    Some(x) => Some(Cow::Owned(x)),
                    None => {
                        self.problems.push(Problem::BadOperand {
                            op: format!("{{ var = {name:?} }}"),
                            value: v.to_string(),
                            want: format!("a string with a field {part} when split on {split:?}"),
                        });
                        None
                    }
                }
            }
        }
    }

    /// Evaluates `e` with `item` as the base for relative paths (the facts root at top level).
    pub fn eval(&mut self, e: &Expr, item: Option<Item<'_>>) -> Truth {
        match e {
            Expr::All(v) => self.combine(v, item, true),
            Expr::Any(v) => self.combine(v, item, false),
            Expr::Not(inner) => match self.eval(inner, item) {
                Truth::True => Truth::False,
                Truth::False => Truth::True,
                u => u,
            },
            Expr::VarTest { name, op } => {
                let vars: &'a Vars = self.vars;
                let Some(value) = vars.get(name) else {
                    self.problems.push(Problem::NoValue(name.clone()));
                    return Truth::Unknown(Missing::Error, Reason::Rule(self.problems.clone()));
                };
                match self.apply(op, Some(value)) {
                    Some(b) => Truth::from(b),
                    None => Truth::Unknown(Missing::Error, Reason::Rule(self.problems.clone())),
                }
            }
            Expr::Test { path, op } => {
                let view = item.map_or(self.facts, |(v, _)| v);
                let name = || display_path(item, path.as_ref());
                match view.node(segments(path.as_ref())) {
                    Node::Unavailable(m, r) => {
                        self.evidence.push(Evidence::unavailable(name(), r.clone()));
                        Truth::Unknown(m, Reason::Fact(r))
                    }
                    Node::Absent => {
                        let applied = match op {
                            Op::SetInFile(want) => Some(!*want),
                            _ => self.apply(op, None),
                        };
                        let Some(result) = applied else {
                            return Truth::Unknown(Missing::Error, Reason::Rule(self.problems.clone()));
                        };
                        if item.is_none() {
                            self.evidence.push(Evidence::value(name(), Value::Null, None));
                        }
                        Truth::from(result)
                    }
                    Node::Found(node) => {
                        let (value, source, shadowed) = view::parts(&node);
                        let applied = match op {
                            // Only a `Fact` carries a source; a file's line names its path there.
                            Op::SetInFile(want) => {
                                let in_file = view::is_fact(&node)
                                    && source.and_then(|s| s.get("path")).is_some_and(|p| !p.is_null());
                                Some(in_file == *want)
                            }
                            _ => self.apply(op, Some(value)),
                        };
                        let Some(result) = applied else {
                            return Truth::Unknown(Missing::Error, Reason::Rule(self.problems.clone()));
                        };
                        if item.is_none() {
                            let ev = Evidence::found(name(), value, source, shadowed);
                            let source = ev.source.clone();
                            self.evidence.push(ev);
                            // The items that broke a list test, each at the line of the whole.
                            for (i, v) in std::mem::take(&mut self.offenders) {
                                self.evidence
                                    .push(Evidence::value(format!("{}[{i}]", name()), v, source.clone()));
                            }
                        }
                        self.offenders.clear();
                        Truth::from(result)
                    }
                }
            }
            Expr::Quant { path, quant, inner } => {
                let view = item.map_or(self.facts, |(v, _)| v);
                let name = display_path(item, path.as_ref());
                // The items that decide the verdict are the evidence: the offenders of `none`
                // and `every`, the witnesses of `some`. Items are looked at one at a time and only
                // those are kept (a quantifier may walk a hundred thousand packages).
                let keep = !matches!(quant, Quant::Every);
                let mut unknown = None;
                let mut decisive: Vec<(String, Value)> = Vec::new();
                let listing = view.each(segments(path.as_ref()), &mut |key, it| {
                    let iname = || match key {
                        Key::Index(i) => format!("{name}[{i}]"),
                        Key::Name(k) => format!("{name}[\"{k}\"]"),
                    };
                    let hit = match self.eval(inner, Some((it, &iname))) {
                        Truth::True => true,
                        Truth::False => false,
                        Truth::Unknown(m, r) => {
                            unknown.get_or_insert((m, r));
                            return;
                        }
                    };
                    if hit == keep {
                        let whole = match it.node(&[]) {
                            Node::Found(v) => v.into_owned(),
                            Node::Absent | Node::Unavailable(..) => Value::Null,
                        };
                        decisive.push((iname(), whole));
                    }
                });
                let count = match listing {
                    Listing::Listed(n) => n,
                    Listing::Absent => 0,
                    Listing::Unavailable(m, r) => {
                        self.evidence.push(Evidence::unavailable(name, r.clone()));
                        return Truth::Unknown(m, Reason::Fact(r));
                    }
                    Listing::NotAList(kind) => {
                        self.problems.push(Problem::NotAList {
                            name: name.clone(),
                            kind: kind.to_string(),
                        });
                        return Truth::Unknown(Missing::Error, Reason::Rule(self.problems.clone()));
                    }
                };
                let truth = match quant {
                    Quant::None | Quant::Every => decisive.is_empty(),
                    Quant::Some => !decisive.is_empty(),
                };
                if decisive.is_empty() {
                    self.evidence.push(Evidence {
                        checked: Some(count),
                        ..Evidence::value(
                            name,
                            Value::from(crate::i18n::none_matched(crate::i18n::Lang::En, count)),
                            None,
                        )
                    });
                }
                for (iname, v) in decisive {
                    self.evidence.push(Evidence::record(iname, v));
                }
                match (quant, truth, unknown) {
                    // A definite counter-example settles the matter whatever else is unknown.
                    (Quant::None | Quant::Every, false, _) | (Quant::Some, true, _) => Truth::from(truth),
                    (_, _, Some((m, r))) => Truth::Unknown(m, r),
                    _ => Truth::from(truth),
                }
            }
        }
    }

    fn combine(&mut self, v: &[Expr], item: Option<Item<'_>>, all: bool) -> Truth {
        let mut error = None;
        let mut na = None;
        let mut decided = false;
        for e in v {
            match self.eval(e, item) {
                Truth::True if !all => return Truth::True,
                Truth::False if all => return Truth::False,
                Truth::True | Truth::False => decided = true,
                Truth::Unknown(Missing::Error, r) => {
                    error.get_or_insert(r);
                }
                Truth::Unknown(Missing::NotApplicable, r) => {
                    na.get_or_insert(r);
                }
            }
        }
        match (error, decided, na) {
            (Some(r), _, _) => Truth::Unknown(Missing::Error, r),
            (None, true, _) => Truth::from(all),
            (None, false, Some(r)) => Truth::Unknown(Missing::NotApplicable, r),
            (None, false, None) => Truth::from(all),
        }
    }

    fn apply(&mut self, op: &Op, v: Option<&Value>) -> Option<bool> {
        let null = Value::Null;
        let v = v.unwrap_or(&null);
        Some(match op {
            Op::Pick(pick, inner) => {
                let picked = match (&pick.split, v) {
                    (None, _) => Cow::Borrowed(v),
                    (Some(sep), Value::String(s)) => {
                        let items = split_list(s, sep);
                        match pick.part {
                            // A missing field reads as absent: no comparison holds on it.
                            Some(i) => Cow::Owned(items.into_iter().nth(i).unwrap_or(Value::Null)),
                            None => Cow::Owned(Value::Array(items)),
                        }
                    }
                    // Already a list (sshd keywords printed once per value): nothing to split.
                    (Some(_), Value::Array(a)) => match pick.part {
                        Some(i) => Cow::Owned(a.get(i).cloned().unwrap_or(Value::Null)),
                        None => Cow::Borrowed(v),
                    },
                    (Some(_), _) => Cow::Owned(Value::Null),
                };
                match (pick.unit, inner.as_ref()) {
                    (Some(unit), Op::Cmp(ord, or_eq, o)) => {
                        let rhs = self.resolve(o)?;
                        let Some(b) = unit.read(&rhs) else {
                            self.problems.push(Problem::BadOperand {
                                op: op_name(inner).to_owned(),
                                value: rhs.to_string(),
                                want: format!("a value in {}", unit.name()),
                            });
                            return None;
                        };
                        match unit.read(&picked) {
                            Some(a) => {
                                let c = a.partial_cmp(&b).unwrap_or(Ordering::Equal);
                                c == *ord || (*or_eq && c == Ordering::Equal)
                            }
                            None => false,
                        }
                    }
                    _ => return self.apply(inner, Some(&picked)),
                }
            }
            Op::Subset(subset, o) => {
                let list = self.resolve(o)?;
                let name = if *subset { "subset_of" } else { "disjoint_from" };
                let Some(list) = list.as_array() else {
                    self.problems.push(Problem::NeedsList {
                        op: name.to_owned(),
                        got: format!("{} as its operand", kind_of(&list)),
                    });
                    return None;
                };
                // A value that is not there is not an empty list: three-valued, an error.
                let Some(items) = v.as_array() else {
                    let hint = if v.is_string() {
                        " (add `split = \",\"` to read it as a list)"
                    } else {
                        ""
                    };
                    self.problems.push(Problem::NeedsList {
                        op: name.to_owned(),
                        got: format!("{}{hint}", kind_of(v)),
                    });
                    return None;
                };
                self.offenders = items
                    .iter()
                    .enumerate()
                    .filter(|(_, x)| list.iter().any(|y| loose_eq(x, y)) != *subset)
                    .map(|(i, x)| (i, x.clone()))
                    .collect();
                self.offenders.is_empty()
            }
            Op::WithinUmask(o) => {
                let rhs = self.resolve(o)?;
                let Some(umask) = umask_of(&rhs) else {
                    self.problems.push(Problem::BadOperand {
                        op: "within_umask".to_owned(),
                        value: rhs.to_string(),
                        want: "an octal umask (\"027\")".to_owned(),
                    });
                    return None;
                };
                // A string is an octal mode ("0640"), as for mode_max.
                match v {
                    Value::String(s) => u32::from_str_radix(s.trim(), 8).is_ok_and(|m| m & umask == 0),
                    _ => match number(v) {
                        Some(m) if m >= 0.0 => (m as u32) & umask == 0,
                        _ => false,
                    },
                }
            }
            Op::Eq(o) => {
                let r = self.resolve(o)?;
                loose_eq(v, &r)
            }
            Op::Ne(o) => {
                let r = self.resolve(o)?;
                !loose_eq(v, &r)
            }
            Op::In(o) | Op::NotIn(o) => {
                let list = self.resolve(o)?;
                let Some(list) = list.as_array() else {
                    self.problems.push(Problem::InNeedsList);
                    return None;
                };
                list.iter().any(|x| loose_eq(v, x)) == matches!(op, Op::In(_))
            }
            Op::Cmp(ord, or_eq, o) => {
                let rhs = self.resolve(o)?;
                match (number(v), number(&rhs)) {
                    (Some(a), Some(b)) => {
                        let c = a.partial_cmp(&b).unwrap_or(Ordering::Equal);
                        c == *ord || (*or_eq && c == Ordering::Equal)
                    }
                    _ => false,
                }
            }
            Op::Version(ge, scheme, o) => {
                let rhs = self.resolve(o)?;
                let (Some(a), Some(b)) = (scalar_string(v), scalar_string(&rhs)) else {
                    return Some(false);
                };
                let c = match scheme {
                    Scheme::Dpkg => crate::version::dpkg_cmp(&a, &b),
                    Scheme::Rpm => crate::version::rpm_cmp(&a, &b),
                };
                (c != Ordering::Less) == *ge
            }
            Op::Matches(want, re) => scalar_string(v).is_some_and(|s| re.is_match(&s)) == *want,
            Op::Contains(want, o) => {
                let needle = self.resolve(o)?;
                let has = match v {
                    Value::Array(a) => a.iter().any(|x| loose_eq(x, &needle)),
                    Value::String(s) => needle.as_str().is_some_and(|n| s.contains(n)),
                    Value::Object(m) => needle.as_str().is_some_and(|n| m.contains_key(n)),
                    _ => false,
                };
                has == *want
            }
            Op::Empty(want) => {
                let empty = match v {
                    Value::Null => true,
                    Value::String(s) => s.is_empty(),
                    Value::Array(a) => a.is_empty(),
                    Value::Object(o) => o.is_empty(),
                    _ => false,
                };
                empty == *want
            }
            Op::Present(want) => v.is_null() != *want,
            Op::SetInFile(_) => {
                self.problems.push(Problem::SetInFileNeedsFact);
                return None;
            }
            // A string is an octal mode ("0640"), never a decimal number.
            Op::ModeMax(mask) => match v {
                Value::String(s) => u32::from_str_radix(s.trim(), 8).is_ok_and(|m| m & !mask == 0),
                _ => match number(v) {
                    Some(m) if m >= 0.0 => (m as u32) & !mask == 0,
                    _ => false,
                },
            },
        })
    }
}

impl From<bool> for Truth {
    fn from(b: bool) -> Self {
        if b { Truth::True } else { Truth::False }
    }
}

/// The name of the fact at `p`, relative to `item` when there is one.
fn display_path(item: Option<Item<'_>>, p: Option<&FactPath>) -> String {
    match (item.map(|(_, name)| name()), p) {
        (None, Some(p)) => p.to_string(),
        (Some(pre), Some(p)) => format!("{pre}.{p}"),
        (Some(pre), None) => pre,
        (None, None) => String::new(),
    }
}

fn segments(p: Option<&FactPath>) -> &[String] {
    p.map_or(&[], |p| p.segments.as_slice())
}

fn number(v: &Value) -> Option<f64> {
    match v {
        Value::Number(n) => n.as_f64(),
        Value::String(s) => s.trim().parse().ok(),
        _ => None,
    }
}

fn scalar_string(v: &Value) -> Option<String> {
    match v {
        Value::String(s) => Some(s.clone()),
        Value::Number(n) => Some(n.to_string()),
        Value::Bool(b) => Some(b.to_string()),
        _ => None,
    }
}

/// Equality where numbers and numeric strings compare by value (`"1" == 1`, as sysctl values are
/// text) and everything else compares exactly.
fn loose_eq(a: &Value, b: &Value) -> bool {
    if a == b {
        return true;
    }
    match (a, b) {
        (Value::Number(_), Value::String(_)) | (Value::String(_), Value::Number(_)) => {
            matches!((number(a), number(b)), (Some(x), Some(y)) if x == y)
        }
        _ => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn expr(s: &str) -> Expr {
        let v: toml::Value = toml::from_str(&format!("check = {s}")).unwrap();
        Expr::from_toml(&v["check"], false).unwrap()
    }

    fn run(e: &str, facts: Value) -> (Truth, Vec<Evidence>) {
        let vars = Vars::from([("n".to_owned(), json!(3))]);
        let mut ev = Eval::new(&facts, &vars);
        let t = ev.eval(&expr(e), None);
        (t, ev.evidence)
    }

    #[test]
    fn fact_paths_with_dotted_keys() {
        let p = FactPath::parse(r#"sysctl.keys["net.ipv4.ip_forward"].persisted"#).unwrap();
        assert_eq!(p.segments, ["sysctl", "keys", "net.ipv4.ip_forward", "persisted"]);
        assert_eq!(p.to_string(), r#"sysctl.keys["net.ipv4.ip_forward"].persisted"#);
        assert!(FactPath::parse("a..b").is_err());
        assert!(FactPath::parse("a[b]").is_err());
    }

    #[test]
    fn fact_values_are_unwrapped_and_sourced() {
        let facts = json!({"sshd": {"effective": {"permitrootlogin": {"value": "yes", "source": {"path": "/etc/ssh/sshd_config", "line": 3}}}}});
        let (t, ev) = run(r#"{ fact = "sshd.effective.permitrootlogin", in = ["no"] }"#, facts);
        assert_eq!(t, Truth::False);
        assert_eq!(ev[0].value, json!("yes"));
        assert_eq!(ev[0].source.as_ref().unwrap().line, Some(3));
    }

    #[test]
    fn unavailable_is_unknown_never_pass() {
        let facts = json!({"accounts": {"unavailable": {"status": "error", "reason": "cannot read /etc/shadow"}}});
        let (t, _) = run(r#"{ fact = "accounts.empty_password", empty = true }"#, facts.clone());
        assert_eq!(
            t,
            Truth::Unknown(Missing::Error, Reason::Fact("cannot read /etc/shadow".into()))
        );
        let (t, _) = run(r#"{ not = { fact = "accounts.empty_password", empty = true } }"#, facts);
        assert!(matches!(t, Truth::Unknown(..)));
    }

    #[test]
    fn kleene_all_any_and_not_applicable_members() {
        let facts = json!({"a": 1, "rt": {"unavailable": {"status": "not-applicable", "reason": "offline"}},
                           "err": {"unavailable": {"status": "error", "reason": "broken"}}});
        assert_eq!(
            run(
                r#"{ all = [{ fact = "a", eq = 1 }, { fact = "rt", eq = 1 }] }"#,
                facts.clone()
            )
            .0,
            Truth::True
        );
        assert_eq!(
            run(
                r#"{ all = [{ fact = "a", eq = 2 }, { fact = "err", eq = 1 }] }"#,
                facts.clone()
            )
            .0,
            Truth::False
        );
        assert!(matches!(
            run(
                r#"{ all = [{ fact = "a", eq = 1 }, { fact = "err", eq = 1 }] }"#,
                facts.clone()
            )
            .0,
            Truth::Unknown(Missing::Error, _)
        ));
        assert_eq!(
            run(
                r#"{ any = [{ fact = "a", eq = 1 }, { fact = "err", eq = 1 }] }"#,
                facts.clone()
            )
            .0,
            Truth::True
        );
        assert!(matches!(
            run(r#"{ all = [{ fact = "rt", eq = 1 }] }"#, facts).0,
            Truth::Unknown(Missing::NotApplicable, _)
        ));
    }

    #[test]
    fn quantifier_lists_offenders_as_evidence() {
        let facts = json!({"users": [{"name": "root", "uid": 0, "source": {"path": "/etc/passwd", "line": 1}},
                                     {"name": "toor", "uid": 0, "source": {"path": "/etc/passwd", "line": 9}},
                                     {"name": "bob", "uid": 1000, "source": {"path": "/etc/passwd", "line": 10}}]});
        let (t, ev) = run(
            r#"{ fact = "users", none = { all = [{ field = "uid", eq = 0 }, { field = "name", ne = "root" }] } }"#,
            facts,
        );
        assert_eq!(t, Truth::False);
        assert_eq!(ev.len(), 1);
        assert_eq!(ev[0].fact, "users[1]");
        assert_eq!(ev[0].source.as_ref().unwrap().line, Some(9));
    }

    #[test]
    fn set_in_file_tells_a_line_of_a_file_from_a_default() {
        let facts = json!({"sshd": {"effective": {
            "strictmodes": {"value": "yes", "source": {"note": "compiled-in default, OpenSSH 9.2p1"}},
            "printlastlog": {"value": "yes", "source": {"path": "/etc/ssh/sshd_config.d/00-cis.conf", "line": 2}}}},
            "plain": "yes", "record": {"value": "yes", "source": {"path": "/etc/x"}, "other": 1}});
        let t = |e: &str| run(e, facts.clone()).0;
        assert_eq!(
            t(r#"{ fact = "sshd.effective.printlastlog", set_in_file = true }"#),
            Truth::True
        );
        assert_eq!(
            t(r#"{ fact = "sshd.effective.strictmodes", set_in_file = true }"#),
            Truth::False
        );
        assert_eq!(
            t(r#"{ fact = "sshd.effective.strictmodes", set_in_file = false }"#),
            Truth::True
        );
        // Absent, a plain value, and a record that merely has a `source` field carry no line.
        for path in ["sshd.effective.compression", "plain", "record"] {
            assert_eq!(
                t(&format!(r#"{{ fact = "{path}", set_in_file = true }}"#)),
                Truth::False,
                "{path}"
            );
        }
        // The evidence still shows the value and where it came from.
        let (_, ev) = run(
            r#"{ fact = "sshd.effective.printlastlog", set_in_file = true }"#,
            facts.clone(),
        );
        assert_eq!(ev[0].value, json!("yes"));
        assert_eq!(ev[0].source.as_ref().unwrap().line, Some(2));
        let v: toml::Value = toml::from_str(r#"check = { var = "n", set_in_file = true }"#).unwrap();
        assert!(Expr::from_toml(&v["check"], false).is_err());
    }

    #[test]
    fn a_variable_can_be_tested_itself() {
        assert_eq!(run(r#"{ var = "n", eq = 3 }"#, json!({})).0, Truth::True);
        assert_eq!(run(r#"{ var = "n", empty = true }"#, json!({})).0, Truth::False);
        assert!(matches!(
            run(r#"{ var = "zz", empty = true }"#, json!({})).0,
            Truth::Unknown(Missing::Error, _)
        ));
        let v: toml::Value = toml::from_str(r#"check = { var = "n", fact = "a", eq = 1 }"#).unwrap();
        assert!(Expr::from_toml(&v["check"], false).is_err());
    }

    #[test]
    fn numbers_and_numeric_strings_compare_by_value() {
        assert_eq!(run(r#"{ fact = "v", eq = 1 }"#, json!({"v": "1"})).0, Truth::True);
        assert_eq!(
            run(r#"{ fact = "v", le = { var = "n" } }"#, json!({"v": "2"})).0,
            Truth::True
        );
        assert_eq!(
            run(r#"{ fact = "v", gt = { var = "n" } }"#, json!({"v": 2})).0,
            Truth::False
        );
        assert_eq!(
            run(r#"{ fact = "missing", present = false }"#, json!({})).0,
            Truth::True
        );
        assert_eq!(
            run(r#"{ fact = "m", mode_max = "0750" }"#, json!({"m": "0750"})).0,
            Truth::True,
            "an octal string is not read as decimal"
        );
        assert_eq!(
            run(r#"{ fact = "m", mode_max = "0644" }"#, json!({"m": 0o600})).0,
            Truth::True
        );
        assert_eq!(
            run(r#"{ fact = "m", mode_max = "0644" }"#, json!({"m": 0o666})).0,
            Truth::False
        );
    }

    /// Generated lists (seeded): `subset_of` holds exactly when every item is in the allowed
    /// list and `disjoint_from` when none is, over a split string and over a list alike; the
    /// evidence names each offending item with its index and the line of the whole value.
    #[test]
    fn subset_and_disjoint_over_generated_lists() {
        let pool = [
            "aes128-ctr",
            "aes256-ctr",
            "aes128-cbc",
            "3des-cbc",
            "chacha20-poly1305@openssh.com",
            "aes256-gcm@openssh.com",
        ];
        let mut seed: u64 = 0xc1f3e5;
        let mut next = |n: usize| {
            seed ^= seed << 13;
            seed ^= seed >> 7;
            seed ^= seed << 17;
            (seed % n as u64) as usize
        };
        for round in 0..300 {
            let have: Vec<&str> = (0..1 + next(6)).map(|_| pool[next(pool.len())]).collect();
            let allowed: Vec<&str> = pool.iter().copied().filter(|_| next(2) == 0).collect();
            let as_list = round % 2 == 0;
            let value = if as_list { json!(have) } else { json!(have.join(",")) };
            let facts = json!({"c": {"value": value, "source": {"path": "/etc/ssh/sshd_config", "line": 7}}});
            let vars = Vars::from([("ok".to_owned(), json!(allowed))]);
            for subset in [true, false] {
                let op = if subset { "subset_of" } else { "disjoint_from" };
                let split = if as_list { "" } else { r#", split = ",""# };
                let e = expr(&format!(r#"{{ fact = "c", {op} = {{ var = "ok" }}{split} }}"#));
                let mut ev = Eval::new(&facts, &vars);
                let t = ev.eval(&e, None);
                let bad: Vec<usize> = (0..have.len())
                    .filter(|&i| allowed.contains(&have[i]) != subset)
                    .collect();
                assert_eq!(t, Truth::from(bad.is_empty()), "{op} {have:?} {allowed:?}");
                let named: Vec<String> = ev.evidence[1..].iter().map(|e| e.fact.clone()).collect();
                assert_eq!(named, bad.iter().map(|i| format!("c[{i}]")).collect::<Vec<_>>());
                for (e, i) in ev.evidence[1..].iter().zip(&bad) {
                    assert_eq!(e.value, json!(have[*i]));
                    assert_eq!(e.source.as_ref().unwrap().line, Some(7));
                }
            }
        }
    }

    #[test]
    fn list_tests_on_a_missing_or_unsplit_value_are_errors_never_a_pass() {
        let vars = Vars::from([("ok".to_owned(), json!(["a"]))]);
        for (e, facts) in [
            (r#"{ fact = "c", subset_of = { var = "ok" } }"#, json!({})),
            (r#"{ fact = "c", subset_of = { var = "ok" }, split = "," }"#, json!({})),
            (
                r#"{ not = { fact = "c", disjoint_from = { var = "ok" }, split = "," } }"#,
                json!({}),
            ),
            (r#"{ fact = "c", subset_of = { var = "ok" } }"#, json!({"c": "a"})),
            (
                r#"{ fact = "c", subset_of = { var = "zz" }, split = "," }"#,
                json!({"c": "a"}),
            ),
        ] {
            let mut ev = Eval::new(&facts, &vars);
            let t = ev.eval(&expr(e), None);
            assert!(matches!(t, Truth::Unknown(Missing::Error, _)), "{e} on {facts}: {t:?}");
        }
        // A value that is already a list is not split again; `part` picks its item.
        let facts = json!({"c": ["a", "b"], "p": "x:y"});
        let mut ev = Eval::new(&facts, &vars);
        assert_eq!(
            ev.eval(&expr(r#"{ fact = "c", split = ",", part = 1, eq = "b" }"#), None),
            Truth::True
        );
        assert_eq!(
            ev.eval(&expr(r#"{ fact = "c", split = ",", subset_of = ["a", "b"] }"#), None),
            Truth::True
        );
        assert_eq!(
            ev.eval(&expr(r#"{ fact = "p", split = ":", part = 5, present = false }"#), None),
            Truth::True
        );
        // An empty value is the empty list: a subset of anything, disjoint from anything.
        let facts = json!({"c": ""});
        let mut ev = Eval::new(&facts, &vars);
        assert_eq!(
            ev.eval(
                &expr(r#"{ fact = "c", subset_of = { var = "ok" }, split = "," }"#),
                None
            ),
            Truth::True
        );
    }

    /// MaxStartups-like fields: each field of the value against the same field of a variable.
    #[test]
    fn fields_of_a_value_compare_with_fields_of_a_variable() {
        let check = r#"{ all = [
            { fact = "m", split = ":", part = 0, le = { var = "t", split = ":", part = 0 } },
            { fact = "m", split = ":", part = 1, ge = { var = "t", split = ":", part = 1 } },
            { fact = "m", split = ":", part = 2, le = { var = "t", split = ":", part = 2 } } ] }"#;
        let vars = Vars::from([("t".to_owned(), json!("10:30:60"))]);
        for (m, want) in [
            ("10:30:60", true),
            ("5:50:40", true),
            ("10:30:100", false),
            ("11:30:60", false),
            ("10:29:60", false),
            ("10:30", false),
            ("x:30:60", false),
        ] {
            let facts = json!({ "m": m });
            let mut ev = Eval::new(&facts, &vars);
            assert_eq!(ev.eval(&expr(check), None), Truth::from(want), "{m}");
        }
        // A variable without the field is an error of the rule, not a silent false.
        let vars = Vars::from([("t".to_owned(), json!("10:30"))]);
        let facts = json!({ "m": "10:30:60" });
        let mut ev = Eval::new(&facts, &vars);
        assert!(matches!(ev.eval(&expr(check), None), Truth::Unknown(Missing::Error, _)));
    }

    #[test]
    fn sizes_and_times_compare_in_sshd_units() {
        assert_eq!(Unit::Bytes.read(&json!("1G")), Some(1073741824.0));
        assert_eq!(Unit::Bytes.read(&json!("512M")), Some(536870912.0));
        assert_eq!(Unit::Bytes.read(&json!("4k")), Some(4096.0));
        assert_eq!(Unit::Bytes.read(&json!("1T")), None);
        assert_eq!(Unit::Bytes.read(&json!("default")), None);
        assert_eq!(Unit::Seconds.read(&json!("1h")), Some(3600.0));
        assert_eq!(Unit::Seconds.read(&json!("1h30m")), Some(5400.0));
        assert_eq!(Unit::Seconds.read(&json!("90")), Some(90.0));
        assert_eq!(Unit::Seconds.read(&json!("1y")), None);
        let vars = Vars::from([("size".to_owned(), json!("1G")), ("time".to_owned(), json!("1h"))]);
        let check = r#"{ all = [
            { fact = "r", split = " ", part = 0, unit = "bytes", le = { var = "size" } },
            { fact = "r", split = " ", part = 0, gt = 0 },
            { fact = "r", split = " ", part = 1, unit = "seconds", le = { var = "time" } },
            { fact = "r", split = " ", part = 1, gt = 0 } ] }"#;
        for (r, want) in [
            ("1073741824 3600", true),
            ("536870912 600", true),
            ("1073741825 3600", false),
            ("0 0", false),
            ("1073741824 0", false),
            ("1073741824 3601", false),
        ] {
            let facts = json!({ "r": r });
            let mut ev = Eval::new(&facts, &vars);
            assert_eq!(ev.eval(&expr(check), None), Truth::from(want), "{r}");
        }
    }

    #[test]
    fn within_umask_reads_the_variable_as_a_umask() {
        for (mode, umask, want) in [
            ("0750", "027", true),
            ("0700", "027", true),
            ("0755", "027", false),
            ("0770", "027", false),
            ("0700", "077", true),
            ("0750", "077", false),
        ] {
            let vars = Vars::from([("u".to_owned(), json!(umask))]);
            let facts = json!({ "m": mode });
            let mut ev = Eval::new(&facts, &vars);
            let t = ev.eval(&expr(r#"{ fact = "m", within_umask = { var = "u" } }"#), None);
            assert_eq!(t, Truth::from(want), "{mode} under {umask}");
        }
        let vars = Vars::from([("u".to_owned(), json!("u=rwx"))]);
        let facts = json!({ "m": "0700" });
        let mut ev = Eval::new(&facts, &vars);
        assert!(matches!(
            ev.eval(&expr(r#"{ fact = "m", within_umask = { var = "u" } }"#), None),
            Truth::Unknown(Missing::Error, _)
        ));
    }

    #[test]
    fn bad_predicates_are_rejected_with_a_reason() {
        for (src, want) in [
            (r#"{ fact = "a" }"#, "needs an operator"),
            (r#"{ fact = "a", eq = 1, ne = 2 }"#, "two operators"),
            (r#"{ fact = "a", frob = 1 }"#, "unknown operator"),
            (r#"{ fact = "a", matches = "(" }"#, "bad regex"),
            (r#"{ fact = "a", in = 3 }"#, "takes a list"),
            (r#"{ fact = "a", subset_of = "x,y" }"#, "takes a list"),
            (r#"{ fact = "a", part = 1, eq = "x" }"#, "add `split`"),
            (
                r#"{ fact = "a", split = ",", part = 1, subset_of = ["x"] }"#,
                "drop `part`",
            ),
            (r#"{ fact = "a", unit = "bytes", eq = 1 }"#, "`unit` only goes with"),
            (r#"{ fact = "a", unit = "parsecs", le = 1 }"#, "`unit` must be"),
            (r#"{ fact = "a", within_umask = "rwx" }"#, "octal umask"),
            (r#"{ fact = "a", le = { var = "v", part = 1 } }"#, "both `split"),
            (r#"{ fact = "a", le = { var = "v", sep = ":" } }"#, "not `sep`"),
        ] {
            let v: toml::Value = toml::from_str(&format!("check = {src}")).unwrap();
            let err = Expr::from_toml(&v["check"], false).unwrap_err();
            assert!(err.contains(want), "{src}: {err}");
        }
    }
}
