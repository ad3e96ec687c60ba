//! How the evaluator reads facts: a [`FactView`] answers "what is at this path" and "what are the
//! items of the list or table at this path".
//!
//! There are two views. The facts JSON itself ([`serde_json::Value`]: what `imagegate facts`
//! prints, and what unit tests write by hand), and [`Typed`], which reads the typed facts through
//! their `Serialize` impls and materializes only what a rule reads: the node at the end of a path,
//! or, for a quantifier, one item at a time. A scan therefore never holds a JSON copy of all its
//! facts next to the facts themselves (for a 100 000-package database that copy alone was
//! 130 MiB). Both views follow the same rules, and a test evaluates every fixture case both ways:
//!
//! - at every step, an `{"unavailable": {"status": …, "reason": …}}` node (a fact that could not
//!   be collected) ends the lookup as unavailable;
//! - a `Fact` (`{"value": …, "source": …[, "shadowed": …]}`) is looked through to its value;
//! - tables are indexed by key, lists by decimal index; a missing key, or a step into anything
//!   else, is absent;
//! - the typed view knows a `Fact`, a `Shadowed` value and the unavailable marker by their types'
//!   serde names ([`crate::facts::marker`]), never by their fields: a package named
//!   `unavailable`, or a record with `value` and `source` fields, is data;
//! - at the end of the path, `null` is absent, and a `Fact` is returned whole (its source and
//!   shadowed values are evidence).

use std::borrow::Cow;

use serde::Serialize;
use serde::ser::{self, Impossible};
use serde_json::{Map, Value};

use crate::facts::{Missing, marker};
use crate::model::FactReason;

/// What is at the end of a path.
#[derive(Debug)]
pub enum Node<'a> {
    /// The value (never `null`; a `Fact` is not unwrapped).
    Found(Cow<'a, Value>),
    /// Nothing is there.
    Absent,
    /// The fact could not be collected, and why.
    Unavailable(Missing, FactReason),
}

/// How an item of a list or table is named: `[3]` or `["name"]`.
#[derive(Debug, Clone, Copy)]
pub enum Key<'k> {
    /// A list position.
    Index(usize),
    /// A table key.
    Name(&'k str),
}

/// The outcome of listing the items at a path.
#[derive(Debug, PartialEq, Eq)]
pub enum Listing {
    /// This many items were passed to the callback.
    Listed(usize),
    /// Nothing is there (no items).
    Absent,
    /// The fact could not be collected, and why.
    Unavailable(Missing, FactReason),
    /// The value there is not a list or table; its kind ("a string").
    NotAList(&'static str),
}

/// Read access to the facts, by path (the segments of a [`super::FactPath`]).
pub trait FactView {
    /// The node at `path`.
    fn node(&self, path: &[String]) -> Node<'_>;

    /// Calls `f` with a view of each item of the list or table at `path` (a `Fact`'s value is
    /// listed), in order.
    fn each(&self, path: &[String], f: &mut Each<'_>) -> Listing {
        match self.node(path) {
            Node::Found(v) => list_value(&v, f),
            Node::Absent => Listing::Absent,
            Node::Unavailable(m, r) => Listing::Unavailable(m, r),
        }
    }
}

/// The callback of [`FactView::each`]: an item's key and a view of the item.
pub type Each<'f> = dyn FnMut(Key<'_>, &dyn FactView) + 'f;

/// The `(status, reason)` of an `{"unavailable": {…}}` node.
pub fn unavailable(v: &Value) -> Option<(Missing, FactReason)> {
    let u = v.as_object()?.get("unavailable")?.as_object()?;
    let status = match u.get("status")?.as_str()? {
        "not-applicable" => Missing::NotApplicable,
        _ => Missing::Error,
    };
    Some((
        status,
        FactReason {
            text: u
                .get("reason")
                .and_then(Value::as_str)
                .unwrap_or("unavailable")
                .to_owned(),
            permission_denied: u.get("permission_denied").and_then(Value::as_bool).unwrap_or(false),
        },
    ))
}

/// A `Fact<T>` serializes as exactly `value`, `source` and (optionally) `shadowed`; a record that
/// merely has fields called `value` and `source` among others is data, not a fact to unwrap.
pub fn is_fact(v: &Value) -> bool {
    v.as_object().is_some_and(|o| {
        o.contains_key("value")
            && o.contains_key("source")
            && o.keys().all(|k| matches!(k.as_str(), "value" | "source" | "shadowed"))
    })
}

/// A node's value (a `Fact`'s `value`, anything else itself), its source and what it shadowed.
pub fn parts(v: &Value) -> (&Value, Option<&Value>, Option<&Value>) {
    if is_fact(v) {
        (&v["value"], v.get("source"), v.get("shadowed"))
    } else {
        (v, v.as_object().and_then(|o| o.get("source")), None)
    }
}

/// The kind of a value, for messages ("a string", "a table").
pub fn kind(v: &Value) -> &'static str {
    match v {
        Value::Null => "null",
        Value::Bool(_) => "a boolean",
        Value::Number(_) => "a number",
        Value::String(_) => "a string",
        Value::Array(_) => "a list",
        Value::Object(_) => "a table",
    }
}

