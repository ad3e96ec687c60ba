//! Which fact paths exist: the JSON schema of [`Facts`], derived from the fact types themselves
//! (`schemars::JsonSchema` next to every fact type's `Serialize`), so a new fact field is known to
//! the rule loader with no list to keep.
//!
//! A rule naming a path that no fact can have (`sshd.effective.permitrootlgin`,
//! `packages.instaled`, a field `nmae` inside a quantifier) would read `null` on every target and
//! could pass silently; the loader rejects it instead, pointing at the rule.
//!
//! A path is walked over the schema as [`super::view`] walks the facts:
//! - a `Fact` (`{value, source[, shadowed]}`) is looked through to its value's schema;
//! - a struct has its fields; a map accepts any key, unless its schema names the keys it can have
//!   (`propertyNames` with an `enum`: a table whose keys are a fixed set, e.g. the sshd keywords);
//! - a list is indexed by a decimal number, and a quantifier's items are a list's items, a map's
//!   values or a struct's fields;
//! - alternatives (`Option`, enums, untagged enums such as `Collected`) accept a step that any of
//!   them accepts; the `{"unavailable": …}` marker of `Collected` is not a place a rule can name.

use std::sync::OnceLock;

use serde_json::{Map, Value};

use super::{Expr, FactPath};
use crate::facts::Facts;

/// The schema of the facts, generated once.
fn root() -> &'static Value {
    static SCHEMA: OnceLock<Value> = OnceLock::new();
    SCHEMA.get_or_init(|| {
        let schema = schemars::generate::SchemaSettings::draft2020_12()
            .for_serialize()
            .into_generator()
            .into_root_schema_for::<Facts>();
        schema.to_value()
    })
}

/// `rootfs::Kind` serializes as a kebab-case word.
impl schemars::JsonSchema for crate::rootfs::Kind {
    fn schema_name() -> std::borrow::Cow<'static, str> {
        "Kind".into()
    }
    fn json_schema(_: &mut schemars::SchemaGenerator) -> schemars::Schema {
        schemars::json_schema!({ "type": "string" })
    }
}

/// The schema of a table whose keys are exactly `keys` (for `#[schemars(schema_with = …)]` on a
/// map field whose keys are a fixed set): any other key is an unknown fact.
pub fn closed_map<V: schemars::JsonSchema>(
    g: &mut schemars::SchemaGenerator,
    keys: impl IntoIterator<Item = String>,
) -> schemars::Schema {
    let mut keys: Vec<String> = keys.into_iter().collect();
    keys.sort();
    keys.dedup();
    let value = g.subschema_for::<V>();
    schemars::json_schema!({
        "type": "object",
        "additionalProperties": value,
        "propertyNames": { "enum": keys },
    })
}

/// The places a path can be at: the schemas it may have there (alternatives are kept side by
/// side; an empty list is nowhere).
#[derive(Debug, Clone)]
pub struct Shape {
    nodes: Vec<&'static Value>,
    /// The path so far, for messages (`packages.installed[*]`).
    at: String,
}

/// Whether `v` is the schema of a `Fact` (or a `Shadowed`): an object whose only properties are
/// `value`, `source` and `shadowed`, with the first two (the shape `view::is_fact` recognises).
fn is_fact(v: &Map<String, Value>) -> bool {
    v.get("properties").and_then(Value::as_object).is_some_and(|p| {
        p.contains_key("value")
            && p.contains_key("source")
            && p.keys().all(|k| matches!(k.as_str(), "value" | "source" | "shadowed"))
    })
}

/// The `{"unavailable": …}` alternative of `Collected`.
fn is_unavailable_marker(v: &Map<String, Value>) -> bool {
    v.get("properties")
        .and_then(Value::as_object)
        .is_some_and(|p| p.len() == 1 && p.contains_key("unavailable"))
}

