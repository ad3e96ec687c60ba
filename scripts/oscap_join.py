#!/usr/bin/env python3
"""Join imagegate's and OpenSCAP's verdicts on the ComplianceAsCode rule id and write the
comparison document. Called by scripts/compare-oscap.sh with its work directory; the hand-written
judgement of each disagreement comes from scripts/oscap-verdicts.tsv (variant, ssg id, which tool
is right, why), so the document can be regenerated without losing it."""
import argparse
import datetime
import json
import os
import subprocess
import xml.etree.ElementTree as ET

X = "{http://checklists.nist.gov/xccdf/1.2}"
PREFIX = "xccdf_org.ssgproject.content_rule_"
# OpenSCAP result -> imagegate status vocabulary. notchecked/notselected/informational have no
# verdict to compare; error and unknown mean "could not tell", which is imagegate's error.
OSCAP_MAP = {
    "pass": "pass",
    "fixed": "pass",
    "fail": "fail",
    "notapplicable": "not-applicable",
    "error": "error",
    "unknown": "error",
}


def oscap_results(path):
    root = ET.parse(path).getroot()
    titles = {r.get("id")[len(PREFIX):]: (r.findtext(f"{X}title") or "").strip()
              for r in root.iter(f"{X}Rule") if r.get("id", "").startswith(PREFIX)}
    tr = root.find(f".//{X}TestResult")
    res = {}
    for rr in tr.iter(f"{X}rule-result"):
        rid = rr.get("idref")[len(PREFIX):]
        res[rid] = rr.findtext(f"{X}result")
    return res, titles, tr.get("version"), tr.get("start-time")


def evidence_text(f):
    parts = []
    for e in f.get("evidence", [])[:3]:
        v = e.get("value")
        if isinstance(v, str) and len(v) > 60:
            v = v[:57] + "…"
        src = e.get("source") or {}
        where = src.get("path") and f"{src['path']}{':' + str(src['line']) if src.get('line') else ''}" or src.get("note") or ""
        if e.get("unavailable"):
            parts.append(f"{e['fact']}: {e['unavailable']}")
        else:
            parts.append(f"`{e['fact']}` = `{json.dumps(v)}`" + (f" ({where})" if where else ""))
    return "; ".join(parts).replace("|", "\\|")


def diff_manifest(a, b):
    """The paths whose manifest line (type, mode, owner, size, mtime) or digest differ."""
    def load(p, suffix):
        with open(p + suffix, encoding="utf-8", errors="replace") as fh:
            lines = fh.read().splitlines()
        if suffix == ".list":  # "%y %m %U:%G %s %T@ ./path"
            return {(l.split(" ", 5)[5], l) for l in lines if l.count(" ") >= 5}
        return {(l.split("  ", 1)[1], l) for l in lines if "  " in l}  # "digest  ./path"
    changed = set()
    for suffix in (".list", ".sha"):
        x, y = load(a, suffix), load(b, suffix)
        changed |= {path for path, _ in x ^ y}
    return sorted(p[1:] if p.startswith("./") else "/" for p in changed)


