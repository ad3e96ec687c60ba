//! cloud-init: whether it is installed and which version (never by running it), the datasource
//! settings that decide how it talks to the metadata service, and the instance data of its last
//! boot when the root has them.
//!
//! - Version: the `cloud-init` package's version from the package database, normalised to its
//!   upstream dotted-number run (`24.1.3-0ubuntu1~22.04.1` → `24.1.3`); without a package, the
//!   Python package's `cloudinit/version.py` (`__VERSION__ = "…"`) under /usr/lib/python3*.
//! - Configuration: /etc/cloud/cloud.cfg, then /etc/cloud/cloud.cfg.d/*.cfg in lexical order,
//!   later files winning per key and nested mappings merged key by key, as cloud-init's
//!   `read_conf_with_confd` + `mergemanydict` do. Read with a careful line-based reader of the
//!   block-style YAML subset those files use (top-level `datasource_list` as a flow or block
//!   list; `datasource:` → `<Name>:` → `key: scalar | [flow list] | block list`). Flow mappings,
//!   anchors and multi-line scalars are not interpreted: a key whose value is one of those is kept
//!   as its raw text. Kernel command line and ds-identify.cfg overrides are not read.
//! - Instance data: /run/cloud-init/instance-data.json (`v1.platform`, `v1.cloud_name`,
//!   `v1.region`, `v1.instance_id`; image id and owner from the datasource's metadata: EC2
//!   `ami-id` and the identity document's `accountId`, Alibaba `image-id` and `owner-account-id`),
//!   falling back to /var/lib/cloud/data/instance-id for the instance id. A clean image has none
//!   of these (`cloud-init clean`), and then `instance` is `null`.

use std::collections::BTreeMap;

use serde::Serialize;

use super::{Context, Fact, FactError, Shadowed, Source};
use crate::facts::packages::Packages;
use crate::rootfs::RootFs;
use crate::version::upstream_numeric;

/// Instance data written by cloud-init on its last boot.
#[derive(Debug, Clone, Default, Serialize, schemars::JsonSchema)]
pub struct InstanceData {
    /// Machine image id (`ami-…`, `m-…`).
    pub image_id: Option<Fact<String>>,
    /// Account that owns the instance (EC2 `accountId`, Alibaba `owner-account-id`).
    pub owner: Option<Fact<String>>,
    /// `v1.platform` (`ec2`, `gce`, `azure`, `aliyun`…).
    pub platform: Option<Fact<String>>,
    /// `v1.cloud_name`.
    pub cloud_name: Option<Fact<String>>,
    /// `v1.region`.
    pub region: Option<Fact<String>>,
    /// `v1.instance_id`, or /var/lib/cloud/data/instance-id.
    pub instance_id: Option<Fact<String>>,
}

/// cloud-init installation and settings.
#[derive(Debug, Clone, Serialize, schemars::JsonSchema)]
pub struct CloudInit {
    /// The cloud-init package is installed (dpkg state `installed`, or present in rpm/apk), or its
    /// Python package is on disk.
    pub installed: Fact<bool>,
    /// Upstream version (`24.1.3`), comparable with `version_ge`.
    pub version: Option<Fact<String>>,
    /// The package version as the database writes it.
    pub package_version: Option<String>,
    /// The effective `datasource_list`.
    pub datasource_list: Option<Fact<Vec<String>>>,
    /// Effective per-datasource settings: `datasource.Ec2.metadata_urls` → raw value text.
    pub datasource: BTreeMap<String, BTreeMap<String, Fact<String>>>,
    /// Instance data of the last boot, when present.
    pub instance: Option<InstanceData>,
}

/// A value read from one config file: a flow/block list or a scalar's raw text.
#[derive(Debug, Clone, PartialEq)]
pub enum Value {
    /// A scalar, unquoted.
    Scalar(String),
    /// A list of scalars.
    List(Vec<String>),
}

impl Value {
    fn text(&self) -> String {
        match self {
            Value::Scalar(s) => s.clone(),
            Value::List(v) => format!("[{}]", v.join(", ")),
        }
    }
}

/// Settings of one cloud.cfg file: `(key path, value, line)`, key path like
/// `["datasource", "Ec2", "timeout"]`.
pub type Settings = Vec<(Vec<String>, Value, u32)>;