/// Resolves `$ref`, alternatives and `Fact` wrappers into the concrete schemas `v` may be.
fn expand(v: &'static Value, out: &mut Vec<&'static Value>, depth: usize) {
    if depth > 64 {
        return;
    }
    let Some(o) = v.as_object() else {
        // `true`: anything.
        if v.as_bool() == Some(true) {
            out.push(v);
        }
        return;
    };
    if let Some(r) = o.get("$ref").and_then(Value::as_str) {
        if let Some(target) = r.strip_prefix('#').and_then(|p| root().pointer(p)) {
            expand(target, out, depth + 1);
        }
        return;
    }
    let mut alternatives = false;
    for key in ["anyOf", "oneOf", "allOf"] {
        if let Some(list) = o.get(key).and_then(Value::as_array) {
            alternatives = true;
            for x in list {
                expand(x, out, depth + 1);
            }
        }
    }
    if alternatives && !o.contains_key("properties") && !o.contains_key("type") {
        return;
    }
    if is_unavailable_marker(o) {
        return;
    }
    if is_fact(o) {
        if let Some(value) = o.get("properties").and_then(|p| p.get("value")) {
            expand(value, out, depth + 1);
        }
        return;
    }
    out.push(v);
}

fn types(o: &Map<String, Value>) -> Vec<&str> {
    match o.get("type") {
        Some(Value::String(s)) => vec![s.as_str()],
        Some(Value::Array(a)) => a.iter().filter_map(Value::as_str).collect(),
        _ => Vec::new(),
    }
}

/// Anything goes below: `true`, `{}`, or a schema that constrains nothing we walk.
fn is_any(v: &Value) -> bool {
    match v {
        Value::Bool(b) => *b,
        Value::Object(o) => ![
            "type",
            "properties",
            "additionalProperties",
            "items",
            "prefixItems",
            "enum",
            "const",
        ]
        .iter()
        .any(|k| o.contains_key(*k)),
        _ => false,
    }
}

/// What a failed step found at the place it started from: the names it could have taken.
struct Dead {
    names: Vec<String>,
    kinds: Vec<&'static str>,
}

impl Shape {
    /// The top of the facts.
    pub fn facts() -> Self {
        let mut nodes = Vec::new();
        expand(root(), &mut nodes, 0);
        Shape {
            nodes,
            at: String::new(),
        }
    }

    fn named(&self, seg: &str) -> String {
        let p = FactPath {
            segments: vec![seg.to_owned()],
        };
        match self.at.as_str() {
            "" => p.to_string(),
            at if p.to_string().starts_with('[') => format!("{at}{p}"),
            at => format!("{at}.{p}"),
        }
    }

    /// Follows `path` from here; an error says which step leads nowhere and what was possible.
    pub fn walk(&self, path: &FactPath) -> Result<Shape, String> {
        let mut cur = self.clone();
        for seg in &path.segments {
            cur = cur.step(seg)?;
        }
        Ok(cur)
    }

    /// Whether this place is a table that takes any key (a map with keys from the target, such
    /// as package names or sysctl keys), or anything at all: a misspelled key cannot be told here.
    pub fn takes_any_key(&self) -> bool {
        self.nodes.iter().any(|&n| {
            is_any(n)
                || n.as_object().is_some_and(|o| {
                    o.get("additionalProperties")
                        .is_some_and(|a| a.is_object() || *a == true)
                        && o.get("propertyNames").is_none_or(|p| p.get("enum").is_none())
                        || o.contains_key("patternProperties")
                })
        })
    }

