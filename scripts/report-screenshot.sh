#!/bin/sh
# Renders the HTML report of a fixture root, screenshots it with headless Chromium, and checks in
# the real browser that the URL-fragment filters hide what they should (`make report-screenshot`;
# not part of `make test`: it needs Debian's chromium, `apt-get install -y chromium`).
#
# Usage: scripts/report-screenshot.sh [ROOT_NAME] (default ubuntu2404); writes out/report.html,
# out/report.png, out/report-filtered.png and out/report-filtered.html (the DOM after loading report.html#status=fail).
set -eu

root_name=${1:-ubuntu2404}
repo=$(cd "$(dirname "$0")/.." && pwd)
out="$repo/out"
browser=$(command -v chromium || command -v chromium-browser || true)
if [ -z "$browser" ]; then
    echo "report-screenshot: chromium not found (apt-get install -y chromium)" >&2
    exit 2
fi

work=$(mktemp -d)
profile=$(mktemp -d)
trap 'rm -rf "$work" "$profile"' EXIT

# The fixture root, materialised as the tests do for a plain root (variants are overlays: copy
# the base first, then the variant).
if [ -f "$repo/fixtures/roots/$root_name.toml" ]; then
    base=$(sed -n 's/^base *= *"\(.*\)"/\1/p' "$repo/fixtures/roots/$root_name.toml")
    cp -R "$repo/fixtures/roots/$base/." "$work/"
fi
cp -R "$repo/fixtures/roots/$root_name/." "$work/"

mkdir -p "$out"
cd "$repo"
# The report-formats test rules give every status; add the shipped profile's report when it exists.
set +e
cargo run -q --locked -- scan --root "$work" --as-of 2026-11-01 \
    --rules tests/data/report-rules --profile report-formats \
    --format text --report html="$out/report.html" >/dev/null
code=$?
set -e
if [ "$code" -gt 2 ] || [ ! -s "$out/report.html" ]; then
    echo "report-screenshot: the scan failed (exit $code)" >&2
    exit 2
fi

# Flags: no GPU, no network-using background services, a throwaway profile.
chrome() {
    "$browser" --headless --no-sandbox --disable-gpu --disable-background-networking \
        --disable-component-update --disable-sync --no-first-run --hide-scrollbars \
        --user-data-dir="$profile" "$@" 2>/dev/null
}

chrome --screenshot="$out/report.png" --window-size=1280,2000 "file://$out/report.html"
echo "wrote $out/report.png"

chrome --screenshot="$out/report-filtered.png" --window-size=1280,1200 "file://$out/report.html#status=fail,error"
echo "wrote $out/report-filtered.png (#status=fail,error)"

# The filters, in the real browser: load with #status=fail and read the DOM after the script ran.
chrome --dump-dom "file://$out/report.html#status=fail" > "$out/report-filtered.html"
python3 - "$out/report-filtered.html" <<'PY'
import re, sys
dom = open(sys.argv[1], encoding="utf-8").read()
tags = re.findall(r'<article class="finding"[^>]*>', dom)
if not tags:
    sys.exit("report-screenshot: no findings in the dumped DOM")
bad = []
for t in tags:
    status = re.search(r'data-status="([^"]*)"', t).group(1)
    hidden = re.search(r'\shidden(=|\s|>)', t) is not None
    if (status == "fail") == hidden:
        bad.append(t)
if bad:
    sys.exit("report-screenshot: #status=fail left these wrong:\n" + "\n".join(bad))
shown = sum(1 for t in tags if 'data-status="fail"' in t)
print(f"filters ok: #status=fail shows {shown} of {len(tags)} findings, hides the rest")
PY