/// The end of a path: unavailable, absent (`null`) or found.
fn finish(v: Cow<'_, Value>) -> Node<'_> {
    if let Some((m, r)) = unavailable(&v) {
        return Node::Unavailable(m, r);
    }
    if v.is_null() {
        return Node::Absent;
    }
    Node::Found(v)
}

/// Lists the items of a found node.
fn list_value(v: &Value, f: &mut Each<'_>) -> Listing {
    match parts(v).0 {
        Value::Array(a) => {
            for (i, x) in a.iter().enumerate() {
                f(Key::Index(i), x);
            }
            Listing::Listed(a.len())
        }
        Value::Object(o) => {
            for (k, x) in o {
                f(Key::Name(k), x);
            }
            Listing::Listed(o.len())
        }
        other => Listing::NotAList(kind(other)),
    }
}

impl FactView for Value {
    fn node(&self, path: &[String]) -> Node<'_> {
        let mut cur = self;
        for seg in path {
            if let Some((m, r)) = unavailable(cur) {
                return Node::Unavailable(m, r);
            }
            if is_fact(cur) {
                cur = &cur["value"];
            }
            cur = match cur {
                Value::Object(o) => match o.get(seg) {
                    Some(v) => v,
                    None => return Node::Absent,
                },
                Value::Array(a) => match seg.parse::<usize>().ok().and_then(|i| a.get(i)) {
                    Some(v) => v,
                    None => return Node::Absent,
                },
                _ => return Node::Absent,
            };
        }
        finish(Cow::Borrowed(cur))
    }
}

/// The typed facts (anything `Serialize`), read without serializing what no rule asks for.
pub struct Typed<'a, T: ?Sized>(pub &'a T);

impl<T: Serialize + ?Sized> FactView for Typed<'_, T> {
    fn node(&self, path: &[String]) -> Node<'_> {
        if path.is_empty() {
            let marked = is_unavailable_marker(self.0);
            return match serde_json::to_value(self.0) {
                Ok(v) => finish_typed(v, marked),
                Err(e) => Node::Unavailable(Missing::Error, unreadable(&e)),
            };
        }
        match walk(self.0, path, None) {
            Out::Node(v) => finish_typed(v, false),
            Out::Unavailable(m, r) => Node::Unavailable(m, r),
            Out::Absent | Out::Listed(_) | Out::NotAList(_) => Node::Absent,
        }
    }

    fn each(&self, path: &[String], f: &mut Each<'_>) -> Listing {
        match walk(self.0, path, Some(&mut *f)) {
            Out::Listed(n) => Listing::Listed(n),
            Out::NotAList(k) => Listing::NotAList(k),
            Out::Unavailable(m, r) => Listing::Unavailable(m, r),
            Out::Absent => Listing::Absent,
            // Only produced without a callback.
            Out::Node(v) => list_value(&v, f),
        }
    }
}

/// The end of a typed walk: the unavailable marker was recognised by its type (`marked`), so a
/// record that merely has a field called `unavailable` is data.
fn finish_typed(v: Value, marked: bool) -> Node<'static> {
    if marked && let Some((m, r)) = unavailable(&v) {
        return Node::Unavailable(m, r);
    }
    if v.is_null() {
        return Node::Absent;
    }
    Node::Found(Cow::Owned(v))
}

fn unreadable(e: &serde_json::Error) -> FactReason {
    format!("cannot represent the fact: {e}").into()
}

// ---- The path-directed serializer behind `Typed` ----
//
// `walk` hands the root to a `Cursor`, a serde `Serializer` that follows the path: a struct or map
// offers each field to it, and the cursor descends only into the one the next segment names, so
// nothing else is touched. At the end of the path the value is serialized to JSON (node lookup), or
// its items are serialized and passed to the callback one at a time (listing). Once the outcome is
// known the cursor returns `Err(Halt)`, which stops the serialization of everything that is left.

/// How a walk ended.
enum Out {
    Node(Value),
    Absent,
    Unavailable(Missing, FactReason),
    Listed(usize),
    NotAList(&'static str),
}

type Callback<'f> = &'f mut Each<'f>;

struct State<'f> {
    list: Option<Callback<'f>>,
    out: Option<Out>,
}

fn walk<T: Serialize + ?Sized>(root: &T, path: &[String], list: Option<Callback<'_>>) -> Out {
    let listing = path.is_empty() && list.is_some();
    let mut st = State { list, out: None };
    let _ = root.serialize(Cursor {
        st: &mut st,
        rest: path,
        listing,
    });
    st.out.unwrap_or(Out::Absent)
}

/// Stops a walk: the outcome is in the state (or the walk failed, see [`State::out`]).
#[derive(Debug)]
struct Halt;

impl std::fmt::Display for Halt {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("fact lookup stopped")
    }
}

impl std::error::Error for Halt {}

impl ser::Error for Halt {
    fn custom<T: std::fmt::Display>(_msg: T) -> Self {
        Halt
    }
}

/// The position of a walk: the segments left, and whether this node is the end of a listing.
struct Cursor<'s, 'p, 'f> {
    st: &'s mut State<'f>,
    rest: &'p [String],
    listing: bool,
}