    /// One step: a field, a table key or a list index.
    pub fn step(&self, seg: &str) -> Result<Shape, String> {
        let mut next = Vec::new();
        let mut dead = Dead {
            names: Vec::new(),
            kinds: Vec::new(),
        };
        for &n in &self.nodes {
            if is_any(n) {
                next.push(n);
                continue;
            }
            let Some(o) = n.as_object() else { continue };
            let ty = types(o);
            let mut found = false;
            if let Some(props) = o.get("properties").and_then(Value::as_object) {
                if let Some(p) = props.get(seg) {
                    expand(p, &mut next, 0);
                    found = true;
                } else {
                    dead.names.extend(props.keys().cloned());
                }
            }
            if !found && let Some(extra) = o.get("additionalProperties").filter(|a| a.is_object() || **a == true) {
                let allowed = o
                    .get("propertyNames")
                    .and_then(|p| p.get("enum"))
                    .and_then(Value::as_array);
                match allowed {
                    Some(keys) if !keys.iter().any(|k| k.as_str() == Some(seg)) => {
                        dead.names
                            .extend(keys.iter().filter_map(Value::as_str).map(str::to_owned));
                    }
                    _ => {
                        expand(extra, &mut next, 0);
                        found = true;
                    }
                }
            }
            if !found && let Some(pattern) = o.get("patternProperties").and_then(Value::as_object) {
                for p in pattern.values() {
                    expand(p, &mut next, 0);
                    found = true;
                }
            }
            if ty.contains(&"array") {
                if let Ok(i) = seg.parse::<usize>() {
                    let item = o
                        .get("prefixItems")
                        .and_then(Value::as_array)
                        .and_then(|p| p.get(i))
                        .or_else(|| o.get("items"));
                    if let Some(item) = item {
                        expand(item, &mut next, 0);
                        found = true;
                    }
                } else {
                    dead.kinds.push("a list");
                }
            }
            if !found && !o.contains_key("properties") && !ty.contains(&"object") && !ty.contains(&"array") {
                dead.kinds.extend(ty.iter().filter(|t| **t != "null").map(|t| match *t {
                    "string" => "a string",
                    "integer" | "number" => "a number",
                    "boolean" => "a boolean",
                    _ => "a value",
                }));
                if o.contains_key("enum") || o.contains_key("const") {
                    dead.kinds.push("a word");
                }
            }
        }
        if !next.is_empty() {
            return Ok(Shape {
                nodes: next,
                at: self.named(seg),
            });
        }
        Err(self.no_step(seg, dead))
    }

    fn no_step(&self, seg: &str, mut dead: Dead) -> String {
        let here = if self.at.is_empty() { "the facts" } else { &self.at };
        let whole = self.named(seg);
        dead.names.sort();
        dead.names.dedup();
        if dead.names.is_empty() {
            dead.kinds.sort();
            dead.kinds.dedup();
            let kind = if dead.kinds.is_empty() {
                "nothing a path can go into".to_owned()
            } else {
                dead.kinds.join(" or ")
            };
            let hint = if dead.kinds.contains(&"a list") {
                " (index it by number, or test its items with every/none/some)"
            } else {
                ""
            };
            return format!("unknown fact `{whole}`: `{here}` is {kind}{hint}");
        }
        let close = super::close_matches(seg, dead.names.iter().map(String::as_str));
        let hint = if close.is_empty() {
            if dead.names.len() <= 40 {
                format!(" (known: {})", dead.names.join(", "))
            } else {
                String::new()
            }
        } else {
            let close: Vec<String> = close.iter().map(|c| format!("`{c}`")).collect();
            format!(" (did you mean {}?)", close.join(" or "))
        };
        format!("unknown fact `{whole}`: `{here}` has no `{seg}`{hint}")
    }

    /// The items a quantifier over this place looks at.
    pub fn items(&self) -> Result<Shape, String> {
        let mut next = Vec::new();
        let mut kinds = Vec::new();
        for &n in &self.nodes {
            if is_any(n) {
                next.push(n);
                continue;
            }
            let Some(o) = n.as_object() else { continue };
            let ty = types(o);
            let before = next.len();
            if ty.contains(&"array") {
                for item in o.get("prefixItems").and_then(Value::as_array).into_iter().flatten() {
                    expand(item, &mut next, 0);
                }
                if let Some(item) = o.get("items") {
                    expand(item, &mut next, 0);
                }
            }
            if let Some(extra) = o.get("additionalProperties").filter(|a| a.is_object() || **a == true) {
                expand(extra, &mut next, 0);
            }
            for p in o
                .get("patternProperties")
                .and_then(Value::as_object)
                .into_iter()
                .flatten()
            {
                expand(p.1, &mut next, 0);
            }
            // A struct's items are its fields' values.
            for p in o.get("properties").and_then(Value::as_object).into_iter().flatten() {
                expand(p.1, &mut next, 0);
            }
            if next.len() == before {
                kinds.extend(ty.into_iter().filter(|t| *t != "null"));
            }
        }
        if next.is_empty() {
            kinds.sort();
            kinds.dedup();
            return Err(format!(
                "`{}` is {}, not a list or table: a quantifier has no items to test",
                self.at,
                if kinds.is_empty() {
                    "nothing".to_owned()
                } else {
                    format!("a {}", kinds.join(" or "))
                }
            ));
        }
        Ok(Shape {
            nodes: next,
            at: format!("{}[*]", self.at),
        })
    }
}

