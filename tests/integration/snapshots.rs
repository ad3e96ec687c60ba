//! The facts and the cloud-image findings of every fixture root, as insta JSON snapshots
//! (review changes with `make snapshots` and `git diff`). The root path and the type of the host
//! filesystem holding the copied root (the walk's coverage) are the only volatile fields and are
//! replaced.
use crate::util::{AS_OF, fixture_copy, imagegate, root_names};

fn scrub(mut v: serde_json::Value) -> serde_json::Value {
    if let Some(t) = v.get_mut("target").and_then(|t| t.as_object_mut()) {
        t.insert("root".into(), "[root]".into());
    }
    if let Some(w) = v.pointer_mut("/filesystem/walk") {
        let host = w
            .pointer("/coverage/walked/0/fstype")
            .and_then(|t| t.as_str())
            .map(str::to_owned);
        if let Some(host) = host {
            w["coverage"]["walked"][0]["fstype"] = "[host]".into();
            if let Some(note) = w.pointer_mut("/entries/source/note")
                && let Some(text) = note.as_str()
            {
                *note = text.replacen(&format!("/ ({host})"), "/ ([host])", 1).into();
            }
        }
    }
    v
}

#[test]
fn facts_of_every_fixture_root() {
    for name in root_names() {
        let dir = fixture_copy(&name);
        let out = imagegate(&["facts", "--root", dir.path().to_str().unwrap(), "--as-of", AS_OF]);
        assert!(out.status.success(), "{name}: {}", String::from_utf8_lossy(&out.stderr));
        let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
        insta::assert_json_snapshot!(format!("facts-{name}"), scrub(v));
    }
}

#[test]
fn cloud_image_findings_of_every_fixture_root() {
    for name in root_names() {
        let dir = fixture_copy(&name);
        let out = imagegate(&[
            "scan",
            "--root",
            dir.path().to_str().unwrap(),
            "--as-of",
            AS_OF,
            "--format",
            "json",
        ]);
        let code = out.status.code().unwrap();
        assert!(
            (0..=2).contains(&code),
            "{name}: exit {code}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
        insta::assert_json_snapshot!(format!("findings-{name}"), scrub(v));
        let text = imagegate(&["scan", "--root", dir.path().to_str().unwrap(), "--as-of", AS_OF]);
        let text = String::from_utf8(text.stdout)
            .unwrap()
            .replace(dir.path().to_str().unwrap(), "[root]");
        insta::assert_snapshot!(format!("text-{name}"), text);
    }
}