impl<'p, 'f> Cursor<'_, 'p, 'f> {
    fn decide<T>(self, out: Out) -> Result<T, Halt> {
        self.st.out.get_or_insert(out);
        Err(Halt)
    }

    /// A scalar (or `null`) here: absent on the way, not a list at the end of a listing.
    fn scalar<T>(self, kind: &'static str) -> Result<T, Halt> {
        let out = match (self.listing, kind) {
            (_, "null") | (false, _) => Out::Absent,
            (true, k) => Out::NotAList(k),
        };
        self.decide(out)
    }

    /// Serializes `v` to JSON; a failure ends the walk as unavailable.
    fn json<T: Serialize + ?Sized>(&mut self, v: &T) -> Result<Value, Halt> {
        serde_json::to_value(v).map_err(|e| {
            self.st
                .out
                .get_or_insert(Out::Unavailable(Missing::Error, unreadable(&e)));
            Halt
        })
    }

    /// `v` is the child the next segment names (`consume`), or the value a `Fact` wraps (the same
    /// segments go on). Whatever happens below decides the walk.
    fn descend<T: Serialize + ?Sized>(&mut self, v: &T, consume: bool) -> Result<(), Halt> {
        let rest = if consume {
            self.rest.get(1..).unwrap_or_default()
        } else {
            self.rest
        };
        if rest.is_empty() && self.st.list.is_none() {
            let marked = is_unavailable_marker(v);
            let node = self.json(v)?;
            let out = match marked.then(|| unavailable(&node)).flatten() {
                Some((m, r)) => Out::Unavailable(m, r),
                None => Out::Node(node),
            };
            self.st.out.get_or_insert(out);
            return Err(Halt);
        }
        let listing = rest.is_empty();
        let _ = v.serialize(Cursor {
            st: &mut *self.st,
            rest,
            listing,
        });
        self.st.out.get_or_insert(Out::Absent);
        Err(Halt)
    }

    /// A field or entry named `name` with value `v`, on the way down.
    fn field<T: Serialize + ?Sized>(&mut self, name: &str, v: &T, is: StructIs) -> Result<(), Halt> {
        if is == StructIs::Unavailable {
            let u = self.json(v)?;
            let wrapped = Value::Object(Map::from_iter([(name.to_owned(), u)]));
            let out = match unavailable(&wrapped) {
                Some((m, r)) => Out::Unavailable(m, r),
                None => Out::Unavailable(Missing::Error, "a fact marked unavailable gives no reason".into()),
            };
            self.st.out.get_or_insert(out);
            return Err(Halt);
        }
        if is == StructIs::Fact {
            return if name == "value" {
                self.descend(v, false)
            } else {
                Ok(())
            };
        }
        if self.rest.first().is_some_and(|s| s == name) {
            return self.descend(v, true);
        }
        Ok(())
    }

    /// The rest of the walk on a node that had to be built whole (enum variants with data).
    fn on_value(self, v: Value) -> Result<(), Halt> {
        let out = if self.listing {
            match (finish(Cow::Borrowed(&v)), self.st.list.as_mut()) {
                (Node::Found(n), Some(f)) => match list_value(&n, &mut **f) {
                    Listing::Listed(n) => Out::Listed(n),
                    Listing::NotAList(k) => Out::NotAList(k),
                    Listing::Absent => Out::Absent,
                    Listing::Unavailable(m, r) => Out::Unavailable(m, r),
                },
                (Node::Unavailable(m, r), _) => Out::Unavailable(m, r),
                _ => Out::Absent,
            }
        } else {
            match v.node(self.rest) {
                Node::Found(n) => Out::Node(n.into_owned()),
                Node::Absent => Out::Absent,
                Node::Unavailable(m, r) => Out::Unavailable(m, r),
            }
        };
        self.decide(out)
    }
}