/// Checks every fact path `e` reads, from `base` (the facts, or a quantifier's items). The error
/// is the path as the rule wrote it (to find its line) and what is wrong with it.
pub fn check_expr(e: &Expr, base: &Shape) -> Result<(), (String, String)> {
    let at = |p: &FactPath, base: &Shape| base.walk(p).map_err(|m| (p.to_string(), m));
    match e {
        Expr::All(v) | Expr::Any(v) => v.iter().try_for_each(|x| check_expr(x, base)),
        Expr::Not(x) => check_expr(x, base),
        Expr::VarTest { .. } => Ok(()),
        Expr::Test { path, .. } => path.as_ref().map_or(Ok(()), |p| at(p, base).map(drop)),
        Expr::Quant { path, inner, .. } => {
            let here = match path {
                Some(p) => at(p, base)?,
                None => base.clone(),
            };
            let items = here
                .items()
                .map_err(|m| (path.as_ref().map(ToString::to_string).unwrap_or_default(), m))?;
            check_expr(inner, &items)
        }
    }
}

/// One row of the fact reference: a path rules can name, its type and its documentation.
struct Row {
    path: String,
    kind: String,
    doc: String,
}

/// The first sentence of a doc comment, on one line, with `|` escaped for a Markdown table.
fn first_sentence(doc: &str) -> String {
    let flat = doc.split_whitespace().collect::<Vec<_>>().join(" ");
    let end = flat
        .match_indices(". ")
        .map(|(i, _)| i)
        .find(|&i| !flat[..i].ends_with("e.g") && !flat[..i].ends_with("i.e"))
        .map_or(flat.len(), |i| i + 1);
    // Rustdoc links (`[`Instance::state`]`) read as code.
    flat[..end].replace("[`", "`").replace("`]", "`").replace('|', "\\|")
}

/// A short type for the reference: `string`, `bool`, `list of …`, `table of …`, with `(with
/// source)` for a value that carries the file and line that decided it.
fn kind_of(v: &'static Value, depth: usize) -> String {
    let Some(o) = v.as_object() else { return "any".into() };
    if depth > 8 {
        return "…".into();
    }
    if let Some(t) = o.get("$ref").and_then(Value::as_str).and_then(|r| r.strip_prefix('#')) {
        let Some(t) = root().pointer(t) else {
            return "any".into();
        };
        if let Some(value) = t
            .as_object()
            .filter(|t| is_fact(t))
            .and_then(|_| t.pointer("/properties/value"))
        {
            return format!("{} (with source)", kind_of(value, depth + 1));
        }
        if t.get("properties").is_some() {
            return "object".into();
        }
        return kind_of(t, depth + 1);
    }
    for key in ["anyOf", "oneOf"] {
        if let Some(list) = o.get(key).and_then(Value::as_array) {
            let mut alts: Vec<String> = Vec::new();
            let mut nullable = false;
            for x in list
                .iter()
                .filter(|x| !x.as_object().is_some_and(is_unavailable_marker))
            {
                if x.get("type").and_then(Value::as_str) == Some("null") {
                    nullable = true;
                    continue;
                }
                let k = kind_of(x, depth + 1);
                if !alts.contains(&k) {
                    alts.push(k);
                }
            }
            if nullable {
                alts.push("null".into());
            }
            return alts.join(" or ");
        }
    }
    if let Some(e) = o.get("enum").and_then(Value::as_array) {
        let words: Vec<String> = e
            .iter()
            .map(|w| w.as_str().map_or_else(|| w.to_string(), |s| format!("`{s}`")))
            .collect();
        return words.join(", ");
    }
    let t = types(o);
    let base = match t.iter().copied().find(|t| *t != "null") {
        Some("array") => format!(
            "list of {}",
            o.get("items").map_or("any".into(), |i| kind_of(i, depth + 1))
        ),
        Some("object") if o.contains_key("properties") => "object".into(),
        Some("object") => format!(
            "table of {}",
            o.get("additionalProperties")
                .map_or("any".into(), |i| kind_of(i, depth + 1))
        ),
        Some("boolean") => "bool".into(),
        Some(other) => other.to_owned(),
        None => "any".into(),
    };
    if t.contains(&"null") {
        format!("{base} or null")
    } else {
        base
    }
}

