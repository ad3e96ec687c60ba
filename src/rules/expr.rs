//! The predicate vocabulary of rule files, and its evaluation over the facts JSON.
//!
//! Evaluation is three-valued (Kleene): a predicate is true, false, or unknown because a fact it
//! reads is unavailable. `all` is false as soon as one member is false, `any` true as soon as one is
//! true; otherwise an unknown member makes the whole unknown. A not-applicable member of `all` or
//! `any` is left out (e.g. the runtime half of a sysctl check on an offline root), and a
//! combination whose members are all not-applicable is itself not-applicable. This is what makes
//! "never a pass on something unread" hold through any combination of predicates.

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
        let mut ops = t.keys().filter(|k| *k != path_key && *k != "scheme");
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
        Ok(match var_name {
            Some(name) => Expr::VarTest { name, op },
            None => Expr::Test { path, op },
        })
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
            Expr::Test { op, .. } => {
                if let Op::Eq(Operand::Var(n))
                | Op::Ne(Operand::Var(n))
                | Op::In(Operand::Var(n))
                | Op::NotIn(Operand::Var(n))
                | Op::Cmp(_, _, Operand::Var(n))
                | Op::Version(_, _, Operand::Var(n))
                | Op::Contains(_, Operand::Var(n)) = op
                {
                    out.push(n);
                }
            }
        }
    }
}

fn operand(v: &toml::Value) -> Result<Operand, String> {
    if let Some(t) = v.as_table() {
        if let (1, Some(toml::Value::String(name))) = (t.len(), t.get("var")) {
            return Ok(Operand::Var(name.clone()));
        }
        return Err("an operand table must be `{ var = \"name\" }`".into());
    }
    serde_json::to_value(v).map(Operand::Lit).map_err(|e| e.to_string())
}

fn list_operand(v: &toml::Value, key: &str) -> Result<Operand, String> {
    match operand(v)? {
        Operand::Lit(Value::Array(a)) => Ok(Operand::Lit(Value::Array(a))),
        Operand::Lit(_) => Err(format!("`{key}` takes a list")),
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
        }
    }

    fn resolve<'o>(&mut self, o: &'o Operand) -> Option<&'o Value>
    where
        'a: 'o,
    {
        match o {
            Operand::Lit(v) => Some(v),
            Operand::Var(n) => {
                let vars: &'a Vars = self.vars;
                match vars.get(n) {
                    Some(v) => Some(v),
                    None => {
                        self.problems.push(Problem::NoValue(n.clone()));
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
                            self.evidence.push(Evidence::found(name(), value, source, shadowed));
                        }
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
            Op::Eq(o) => loose_eq(v, self.resolve(o)?),
            Op::Ne(o) => !loose_eq(v, self.resolve(o)?),
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
                match (number(v), number(rhs)) {
                    (Some(a), Some(b)) => {
                        let c = a.partial_cmp(&b).unwrap_or(Ordering::Equal);
                        c == *ord || (*or_eq && c == Ordering::Equal)
                    }
                    _ => false,
                }
            }
            Op::Version(ge, scheme, o) => {
                let rhs = self.resolve(o)?;
                let (Some(a), Some(b)) = (scalar_string(v), scalar_string(rhs)) else {
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
                    Value::Array(a) => a.iter().any(|x| loose_eq(x, needle)),
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

    #[test]
    fn bad_predicates_are_rejected_with_a_reason() {
        for (src, want) in [
            (r#"{ fact = "a" }"#, "needs an operator"),
            (r#"{ fact = "a", eq = 1, ne = 2 }"#, "two operators"),
            (r#"{ fact = "a", frob = 1 }"#, "unknown operator"),
            (r#"{ fact = "a", matches = "(" }"#, "bad regex"),
            (r#"{ fact = "a", in = 3 }"#, "takes a list"),
        ] {
            let v: toml::Value = toml::from_str(&format!("check = {src}")).unwrap();
            let err = Expr::from_toml(&v["check"], false).unwrap_err();
            assert!(err.contains(want), "{src}: {err}");
        }
    }
}