/// The compound serializers of a [`Cursor`].
enum Compound<'s, 'p, 'f> {
    /// Looking for the next segment among a struct's fields (a `Fact` is looked through, the
    /// unavailable marker ends the walk).
    Struct { cur: Cursor<'s, 'p, 'f>, is: StructIs },
    /// Looking for the next segment among a map's keys; `hit` says what the key just seen is.
    Map {
        cur: Cursor<'s, 'p, 'f>,
        hit: Option<KeyIs>,
    },
    /// Looking for the next segment, an index, in a sequence.
    Seq { cur: Cursor<'s, 'p, 'f>, index: usize },
    /// Listing a sequence's (or a map's) items one at a time, each as a [`Typed`] view; `key` is
    /// the map key just seen.
    List {
        cur: Cursor<'s, 'p, 'f>,
        index: usize,
        key: String,
    },
    /// Building a struct or variant whole (listing a struct, enum variants with data): `seq` for
    /// a tuple variant, whose fields are `items`.
    Whole {
        cur: Cursor<'s, 'p, 'f>,
        variant: Option<&'static str>,
        seq: bool,
        fields: Map<String, Value>,
        items: Vec<Value>,
    },
}

impl<'s, 'p, 'f> Compound<'s, 'p, 'f> {
    fn whole(cur: Cursor<'s, 'p, 'f>, variant: Option<&'static str>, seq: bool) -> Self {
        Compound::Whole {
            cur,
            variant,
            seq,
            fields: Map::new(),
            items: Vec::new(),
        }
    }

    fn element<T: Serialize + ?Sized>(&mut self, v: &T) -> Result<(), Halt> {
        match self {
            Compound::Seq { cur, index } => {
                let hit = cur.rest.first().and_then(|s| s.parse::<usize>().ok()) == Some(*index);
                *index += 1;
                if hit { cur.descend(v, true) } else { Ok(()) }
            }
            Compound::List { cur, index, .. } => {
                if let Some(f) = cur.st.list.as_mut() {
                    f(Key::Index(*index), &Typed(v));
                }
                *index += 1;
                Ok(())
            }
            Compound::Whole { cur, items, .. } => {
                items.push(cur.json(v)?);
                Ok(())
            }
            Compound::Struct { .. } | Compound::Map { .. } => Err(Halt),
        }
    }

    fn named<T: Serialize + ?Sized>(&mut self, name: &str, v: &T) -> Result<(), Halt> {
        match self {
            Compound::Struct { cur, is } => cur.field(name, v, *is),
            Compound::Whole { cur, fields, .. } => {
                let x = cur.json(v)?;
                fields.insert(name.to_owned(), x);
                Ok(())
            }
            _ => Err(Halt),
        }
    }

    fn key<T: Serialize + ?Sized>(&mut self, k: &T) -> Result<(), Halt> {
        match self {
            Compound::Map { cur, hit } => {
                let next = cur.rest.first().map_or("", String::as_str);
                *hit = Some(k.serialize(key_match(next))?);
                Ok(())
            }
            Compound::List { key, .. } => {
                key.clear();
                k.serialize(key_text(key))
            }
            _ => Err(Halt),
        }
    }

    fn value<T: Serialize + ?Sized>(&mut self, v: &T) -> Result<(), Halt> {
        match self {
            Compound::Map { cur, hit } => match hit.take().ok_or(Halt)? {
                KeyIs::Next => cur.descend(v, true),
                KeyIs::Other => Ok(()),
            },
            Compound::List { cur, index, key } => {
                if let Some(f) = cur.st.list.as_mut() {
                    f(Key::Name(key), &Typed(v));
                }
                *index += 1;
                Ok(())
            }
            _ => Err(Halt),
        }
    }

    fn end(self) -> Result<(), Halt> {
        match self {
            Compound::Struct { cur, .. } | Compound::Map { cur, .. } | Compound::Seq { cur, .. } => {
                cur.decide(Out::Absent)
            }
            Compound::List { cur, index, .. } => cur.decide(Out::Listed(index)),
            Compound::Whole {
                cur,
                variant,
                seq,
                fields,
                items,
            } => {
                let inner = if seq {
                    Value::Array(items)
                } else {
                    Value::Object(fields)
                };
                let v = match variant {
                    Some(name) => Value::Object(Map::from_iter([(name.to_owned(), inner)])),
                    None => inner,
                };
                cur.on_value(v)
            }
        }
    }
}

impl<'s, 'p, 'f> ser::Serializer for Cursor<'s, 'p, 'f> {
    type Ok = ();
    type Error = Halt;
    type SerializeSeq = Compound<'s, 'p, 'f>;
    type SerializeTuple = Compound<'s, 'p, 'f>;
    type SerializeTupleStruct = Compound<'s, 'p, 'f>;
    type SerializeTupleVariant = Compound<'s, 'p, 'f>;
    type SerializeMap = Compound<'s, 'p, 'f>;
    type SerializeStruct = Compound<'s, 'p, 'f>;
    type SerializeStructVariant = Compound<'s, 'p, 'f>;

    fn serialize_bool(self, _: bool) -> Result<(), Halt> {
        self.scalar("a boolean")
    }
    fn serialize_i8(self, _: i8) -> Result<(), Halt> {
        self.scalar("a number")
    }
    fn serialize_i16(self, _: i16) -> Result<(), Halt> {
        self.scalar("a number")
    }
    fn serialize_i32(self, _: i32) -> Result<(), Halt> {
        self.scalar("a number")
    }
    fn serialize_i64(self, _: i64) -> Result<(), Halt> {
        self.scalar("a number")
    }
    fn serialize_u8(self, _: u8) -> Result<(), Halt> {
        self.scalar("a number")
    }
    fn serialize_u16(self, _: u16) -> Result<(), Halt> {
        self.scalar("a number")
    }
    fn serialize_u32(self, _: u32) -> Result<(), Halt> {
        self.scalar("a number")
    }
    fn serialize_u64(self, _: u64) -> Result<(), Halt> {
        self.scalar("a number")
    }
    fn serialize_f32(self, v: f32) -> Result<(), Halt> {
        self.serialize_f64(f64::from(v))
    }
    fn serialize_f64(self, v: f64) -> Result<(), Halt> {
        // serde_json writes NaN and infinities as null.
        self.scalar(if v.is_finite() { "a number" } else { "null" })
    }
    fn serialize_char(self, _: char) -> Result<(), Halt> {
        self.scalar("a string")
    }
    fn serialize_str(self, _: &str) -> Result<(), Halt> {
        self.scalar("a string")
    }
    fn serialize_bytes(self, v: &[u8]) -> Result<(), Halt> {
        // serde_json writes bytes as a list of numbers.
        self.on_value(Value::Array(v.iter().map(|b| Value::from(*b)).collect()))
    }
    fn serialize_none(self) -> Result<(), Halt> {
        self.scalar("null")
    }
    fn serialize_some<T: Serialize + ?Sized>(self, v: &T) -> Result<(), Halt> {
        v.serialize(self)
    }
    fn serialize_unit(self) -> Result<(), Halt> {
        self.scalar("null")
    }
    fn serialize_unit_struct(self, _: &'static str) -> Result<(), Halt> {
        self.scalar("null")
    }
    fn serialize_unit_variant(self, _: &'static str, _: u32, _: &'static str) -> Result<(), Halt> {
        self.scalar("a string")
    }
    fn serialize_newtype_struct<T: Serialize + ?Sized>(self, _: &'static str, v: &T) -> Result<(), Halt> {
        v.serialize(self)
    }
    fn serialize_newtype_variant<T: Serialize + ?Sized>(
        mut self,
        _: &'static str,
        _: u32,
        variant: &'static str,
        v: &T,
    ) -> Result<(), Halt> {
        // `{variant: value}`.
        let inner = self.json(v)?;
        self.on_value(Value::Object(Map::from_iter([(variant.to_owned(), inner)])))
    }
    fn serialize_seq(self, _: Option<usize>) -> Result<Compound<'s, 'p, 'f>, Halt> {
        Ok(if self.listing {
            Compound::List {
                cur: self,
                index: 0,
                key: String::new(),
            }
        } else {
            Compound::Seq { cur: self, index: 0 }
        })
    }
    fn serialize_tuple(self, len: usize) -> Result<Compound<'s, 'p, 'f>, Halt> {
        self.serialize_seq(Some(len))
    }
    fn serialize_tuple_struct(self, _: &'static str, len: usize) -> Result<Compound<'s, 'p, 'f>, Halt> {
        self.serialize_seq(Some(len))
    }
    fn serialize_tuple_variant(
        self,
        _: &'static str,
        _: u32,
        variant: &'static str,
        _: usize,
    ) -> Result<Compound<'s, 'p, 'f>, Halt> {
        Ok(Compound::whole(self, Some(variant), true))
    }
    fn serialize_map(self, _: Option<usize>) -> Result<Compound<'s, 'p, 'f>, Halt> {
        Ok(if self.listing {
            Compound::List {
                cur: self,
                index: 0,
                key: String::new(),
            }
        } else {
            Compound::Map { cur: self, hit: None }
        })
    }
    fn serialize_struct(self, name: &'static str, _: usize) -> Result<Compound<'s, 'p, 'f>, Halt> {
        Ok(if self.listing {
            // A struct's items are its fields, a Fact's its value's: built whole (structs are small).
            Compound::whole(self, None, false)
        } else {
            // The fact wrappers are known by their type's serde name, not by their fields.
            let is = match name {
                marker::FACT | marker::SHADOWED => StructIs::Fact,
                marker::UNAVAILABLE => StructIs::Unavailable,
                _ => StructIs::Data,
            };
            Compound::Struct { cur: self, is }
        })
    }
    fn serialize_struct_variant(
        self,
        _: &'static str,
        _: u32,
        variant: &'static str,
        _: usize,
    ) -> Result<Compound<'s, 'p, 'f>, Halt> {
        Ok(Compound::whole(self, Some(variant), false))
    }
}