def top_level_note(manifest, changed):
    """Sizes of the files a tool created at the top of the root (OpenSCAP's apt cache files)."""
    sizes = []
    with open(manifest, encoding="utf-8", errors="replace") as fh:
        for l in fh:
            parts = l.rstrip("\n").split(" ", 5)
            if len(parts) == 6 and parts[0] == "f" and parts[5].count("/") == 1 and "/" + parts[5][2:] in changed:
                sizes.append((parts[5][1:], int(parts[3])))
    if not sizes:
        return ""
    return (" The top-level files (" + ", ".join(f"`{p}` {n / 2**20:.0f} MiB" for p, n in sizes)
            + ") are apt binary caches the dpkginfo probe left behind despite `APT_CONFIG`; "
            "/root/.rpmdb is the rpm probe's database. Scan a copy.")


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--work", required=True)
    ap.add_argument("--ds", required=True)
    ap.add_argument("--root", required=True)
    ap.add_argument("--out", required=True)
    ap.add_argument("--notes", required=True)
    ap.add_argument("--imagegate", required=True)
    a = ap.parse_args()

    notes = {}
    if os.path.exists(a.notes):
        for line in open(a.notes, encoding="utf-8"):
            if line.startswith("#") or not line.strip():
                continue
            variant, ssg, right, why = line.rstrip("\n").split("\t", 3)
            notes[(variant, ssg)] = (right, why)

    ig_version = subprocess.run([a.imagegate, "--version"], capture_output=True, text=True).stdout.strip()
    oscap_version = subprocess.run(["oscap", "--version"], capture_output=True, text=True).stdout.splitlines()[0]
    deb_version = open(os.path.join(a.root, "etc/debian_version")).read().strip()

    variants = []
    for v in ("stock", "hardened"):
        d = os.path.join(a.work, v)
        ig = json.load(open(os.path.join(d, "imagegate.json")))
        osr, titles, ssg_version, started = oscap_results(os.path.join(d, "results.xml"))
        selected = {k: r for k, r in osr.items() if r != "notselected"}
        rows = []
        ig_refs = set()
        for f in ig["findings"]:
            for sid in (f.get("references", {}).get("ssg") or "").replace(",", " ").split():
                ig_refs.add(sid)
                if sid in selected:
                    rows.append((f, sid, selected[sid]))
        rows.sort(key=lambda r: (r[0]["id"], r[1]))
        rows_cmp = [r for r in rows if r[2] in OSCAP_MAP]
        agree = [r for r in rows_cmp if OSCAP_MAP[r[2]] == r[0]["status"]]
        variants.append(dict(
            name=v, d=d, ig=ig, osr=osr, titles=titles, selected=selected, rows=rows,
            rows_cmp=rows_cmp, agree=agree, ig_refs=ig_refs, ssg_version=ssg_version, started=started,
            ig_rc=open(os.path.join(d, "imagegate.rc")).read().strip(),
            oscap_rc=open(os.path.join(d, "oscap.rc")).read().strip(),
            ig_time=open(os.path.join(d, "imagegate.time")).read().strip().splitlines()[-1],
            oscap_time=open(os.path.join(d, "oscap.time")).read().strip().splitlines()[-1],
            ig_writes=diff_manifest(os.path.join(d, "m0"), os.path.join(d, "m1")),
            oscap_writes=diff_manifest(os.path.join(d, "m1"), os.path.join(d, "m2")),
            oscap_warnings=sorted({l.strip() for l in open(os.path.join(d, "oscap.err"), errors="replace")
                                   if l.startswith(("W:", "E:"))}),
        ))

    L = []
    w = L.append
    s = variants[0]
    w("# imagegate and OpenSCAP on the same Debian 12 root\n")
    w("<!-- generated by scripts/compare-oscap.sh (make compare-oscap); the judgements come from "
      "scripts/oscap-verdicts.tsv, the rest from the run: edit those, not this file -->\n")
    w(f"Run on {datetime.date.today().isoformat()} with {ig_version}, {oscap_version} and SCAP Security "
      f"Guide {s['ssg_version']} (Debian's ssg-debderived), on a debootstrapped Debian {deb_version} root "
      f"(`make e2e-root`: minbase plus openssh-server, systemd-sysv, apparmor, unattended-upgrades).\n")
    w("## Method\n")
    w("- **Content.** SSG ships no Debian 12 content; its only CIS content is the Ubuntu 22.04 data stream. "
      "We evaluate its `cis_level2_server` profile. **Its platform check was patched**: "
      "`bench/oscap-datastream.sh` replaces the criteria of the OVAL definition "
      "`installed_OS_is_ubuntu2204` (\"Ubuntu is installed\" and \"Jammy is installed\") with the data "
      "stream's own \"part of the Unix family\" test, so that the rules are evaluated at all (unpatched, "
      "every rule is `notapplicable` on Debian). Nothing else is changed; these are Ubuntu rules applied "
      "to Debian, and some of their expectations are Ubuntu's.")
    w("- **OpenSCAP** runs offline on a copy of the root, as `oscap-chroot` does (`OSCAP_PROBE_ROOT` and "
      "`OSCAP_EVALUATION_TARGET=chroot://ROOT`), with `APT_CONFIG` pointing apt's cache files at a "
      "temporary directory. **imagegate** runs `scan --root ROOT --profile cis-l2-server --format json`.")
    w("- **Join.** An imagegate rule names the ComplianceAsCode rules it corresponds to in "
      "`references.ssg` (one or more ids); OpenSCAP's rule-result `xccdf_org.ssgproject.content_rule_<id>` "
      "is matched on that id. A rule in common is such a pair where the id is selected by the OpenSCAP "
      "profile. OpenSCAP's `pass`/`fixed` count as pass, `fail` as fail, `notapplicable` as "
      "not-applicable, `error` and `unknown` as error (could not tell); `notchecked` has no verdict and "
      "is listed but not counted.")
    w("- **Two variants** of the root, each a fresh copy: *stock* (as debootstrap left it) and "
      "*hardened* (stock plus the two drop-ins imagegate's remediation texts prescribe: "
      "/etc/ssh/sshd_config.d/00-imagegate.conf and /etc/sysctl.d/60-cis.conf, written by "
      "`scripts/compare-oscap.sh`). The first compares the fail side, the second the pass side.\n")
    w("## Headline\n")
    w("| variant | rules in common (pairs) | compared | agree | disagree | OpenSCAP without verdict | imagegate run | OpenSCAP run |")
    w("|---|---|---|---|---|---|---|---|")
    for v in variants:
        nv = len(v["rows"]) - len(v["rows_cmp"])
        w(f"| {v['name']} | {len(v['rows'])} | {len(v['rows_cmp'])} | {len(v['agree'])} | "
          f"{len(v['rows_cmp']) - len(v['agree'])} | {nv} | {v['ig_time']}, exit {v['ig_rc']} | "
          f"{v['oscap_time']}, exit {v['oscap_rc']} |")
    w("")
    for v in variants:
        c = {}
        for r in v["selected"].values():
            c[r] = c.get(r, 0) + 1
        ig_c = {}
        for f in v["ig"]["findings"]:
            ig_c[f["status"]] = ig_c.get(f["status"], 0) + 1
        w(f"*{v['name']}*: OpenSCAP selected {len(v['selected'])} rules ("
          + ", ".join(f"{n} {k}" for k, n in sorted(c.items())) + f"); imagegate evaluated "
          f"{len(v['ig']['findings'])} rules (" + ", ".join(f"{n} {k}" for k, n in sorted(ig_c.items())) + ").\n")

    w("## Does either tool change the root?\n")
    for v in variants:
        ig_paths = v["ig_writes"]
        os_paths = v["oscap_writes"]
        w(f"- *{v['name']}*: imagegate changed **{len(ig_paths)}** paths "
          f"(manifest of type, mode, owner, size, mtime and SHA-256 of every file, before and after)"
          + (": " + ", ".join(sorted(ig_paths)[:10]) if ig_paths else "") + ". "
          f"OpenSCAP changed **{len(os_paths)}**" + (": " + ", ".join(
              f"`{p}`" for p in sorted(os_paths)[:12]) + (" …" if len(os_paths) > 12 else "") if os_paths else "") + "."
          + top_level_note(os.path.join(v["d"], "m2.list"), os_paths))
    w("")

    w("## What the disagreements say\n")
    w("- **sshd: OpenSCAP reads one file, sshd reads the configuration.** SSG 0.1.65's Ubuntu sshd checks "
      "match a line in /etc/ssh/sshd_config and nothing else: no `Include`d drop-in, no compiled-in default, "
      "no Match semantics. On the stock root that fails settings whose default already complies (CIS Debian 12 "
      "audits with `sshd -T`, which prints the effective value); on the hardened root it fails every setting "
      "made the way both Debian and imagegate recommend (a drop-in in sshd_config.d that sorts first), and it "
      "would pass a root whose drop-in re-enables what sshd_config disables. imagegate's sshd model is checked "
      "against the real `sshd -T` (docs/sshd.md, differential test).")
    w("- **Ubuntu content on Debian.** /etc/shadow and /etc/gshadow modes and groups, and rsyslog, are "
      "Ubuntu 22.04 content expectations that Debian's layout and CIS Debian 12 do not share.")
    w("- **Offline limits of OpenSCAP.** The partition probe sees the mounts of the machine running oscap, "
      "not of the image (so /dev/shm \"does not exist\" and passes); the sysctl probe reads only files offline "
      "(it warns so), which is why the sysctl rules agree here: both tools judge the persisted files, and "
      "imagegate adds /proc/sys only on a live scan.")
    w("- **Granularity.** One imagegate rule may cover several ComplianceAsCode rules (owner, group and mode of "
      "one file); OpenSCAP can then pass a part while imagegate fails the whole, both correctly.\n")
    if any("dpkginfo_init has failed" in x for v in variants for x in v["oscap_warnings"]):
        w("OpenSCAP prints `dpkginfo_init has failed` once per run; its package checks still saw the root's "
          "dpkg database (openssh-server installed, sudo and auditd absent, as in /var/lib/dpkg/status), so "
          "the package verdicts are usable.\n")
    for v in variants:
        if v["oscap_warnings"]:
            w(f"OpenSCAP's warnings ({v['name']}): " + "; ".join(f"`{x}`" for x in v["oscap_warnings"][:6]) + ".\n")

    for v in variants:
        w(f"## Rules in common — {v['name']} root\n")
        w("| imagegate rule | ComplianceAsCode rule | imagegate | OpenSCAP | agree |")
        w("|---|---|---|---|---|")
        for f, sid, r in v["rows"]:
            if r not in OSCAP_MAP:
                mark = "— (no verdict)"
            else:
                mark = "yes" if OSCAP_MAP[r] == f["status"] else "**no**"
            w(f"| `{f['id']}` | `{sid}` | {f['status']} | {r} | {mark} |")
        w(f"\nAgreement: **{len(v['agree'])} of {len(v['rows_cmp'])}** compared pairs.\n")

    w("## The disagreements, and who is right\n")
    w("Each row was checked against imagegate's evidence (fact, value, file:line) and OpenSCAP's OVAL "
      "for the rule.\n")
    for v in variants:
        dis = [r for r in v["rows_cmp"] if OSCAP_MAP[r[2]] != r[0]["status"]]
        w(f"### {v['name']} root ({len(dis)})\n")
        if not dis:
            w("None.\n")
            continue
        w("| ComplianceAsCode rule | imagegate | OpenSCAP | right | why | imagegate's evidence |")
        w("|---|---|---|---|---|---|")
        tally = {}
        for f, sid, r in dis:
            right, why = notes.get((v["name"], sid)) or notes.get(("*", sid)) or ("?", "not yet analysed")
            tally[right] = tally.get(right, 0) + 1
            w(f"| `{sid}` ({f['id']}) | {f['status']} | {r} | {right} | {why} | {evidence_text(f)} |")
        w("\nTally: " + ", ".join(f"{k}: {n}" for k, n in sorted(tally.items())) + ".\n")

    w("## Not compared\n")
    for v in variants:
        only_os = sorted(k for k in v["selected"] if k not in v["ig_refs"])
        only_ig = sorted({sid for f in v["ig"]["findings"]
                          for sid in (f.get("references", {}).get("ssg") or "").replace(",", " ").split()
                          if sid not in v["selected"]})
        no_ref = sorted(f["id"] for f in v["ig"]["findings"] if not (f.get("references", {}).get("ssg")))
        w(f"- *{v['name']}*: {len(only_os)} OpenSCAP rules have no imagegate counterpart; "
          f"{len(only_ig)} ComplianceAsCode ids that imagegate cites are not in the Ubuntu 22.04 CIS profile; "
          f"{len(no_ref)} imagegate rules cite no ComplianceAsCode id.")
    w("")
    open(a.out, "w", encoding="utf-8").write("\n".join(L))


if __name__ == "__main__":
    main()