fn strip_comment(line: &str) -> &str {
    // A `#` starts a comment at the line start or after whitespace, outside quotes (YAML 1.2 §6.6).
    let (mut sq, mut dq) = (false, false);
    let mut prev_space = true;
    for (i, c) in line.char_indices() {
        match c {
            '\'' if !dq => sq = !sq,
            '"' if !sq => dq = !dq,
            '#' if !sq && !dq && prev_space => return line.get(..i).unwrap_or(line),
            _ => {}
        }
        prev_space = c.is_whitespace();
    }
    line
}

fn unquote(s: &str) -> String {
    let s = s.trim();
    for q in ['"', '\''] {
        if let Some(inner) = s.strip_prefix(q).and_then(|r| r.strip_suffix(q)) {
            return inner.to_owned();
        }
    }
    s.to_owned()
}

fn flow_list(s: &str) -> Option<Vec<String>> {
    let inner = s.trim().strip_prefix('[')?.strip_suffix(']')?;
    Some(inner.split(',').map(unquote).filter(|x| !x.is_empty()).collect())
}

fn scalar_or_list(v: &str) -> Value {
    match flow_list(v) {
        Some(l) => Value::List(l),
        None => Value::Scalar(unquote(v)),
    }
}

/// Reads the keys imagegate uses from one cloud.cfg file (see the module doc for the subset).
pub fn parse_cfg(text: &str) -> Settings {
    let mut out: Settings = Vec::new();
    // Open mapping keys by indentation: (indent, key).
    let mut stack: Vec<(usize, String)> = Vec::new();
    // A key waiting for block-list items: (its path, its indent, items, line).
    let mut block: Option<(Vec<String>, usize, Vec<String>, u32)> = None;
    for (i, raw) in text.lines().enumerate() {
        let lineno = u32::try_from(i + 1).unwrap_or(u32::MAX);
        let line = strip_comment(raw.trim_end_matches('\r')).trim_end();
        if line.trim().is_empty() || line.trim() == "---" {
            continue;
        }
        let indent = line.len() - line.trim_start().len();
        let body = line.trim_start();
        if let Some(item) = body.strip_prefix("- ").or(if body == "-" { Some("") } else { None }) {
            if let Some((_, kind, items, _)) = block.as_mut()
                && indent >= *kind
            {
                items.push(unquote(item));
                continue;
            }
            continue; // a list item we do not track
        }
        if let Some((path, _, items, l)) = block.take()
            && !items.is_empty()
        {
            out.push((path, Value::List(items), l));
        }
        let Some((key, value)) = body.split_once(':').filter(|(_, v)| v.is_empty() || v.starts_with(' ')) else {
            continue;
        };
        while stack.last().is_some_and(|(ind, _)| *ind >= indent) {
            stack.pop();
        }
        let mut path: Vec<String> = stack.iter().map(|(_, k)| k.clone()).collect();
        path.push(unquote(key));
        let value = value.trim();
        if value.is_empty() {
            stack.push((indent, unquote(key)));
            // Block list items may sit at the key's own indentation (YAML allows it in mappings).
            block = Some((path, indent, Vec::new(), lineno));
        } else {
            out.push((path, scalar_or_list(value), lineno));
        }
    }
    if let Some((path, _, items, l)) = block.take()
        && !items.is_empty()
    {
        out.push((path, Value::List(items), l));
    }
    out
}

/// Extracts instance data from instance-data.json text read from `path`.
pub fn parse_instance_data(path: &str, text: &str) -> Result<InstanceData, FactError> {
    let v: serde_json::Value = serde_json::from_str(text).map_err(|e| FactError::Parse {
        path: path.into(),
        line: u32::try_from(e.line()).unwrap_or(0),
        msg: format!("invalid JSON: {e}"),
    })?;
    let fact = |ptrs: &[&str], key: &str| -> Option<Fact<String>> {
        ptrs.iter()
            .find_map(|p| {
                v.pointer(p)
                    .and_then(|x| x.as_str().map(str::to_owned))
                    .filter(|s| !s.is_empty())
            })
            .map(|s| {
                let src = crate::text::line_of(text, &format!("\"{key}\""))
                    .and_then(|l| u32::try_from(l).ok())
                    .map_or_else(|| Source::file(path), |l| Source::at(path, l));
                Fact::new(s, src)
            })
    };
    Ok(InstanceData {
        image_id: fact(&["/ds/meta_data/ami-id"], "ami-id").or_else(|| fact(&["/ds/meta_data/image-id"], "image-id")),
        owner: fact(&["/ds/dynamic/instance-identity/document/accountId"], "accountId")
            .or_else(|| fact(&["/ds/meta_data/owner-account-id"], "owner-account-id")),
        platform: fact(&["/v1/platform"], "platform"),
        cloud_name: fact(&["/v1/cloud_name"], "cloud_name"),
        region: fact(&["/v1/region"], "region"),
        instance_id: fact(&["/v1/instance_id"], "instance_id"),
    })
}