impl ser::SerializeSeq for Compound<'_, '_, '_> {
    type Ok = ();
    type Error = Halt;
    fn serialize_element<T: Serialize + ?Sized>(&mut self, v: &T) -> Result<(), Halt> {
        self.element(v)
    }
    fn end(self) -> Result<(), Halt> {
        Compound::end(self)
    }
}

impl ser::SerializeTuple for Compound<'_, '_, '_> {
    type Ok = ();
    type Error = Halt;
    fn serialize_element<T: Serialize + ?Sized>(&mut self, v: &T) -> Result<(), Halt> {
        self.element(v)
    }
    fn end(self) -> Result<(), Halt> {
        Compound::end(self)
    }
}

impl ser::SerializeTupleStruct for Compound<'_, '_, '_> {
    type Ok = ();
    type Error = Halt;
    fn serialize_field<T: Serialize + ?Sized>(&mut self, v: &T) -> Result<(), Halt> {
        self.element(v)
    }
    fn end(self) -> Result<(), Halt> {
        Compound::end(self)
    }
}

impl ser::SerializeTupleVariant for Compound<'_, '_, '_> {
    type Ok = ();
    type Error = Halt;
    fn serialize_field<T: Serialize + ?Sized>(&mut self, v: &T) -> Result<(), Halt> {
        self.element(v)
    }
    fn end(self) -> Result<(), Halt> {
        Compound::end(self)
    }
}

impl ser::SerializeMap for Compound<'_, '_, '_> {
    type Ok = ();
    type Error = Halt;
    fn serialize_key<T: Serialize + ?Sized>(&mut self, k: &T) -> Result<(), Halt> {
        self.key(k)
    }
    fn serialize_value<T: Serialize + ?Sized>(&mut self, v: &T) -> Result<(), Halt> {
        self.value(v)
    }
    fn end(self) -> Result<(), Halt> {
        Compound::end(self)
    }
}

impl ser::SerializeStruct for Compound<'_, '_, '_> {
    type Ok = ();
    type Error = Halt;
    fn serialize_field<T: Serialize + ?Sized>(&mut self, name: &'static str, v: &T) -> Result<(), Halt> {
        self.named(name, v)
    }
    fn end(self) -> Result<(), Halt> {
        Compound::end(self)
    }
}

impl ser::SerializeStructVariant for Compound<'_, '_, '_> {
    type Ok = ();
    type Error = Halt;
    fn serialize_field<T: Serialize + ?Sized>(&mut self, name: &'static str, v: &T) -> Result<(), Halt> {
        self.named(name, v)
    }
    fn end(self) -> Result<(), Halt> {
        Compound::end(self)
    }
}