/// The rows below the place `v` (a field's schema) at `path`.
fn rows_below(v: &'static Value, path: &str, out: &mut Vec<Row>, depth: usize) {
    if depth > 12 {
        return;
    }
    let mut places = Vec::new();
    expand(v, &mut places, 0);
    for place in places {
        let Some(o) = place.as_object() else { continue };
        if let Some(props) = o.get("properties").and_then(Value::as_object) {
            for (name, prop) in props {
                let p = if path.is_empty() {
                    name.clone()
                } else {
                    format!("{path}.{name}")
                };
                let doc = prop
                    .get("description")
                    .or_else(|| {
                        let mut inner = Vec::new();
                        expand(prop, &mut inner, 0);
                        inner.iter().find_map(|i| i.get("description"))
                    })
                    .and_then(Value::as_str)
                    .map(first_sentence)
                    .unwrap_or_default();
                out.push(Row {
                    path: p.clone(),
                    kind: kind_of(prop, 0),
                    doc,
                });
                rows_below(prop, &p, out, depth + 1);
            }
        }
        if let Some(items) = o.get("items") {
            rows_below(items, &format!("{path}[*]"), out, depth + 1);
        }
        if let Some(values) = o.get("additionalProperties").filter(|v| v.is_object()) {
            rows_below(values, &format!("{path}.<key>"), out, depth + 1);
        }
    }
}