/// Collects cloud-init facts.
pub fn collect(fs: &RootFs, _ctx: &Context, packages: Option<&Packages>) -> Result<CloudInit, FactError> {
    let pkg = packages.and_then(|p| p.get("cloud-init"));
    let mut installed = Fact::new(false, Source::note("no cloud-init package or cloudinit Python package"));
    let mut version = None;
    let mut package_version = None;
    if let Some(p) = pkg {
        let ok = p.state == "installed";
        installed = Fact::new(ok, p.source.clone());
        package_version = Some(p.version.to_string());
        version = upstream_numeric(&p.version).map(|v| Fact::new(v, p.source.clone()));
    }
    if version.is_none() {
        for path in fs.glob("/usr/lib/python3*/*-packages/cloudinit/version.py")? {
            let Some(text) = fs.read_text(&path)? else { continue };
            let found = text.lines().enumerate().find_map(|(i, l)| {
                let rest = l.trim().strip_prefix("__VERSION__")?.trim_start().strip_prefix('=')?;
                Some((unquote(rest), i))
            });
            if let Some((v, i)) = found {
                let src = Source::at(&path, u32::try_from(i + 1).unwrap_or(u32::MAX));
                if pkg.is_none() {
                    installed = Fact::new(true, src.clone());
                }
                version = upstream_numeric(&v).map(|v| Fact::new(v, src));
                break;
            }
        }
    }

    if packages.is_none() && version.is_none() {
        // Principle 1: an unreadable package database must not read as "cloud-init absent".
        return Err(FactError::Unavailable {
            what: "whether cloud-init is installed".into(),
            reason: "the package database is unavailable and no cloudinit/version.py was found".into(),
        });
    }

    // Configuration, later files first-class winners (cloud.cfg.d over cloud.cfg, later names over
    // earlier ones).
    let mut files = Vec::new();
    if fs.metadata("/etc/cloud/cloud.cfg")?.is_some() {
        files.push("/etc/cloud/cloud.cfg".to_owned());
    }
    files.extend(fs.glob("/etc/cloud/cloud.cfg.d/*.cfg")?);
    let mut merged: BTreeMap<Vec<String>, Fact<Value>> = BTreeMap::new();
    for path in files {
        let Some(text) = fs.read_text(&path)? else { continue };
        for (key, value, line) in parse_cfg(&text) {
            let src = Source::at(&path, line);
            match merged.get_mut(&key) {
                Some(old) => {
                    let prev = std::mem::replace(old, Fact::new(value, src));
                    old.shadowed = prev.shadowed;
                    old.shadowed.push(Shadowed {
                        value: prev.value,
                        source: prev.source,
                    });
                }
                None => {
                    merged.insert(key, Fact::new(value, src));
                }
            }
        }
    }
    let datasource_list = merged.get(&vec!["datasource_list".to_owned()]).map(|f| Fact {
        value: match &f.value {
            Value::List(l) => l.clone(),
            Value::Scalar(s) => vec![s.clone()],
        },
        source: f.source.clone(),
        shadowed: f
            .shadowed
            .iter()
            .map(|s| Shadowed {
                value: match &s.value {
                    Value::List(l) => l.clone(),
                    Value::Scalar(x) => vec![x.clone()],
                },
                source: s.source.clone(),
            })
            .collect(),
    });
    let mut datasource: BTreeMap<String, BTreeMap<String, Fact<String>>> = BTreeMap::new();
    for (key, f) in &merged {
        if let [top, ds, rest @ ..] = key.as_slice()
            && top == "datasource"
            && !rest.is_empty()
        {
            let conv = Fact {
                value: f.value.text(),
                source: f.source.clone(),
                shadowed: f
                    .shadowed
                    .iter()
                    .map(|s| Shadowed {
                        value: s.value.text(),
                        source: s.source.clone(),
                    })
                    .collect(),
            };
            datasource.entry(ds.clone()).or_default().insert(rest.join("."), conv);
        }
    }

    let mut instance = None;
    if let Some(text) = fs.read_text("/run/cloud-init/instance-data.json")? {
        instance = Some(parse_instance_data("/run/cloud-init/instance-data.json", &text)?);
    }
    let id_path = "/var/lib/cloud/data/instance-id";
    if let Some(text) = fs.read_text(id_path)? {
        let id = text.trim();
        let data = instance.get_or_insert_with(InstanceData::default);
        if data.instance_id.is_none() && !id.is_empty() {
            data.instance_id = Some(Fact::new(id.to_owned(), Source::at(id_path, 1)));
        }
    }
    Ok(CloudInit {
        installed,
        version,
        package_version,
        datasource_list,
        datasource,
        instance,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn get<'a>(s: &'a Settings, k: &str) -> Option<&'a Value> {
        s.iter().rev().find(|(p, _, _)| p.join(".") == k).map(|(_, v, _)| v)
    }

    #[test]
    fn flow_and_block_datasource_lists() {
        let s = parse_cfg("datasource_list: [ Ec2, 'None' ]  # comment\n");
        assert_eq!(
            get(&s, "datasource_list"),
            Some(&Value::List(vec!["Ec2".into(), "None".into()]))
        );
        let s = parse_cfg("datasource_list:\n  - Ec2\n  - None\nother: 1\n");
        assert_eq!(
            get(&s, "datasource_list"),
            Some(&Value::List(vec!["Ec2".into(), "None".into()]))
        );
        let s = parse_cfg("datasource_list:\n- Ec2\n");
        assert_eq!(get(&s, "datasource_list"), Some(&Value::List(vec!["Ec2".into()])));
    }

    #[test]
    fn nested_datasource_settings_with_lines() {
        let t = "#cloud-config\ndatasource:\n  Ec2:\n    timeout: 5\n    metadata_urls:\n      - http://169.254.169.254\n  Azure:\n    apply_network_config: false\nusers: [default]\n";
        let s = parse_cfg(t);
        assert_eq!(get(&s, "datasource.Ec2.timeout"), Some(&Value::Scalar("5".into())));
        assert_eq!(
            get(&s, "datasource.Ec2.metadata_urls"),
            Some(&Value::List(vec!["http://169.254.169.254".into()]))
        );
        assert_eq!(
            get(&s, "datasource.Azure.apply_network_config"),
            Some(&Value::Scalar("false".into()))
        );
        let line = s
            .iter()
            .find(|(p, _, _)| p.join(".") == "datasource.Ec2.timeout")
            .map(|x| x.2);
        assert_eq!(line, Some(4));
    }

    #[test]
    fn hash_inside_quotes_or_words_is_not_a_comment() {
        let s = parse_cfg("a: \"x # y\"\nb: c#d\n");
        assert_eq!(get(&s, "a"), Some(&Value::Scalar("x # y".into())));
        assert_eq!(get(&s, "b"), Some(&Value::Scalar("c#d".into())));
    }

    #[test]
    fn instance_data_ec2_keys_with_lines() {
        let t = "{\n \"ds\": {\n  \"dynamic\": {\"instance-identity\": {\"document\": {\n   \"accountId\": \"123456789012\"}}},\n  \"meta_data\": {\n   \"ami-id\": \"ami-0abc\"\n  }\n },\n \"v1\": {\"platform\": \"ec2\", \"region\": \"eu-west-1\"}\n}";
        let d = parse_instance_data("/run/cloud-init/instance-data.json", t).unwrap();
        assert_eq!(d.image_id.as_ref().unwrap().value, "ami-0abc");
        assert_eq!(
            d.image_id.unwrap().source,
            Source::at("/run/cloud-init/instance-data.json", 6)
        );
        assert_eq!(d.owner.unwrap().value, "123456789012");
        assert_eq!(d.platform.unwrap().value, "ec2");
        assert!(parse_instance_data("/x", "{nope").is_err());
    }
}