/// What a struct is to a walk, by its serde name ([`marker`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum StructIs {
    /// A `Fact` or `Shadowed` value: looked through to its `value`.
    Fact,
    /// The unavailable alternative of `Collected`: ends the walk.
    Unavailable,
    /// Anything else: its fields are data.
    Data,
}

/// What a map key is, on the way down.
enum KeyIs {
    /// The next segment.
    Next,
    /// Anything else.
    Other,
}

/// Compares a map key with the next segment, without allocating.
fn key_match(next: &str) -> KeySer<impl FnOnce(&str) -> KeyIs + '_> {
    KeySer(move |k: &str| match k {
        k if k == next => KeyIs::Next,
        _ => KeyIs::Other,
    })
}

/// Writes a map key into a reused buffer.
fn key_text(buf: &mut String) -> KeySer<impl FnOnce(&str) + '_> {
    KeySer(move |k: &str| buf.push_str(k))
}

/// A map key as JSON writes it (strings as they are; numbers, booleans and chars as text), handed
/// to a function.
struct KeySer<F>(F);

impl<R, F: FnOnce(&str) -> R> KeySer<F> {
    fn text(self, s: &str) -> Result<R, Halt> {
        Ok((self.0)(s))
    }
}

macro_rules! key_as_text {
    ($($name:ident: $t:ty),*) => {
        $(fn $name(self, v: $t) -> Result<R, Halt> {
            self.text(&v.to_string())
        })*
    };
}

macro_rules! key_refused {
    ($($name:ident($($t:ty),*)),*) => {
        $(fn $name(self, $(_: $t),*) -> Result<R, Halt> {
            Err(Halt)
        })*
    };
}

impl<R, F: FnOnce(&str) -> R> ser::Serializer for KeySer<F> {
    type Ok = R;
    type Error = Halt;
    type SerializeSeq = Impossible<R, Halt>;
    type SerializeTuple = Impossible<R, Halt>;
    type SerializeTupleStruct = Impossible<R, Halt>;
    type SerializeTupleVariant = Impossible<R, Halt>;
    type SerializeMap = Impossible<R, Halt>;
    type SerializeStruct = Impossible<R, Halt>;
    type SerializeStructVariant = Impossible<R, Halt>;

    key_as_text!(serialize_bool: bool, serialize_i8: i8, serialize_i16: i16, serialize_i32: i32,
        serialize_i64: i64, serialize_u8: u8, serialize_u16: u16, serialize_u32: u32,
        serialize_u64: u64, serialize_f32: f32, serialize_f64: f64, serialize_char: char);
    key_refused!(
        serialize_bytes(&[u8]),
        serialize_none(),
        serialize_unit(),
        serialize_unit_struct(&'static str)
    );

    fn serialize_str(self, v: &str) -> Result<R, Halt> {
        self.text(v)
    }
    fn serialize_unit_variant(self, _: &'static str, _: u32, variant: &'static str) -> Result<R, Halt> {
        self.text(variant)
    }
    fn serialize_newtype_struct<T: Serialize + ?Sized>(self, _: &'static str, v: &T) -> Result<R, Halt> {
        v.serialize(self)
    }
    fn serialize_some<T: Serialize + ?Sized>(self, _: &T) -> Result<R, Halt> {
        Err(Halt)
    }
    fn serialize_newtype_variant<T: Serialize + ?Sized>(
        self,
        _: &'static str,
        _: u32,
        _: &'static str,
        _: &T,
    ) -> Result<R, Halt> {
        Err(Halt)
    }
    fn serialize_seq(self, _: Option<usize>) -> Result<Self::SerializeSeq, Halt> {
        Err(Halt)
    }
    fn serialize_tuple(self, _: usize) -> Result<Self::SerializeTuple, Halt> {
        Err(Halt)
    }
    fn serialize_tuple_struct(self, _: &'static str, _: usize) -> Result<Self::SerializeTupleStruct, Halt> {
        Err(Halt)
    }
    fn serialize_tuple_variant(
        self,
        _: &'static str,
        _: u32,
        _: &'static str,
        _: usize,
    ) -> Result<Self::SerializeTupleVariant, Halt> {
        Err(Halt)
    }
    fn serialize_map(self, _: Option<usize>) -> Result<Self::SerializeMap, Halt> {
        Err(Halt)
    }
    fn serialize_struct(self, _: &'static str, _: usize) -> Result<Self::SerializeStruct, Halt> {
        Err(Halt)
    }
    fn serialize_struct_variant(
        self,
        _: &'static str,
        _: u32,
        _: &'static str,
        _: usize,
    ) -> Result<Self::SerializeStructVariant, Halt> {
        Err(Halt)
    }
}

/// Whether `v` is the unavailable alternative of `Collected`, told by its serde name
/// ([`marker::UNAVAILABLE`]) without serializing anything else.
fn is_unavailable_marker<T: Serialize + ?Sized>(v: &T) -> bool {
    let mut marked = false;
    let _ = v.serialize(Probe(&mut marked));
    marked
}

/// A serializer that stops at the first thing it is given, noting whether it is a struct named
/// [`marker::UNAVAILABLE`] (looking through `Option` and newtypes, as JSON does).
struct Probe<'m>(&'m mut bool);

macro_rules! probe_other {
    ($($name:ident($($t:ty),*)),*) => {
        $(fn $name(self, $(_: $t),*) -> Result<(), Halt> {
            Err(Halt)
        })*
    };
}