/// The fact reference (docs/fact-reference.md): every path a rule can name, with its type and the
/// first sentence of its documentation, generated from the fact types.
pub fn reference() -> String {
    let mut rows = Vec::new();
    rows_below(root(), "", &mut rows, 0);
    let mut seen = std::collections::BTreeSet::new();
    rows.retain(|r| seen.insert(r.path.clone()));
    let mut out = String::from(
        "# Fact reference\n\n\
         Generated from the fact types (`cargo test --test integration fact_reference` checks it;\n\
         `IMAGEGATE_BLESS=1` rewrites it). Every path a rule's `fact` can name: `[*]` is any item of a\n\
         list, `<key>` any key of a table. A value `(with source)` carries the file and line that\n\
         decided it. See docs/facts.md for where each group reads from.\n\n\
         | Path | Type | Meaning |\n|---|---|---|\n",
    );
    for r in rows {
        out.push_str(&format!(
            "| `{}` | {} | {} |\n",
            r.path,
            r.kind.replace('|', "\\|"),
            r.doc
        ));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn walk(p: &str) -> Result<Shape, String> {
        Shape::facts().walk(&FactPath::parse(p).unwrap())
    }

    #[test]
    fn known_paths_are_accepted() {
        for p in [
            "sshd.effective.permitrootlogin",
            "packages.installed",
            r#"packages.installed["openssh-server"].version"#,
            r#"sysctl.keys["net.ipv4.ip_forward"]"#,
            "mac.apparmor.enabled_runtime",
            "os.id",
        ] {
            assert!(walk(p).is_ok(), "{p}: {:?}", walk(p).err());
        }
    }

    #[test]
    fn misspelled_paths_are_rejected_with_a_suggestion() {
        let e = walk("packages.instaled").unwrap_err();
        assert!(e.contains("did you mean `installed`"), "{e}");
        let e = walk("sshdd.effective").unwrap_err();
        assert!(e.contains("`the facts` has no `sshdd`"), "{e}");
        let e = walk("os.id.x").unwrap_err();
        assert!(e.contains("is a string"), "{e}");
    }

    /// One step of a path the rules read: a segment, or into a quantifier's items.
    #[derive(Debug, Clone, PartialEq)]
    enum Step {
        Seg(String),
        Items,
    }

    fn rule_paths(e: &Expr, base: &[Step], out: &mut Vec<Vec<Step>>) {
        let with = |p: &Option<FactPath>| {
            let mut v = base.to_vec();
            v.extend(p.iter().flat_map(|p| p.segments.iter().cloned().map(Step::Seg)));
            v
        };
        match e {
            Expr::All(v) | Expr::Any(v) => v.iter().for_each(|x| rule_paths(x, base, out)),
            Expr::Not(x) => rule_paths(x, base, out),
            Expr::VarTest { .. } => {}
            Expr::Test { path, .. } => out.push(with(path)),
            Expr::Quant { path, inner, .. } => {
                let mut at = with(path);
                out.push(at.clone());
                at.push(Step::Items);
                rule_paths(inner, &at, out);
            }
        }
    }

    fn follow(steps: &[Step]) -> Result<Shape, String> {
        let mut s = Shape::facts();
        for st in steps {
            s = match st {
                Step::Seg(seg) => s.step(seg)?,
                Step::Items => s.items()?,
            };
        }
        Ok(s)
    }

    /// Every path the shipped rules read (quantifier fields included), without duplicates.
    fn shipped_paths() -> Vec<Vec<Step>> {
        let set = crate::rules::RuleSet::embedded().unwrap();
        let mut all = Vec::new();
        for e in set.rules.values().flat_map(|r| r.expressions()) {
            rule_paths(e, &[], &mut all);
        }
        let mut seen = std::collections::BTreeSet::new();
        all.retain(|p| seen.insert(format!("{p:?}")));
        all
    }

    /// Misspellings of `w`: every dropped character, every swap of two neighbours, and one
    /// seeded character inserted at every position.
    fn misspellings(w: &str, rng: &mut crate::testing::Xorshift) -> Vec<String> {
        let c: Vec<char> = w.chars().collect();
        let mut out = Vec::new();
        for i in 0..c.len() {
            let mut d = c.clone();
            d.remove(i);
            out.push(d.iter().collect());
            if i + 1 < c.len() {
                let mut s = c.clone();
                s.swap(i, i + 1);
                out.push(s.iter().collect());
            }
        }
        let alphabet = b"abcdefghijklmnopqrstuvwxyz_0123456789";
        for i in 0..=c.len() {
            let mut s = c.clone();
            let k = rng.below(alphabet.len());
            s.insert(i, char::from(alphabet.get(k).copied().unwrap_or(b'x')));
            out.push(s.iter().collect());
        }
        out.retain(|m: &String| m != w && !m.is_empty());
        out
    }

    #[test]
    fn every_path_of_the_shipped_rules_is_accepted() {
        let paths = shipped_paths();
        assert!(paths.len() > 300, "{} paths", paths.len());
        for p in &paths {
            assert!(follow(p).is_ok(), "{p:?}: {:?}", follow(p).err());
        }
    }

    #[test]
    fn misspellings_of_the_shipped_paths_are_rejected() {
        let mut rng = crate::testing::Xorshift::new(0x001e_570f_5eed);
        let (mut tried, mut open) = (0, 0);
        let mut accepted = Vec::new();
        for p in shipped_paths() {
            for (i, st) in p.iter().enumerate() {
                let Step::Seg(seg) = st else { continue };
                let before = follow(&p[..i]).unwrap();
                // A table keyed by the target's own names (packages, sysctl keys) takes any key.
                if before.takes_any_key() {
                    open += 1;
                    continue;
                }
                for m in misspellings(seg, &mut rng) {
                    // A misspelling that is itself a name here (`uid` → `gid`) is not one.
                    if before.step(&m).is_ok() {
                        continue;
                    }
                    tried += 1;
                    let mut bad = p.clone();
                    bad[i] = Step::Seg(m);
                    if follow(&bad).is_ok() {
                        accepted.push(format!("{bad:?}"));
                    }
                }
            }
        }
        assert!(
            tried > 5000 && open > 0,
            "{tried} misspellings tried, {open} open steps"
        );
        assert!(accepted.is_empty(), "accepted: {accepted:#?}");
    }

    #[test]
    fn quantifier_items_have_the_item_fields() {
        let items = walk("packages.installed").unwrap().items().unwrap();
        assert!(items.walk(&FactPath::parse("name").unwrap()).is_ok());
        let e = items.walk(&FactPath::parse("nmae").unwrap()).unwrap_err();
        assert!(e.contains("packages.installed[*].nmae"), "{e}");
        assert!(walk("os.id").unwrap().items().is_err());
    }
}