impl ser::Serializer for Probe<'_> {
    type Ok = ();
    type Error = Halt;
    type SerializeSeq = Impossible<(), Halt>;
    type SerializeTuple = Impossible<(), Halt>;
    type SerializeTupleStruct = Impossible<(), Halt>;
    type SerializeTupleVariant = Impossible<(), Halt>;
    type SerializeMap = Impossible<(), Halt>;
    type SerializeStruct = Impossible<(), Halt>;
    type SerializeStructVariant = Impossible<(), Halt>;

    probe_other!(
        serialize_bool(bool),
        serialize_i8(i8),
        serialize_i16(i16),
        serialize_i32(i32),
        serialize_i64(i64),
        serialize_u8(u8),
        serialize_u16(u16),
        serialize_u32(u32),
        serialize_u64(u64),
        serialize_f32(f32),
        serialize_f64(f64),
        serialize_char(char),
        serialize_str(&str),
        serialize_bytes(&[u8]),
        serialize_none(),
        serialize_unit(),
        serialize_unit_struct(&'static str),
        serialize_unit_variant(&'static str, u32, &'static str)
    );

    fn serialize_some<T: Serialize + ?Sized>(self, v: &T) -> Result<(), Halt> {
        v.serialize(self)
    }
    fn serialize_newtype_struct<T: Serialize + ?Sized>(self, _: &'static str, v: &T) -> Result<(), Halt> {
        v.serialize(self)
    }
    fn serialize_newtype_variant<T: Serialize + ?Sized>(
        self,
        _: &'static str,
        _: u32,
        _: &'static str,
        _: &T,
    ) -> Result<(), Halt> {
        Err(Halt)
    }
    fn serialize_seq(self, _: Option<usize>) -> Result<Self::SerializeSeq, Halt> {
        Err(Halt)
    }
    fn serialize_tuple(self, _: usize) -> Result<Self::SerializeTuple, Halt> {
        Err(Halt)
    }
    fn serialize_tuple_struct(self, _: &'static str, _: usize) -> Result<Self::SerializeTupleStruct, Halt> {
        Err(Halt)
    }
    fn serialize_tuple_variant(
        self,
        _: &'static str,
        _: u32,
        _: &'static str,
        _: usize,
    ) -> Result<Self::SerializeTupleVariant, Halt> {
        Err(Halt)
    }
    fn serialize_map(self, _: Option<usize>) -> Result<Self::SerializeMap, Halt> {
        Err(Halt)
    }
    fn serialize_struct(self, name: &'static str, _: usize) -> Result<Self::SerializeStruct, Halt> {
        *self.0 = name == marker::UNAVAILABLE;
        Err(Halt)
    }
    fn serialize_struct_variant(
        self,
        _: &'static str,
        _: u32,
        _: &'static str,
        _: usize,
    ) -> Result<Self::SerializeStructVariant, Halt> {
        Err(Halt)
    }
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeMap;

    use super::*;
    use crate::facts::{Collected, Fact, Shadowed, Source};

    #[derive(Serialize)]
    struct Pkg {
        name: String,
        version: String,
        source: Source,
    }

    #[derive(Serialize)]
    #[serde(rename_all = "kebab-case")]
    enum Kind {
        Plain,
        Tagged(u32),
        Pair(u8, u8),
        Rec { a: u8 },
    }

    #[derive(Serialize)]
    struct Root {
        pkgs: Collected<BTreeMap<String, Pkg>>,
        gone: Collected<Vec<u32>>,
        na: Collected<String>,
        fact: Fact<Vec<String>>,
        shadowing: Fact<String>,
        list: Vec<Fact<u32>>,
        opt: Option<String>,
        none: Option<String>,
        kinds: Vec<Kind>,
        by_uid: BTreeMap<u32, String>,
        nested: Fact<BTreeMap<String, Fact<bool>>>,
        tuple: (u8, String),
        nan: f64,
        empty: Vec<u8>,
    }

    fn root() -> Root {
        let pkg = |n: &str, line| Pkg {
            name: n.into(),
            version: "1.0".into(),
            source: Source::at("/var/lib/dpkg/status", line),
        };
        let mut shadowing = Fact::new("no".to_owned(), Source::at("/etc/ssh/sshd_config.d/a.conf", 1));
        shadowing.shadowed.push(Shadowed {
            value: "yes".into(),
            source: Source::at("/etc/ssh/sshd_config", 9),
        });
        Root {
            pkgs: Collected::Ok(BTreeMap::from([
                ("a".into(), pkg("a", 1)),
                ("unavailable".into(), pkg("u", 5)),
            ])),
            gone: Collected::error("cannot read /etc/shadow: permission denied"),
            na: Collected::not_applicable("offline root"),
            fact: Fact::new(vec!["x".into(), "y".into()], Source::file("/etc/f")),
            shadowing,
            list: vec![
                Fact::new(1, Source::note("default")),
                Fact::new(2, Source::at("/etc/l", 2)),
            ],
            opt: Some("set".into()),
            none: None,
            kinds: vec![Kind::Plain, Kind::Tagged(7), Kind::Pair(1, 2), Kind::Rec { a: 3 }],
            by_uid: BTreeMap::from([(0, "root".into()), (1000, "admin".into())]),
            nested: Fact::new(
                BTreeMap::from([("k".into(), Fact::new(true, Source::note("n")))]),
                Source::file("/etc/n"),
            ),
            tuple: (4, "four".into()),
            nan: f64::NAN,
            empty: Vec::new(),
        }
    }

    /// Every path in the JSON (and through each Fact's value), plus paths that lead nowhere.
    fn paths(v: &Value, at: &mut Vec<String>, out: &mut Vec<Vec<String>>) {
        out.push(at.clone());
        let mut kids: Vec<(String, &Value)> = match v {
            Value::Object(o) => o.iter().map(|(k, x)| (k.clone(), x)).collect(),
            Value::Array(a) => a.iter().enumerate().map(|(i, x)| (i.to_string(), x)).collect(),
            _ => Vec::new(),
        };
        if is_fact(v) {
            match &v["value"] {
                Value::Object(o) => kids.extend(o.iter().map(|(k, x)| (k.clone(), x))),
                Value::Array(a) => kids.extend(a.iter().enumerate().map(|(i, x)| (i.to_string(), x))),
                _ => {}
            }
        }
        for (k, x) in kids {
            at.push(k);
            paths(x, at, out);
            at.pop();
        }
        for missing in ["nope", "7", "value", "source"] {
            at.push(missing.into());
            out.push(at.clone());
            at.pop();
        }
    }

    fn shown(n: Node<'_>) -> String {
        format!("{n:?}").replace("Borrowed(", "(").replace("Owned(", "(")
    }

    fn listed(view: &dyn FactView, path: &[String]) -> String {
        let mut items = Vec::new();
        let outcome = view.each(path, &mut |k, item| {
            items.push(format!("{k:?} => {}", shown(item.node(&[]))))
        });
        format!("{outcome:?}: {items:?}")
    }

    #[test]
    fn the_typed_view_reads_what_the_json_view_reads() {
        let typed = root();
        let json = serde_json::to_value(&typed).unwrap();
        let mut all = Vec::new();
        paths(&json, &mut Vec::new(), &mut all);
        assert!(all.len() > 100, "{} paths", all.len());
        for p in &all {
            let (t, j) = (Typed(&typed), &json);
            assert_eq!(shown(t.node(p)), shown(j.node(p)), "node at {p:?}");
            assert_eq!(listed(&t, p), listed(j, p), "items at {p:?}");
        }
    }

    #[test]
    fn lookups_unwrap_facts_and_stop_at_unavailable() {
        let typed = root();
        let t = Typed(&typed);
        let p = |s: &str| s.split('.').map(str::to_owned).collect::<Vec<_>>();
        assert!(matches!(t.node(&p("gone.0")), Node::Unavailable(Missing::Error, r) if r.text.contains("permission")));
        assert!(matches!(t.node(&p("na")), Node::Unavailable(Missing::NotApplicable, _)));
        assert_eq!(shown(t.node(&p("fact.1"))), r#"Found(String("y"))"#);
        assert_eq!(
            shown(t.node(&p("nested.k"))),
            shown(Node::Found(Cow::Owned(json_of_fact())))
        );
        assert!(matches!(t.node(&p("none")), Node::Absent));
        assert!(matches!(t.node(&p("pkgs.b")), Node::Absent));
        assert_eq!(listed(&t, &p("opt")), r#"NotAList("a string"): []"#);
        assert_eq!(listed(&t, &p("empty")), "Listed(0): []");
        let mut names = Vec::new();
        t.each(&p("pkgs"), &mut |k, _| names.push(format!("{k:?}")));
        assert_eq!(names, [r#"Name("a")"#, r#"Name("unavailable")"#]);
    }

    /// A record that looks like the unavailable marker is data: only `Collected`'s own marker,
    /// known by its type, makes a fact unavailable (a package named `unavailable` whose record
    /// has a `status` and a `reason` once made the whole table unreadable).
    #[test]
    fn only_the_typed_marker_makes_a_fact_unavailable() {
        #[derive(Serialize)]
        struct Status {
            status: String,
            reason: String,
        }
        #[derive(Serialize)]
        struct Data {
            table: BTreeMap<String, Status>,
            unavailable: Status,
            real: Collected<u8>,
        }
        let st = || Status {
            status: "error".into(),
            reason: "looks like a marker".into(),
        };
        let data = Data {
            table: BTreeMap::from([("unavailable".to_owned(), st())]),
            unavailable: st(),
            real: Collected::error("cannot read it"),
        };
        let t = Typed(&data);
        let p = |s: &str| s.split('.').map(str::to_owned).collect::<Vec<_>>();
        assert!(
            matches!(t.node(&p("table")), Node::Found(_)),
            "{:?}",
            t.node(&p("table"))
        );
        assert_eq!(
            shown(t.node(&p("table.unavailable.status"))),
            r#"Found(String("error"))"#
        );
        assert!(matches!(t.node(&[]), Node::Found(_)));
        assert_eq!(
            shown(t.node(&p("unavailable.reason"))),
            r#"Found(String("looks like a marker"))"#
        );
        assert_eq!(listed(&t, &p("table")).split(':').next(), Some("Listed(1)"));
        assert!(matches!(t.node(&p("real")), Node::Unavailable(Missing::Error, r) if r.text == "cannot read it"));
    }

    fn json_of_fact() -> Value {
        serde_json::json!({"value": true, "source": {"note": "n"}})
    }
}
