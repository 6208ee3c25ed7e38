#!/usr/bin/env bash
# Vendor YASGUI (the SPARQL editor and result viewer of the query page) into
# src/regkg/service/static/yasgui/, so the page works offline and without a CDN.
#
#   tools/vendor-yasgui.sh            # the pinned version below
#   tools/vendor-yasgui.sh 4.6.3      # another version (then update the pin and static/README.md)
#
# It installs the npm package into a temporary directory (no install scripts run) and copies
# the browser bundle (build/yasgui.min.js, build/yasgui.min.css; source maps left out), the
# licence, and the licences of the packages bundled into yasgui.min.js. Needs node and npm.
set -euo pipefail

VERSION="${1:-4.6.2}"
PACKAGE="@zazuko/yasgui"
cd "$(dirname "$0")/.."
dest="src/regkg/service/static/yasgui"

command -v npm >/dev/null 2>&1 || { echo "vendor-yasgui: npm is required (apt-get install npm)" >&2; exit 1; }

tmp="$(mktemp -d)"
trap 'rm -rf "$tmp"' EXIT
echo '{"private": true}' >"$tmp/package.json"
(cd "$tmp" && npm install --no-save --ignore-scripts --no-audit --no-fund --loglevel=error "$PACKAGE@$VERSION")
pkg="$tmp/node_modules/$PACKAGE"
installed="$(node -p "require('$pkg/package.json').version")"
[ "$installed" = "$VERSION" ] || { echo "vendor-yasgui: got $installed, wanted $VERSION" >&2; exit 1; }

rm -rf "$dest"
mkdir -p "$dest"
cp "$pkg/build/yasgui.min.js" "$pkg/build/yasgui.min.css" "$dest/"

# The package ships no licence file; its package.json says MIT, and this is the LICENSE of its
# repository (github.com/rdfjs/Yasgui), which has no copyright line of its own.
license="$(node -p "require('$pkg/package.json').license")"
[ "$license" = "MIT" ] || { echo "vendor-yasgui: licence is now $license, review it" >&2; exit 1; }
{
    echo "$PACKAGE $VERSION (https://github.com/rdfjs/Yasgui), licence: MIT"
    echo "Authors: Triply <info@triply.cc>, Zazuko GmbH"
    echo
    cat <<'MIT'
The MIT License (MIT)

Permission is hereby granted, free of charge, to any person obtaining a copy
of this software and associated documentation files (the "Software"), to deal
in the Software without restriction, including without limitation the rights
to use, copy, modify, merge, publish, distribute, sublicense, and/or sell
copies of the Software, and to permit persons to whom the Software is
furnished to do so, subject to the following conditions:

The above copyright notice and this permission notice shall be included in
all copies or substantial portions of the Software.

THE SOFTWARE IS PROVIDED "AS IS", WITHOUT WARRANTY OF ANY KIND, EXPRESS OR
IMPLIED, INCLUDING BUT NOT LIMITED TO THE WARRANTIES OF MERCHANTABILITY,
FITNESS FOR A PARTICULAR PURPOSE AND NONINFRINGEMENT. IN NO EVENT SHALL THE
AUTHORS OR COPYRIGHT HOLDERS BE LIABLE FOR ANY CLAIM, DAMAGES OR OTHER
LIABILITY, WHETHER IN AN ACTION OF CONTRACT, TORT OR OTHERWISE, ARISING FROM,
OUT OF OR IN CONNECTION WITH THE SOFTWARE OR THE USE OR OTHER DEALINGS IN
THE SOFTWARE.
MIT
} >"$dest/LICENSE"

# yasgui.min.js bundles its dependencies (YASQE, YASR, CodeMirror, jQuery, DataTables, ...):
# keep each installed package's name, version, licence and licence text.
(
    cd "$tmp"
    node - <<'JS'
const fs = require("fs"), path = require("path");
const root = "node_modules", out = [];
const dirs = [];
for (const name of fs.readdirSync(root).sort()) {
  if (name.startsWith(".")) continue;
  if (name.startsWith("@")) {
    for (const sub of fs.readdirSync(path.join(root, name)).sort()) dirs.push(path.join(root, name, sub));
  } else dirs.push(path.join(root, name));
}
for (const dir of dirs) {
  const file = path.join(dir, "package.json");
  if (!fs.existsSync(file)) continue;
  const pkg = JSON.parse(fs.readFileSync(file, "utf8"));
  if (pkg.name.startsWith("@types/")) continue; // type declarations, not in the bundle
  const texts = fs.readdirSync(dir).filter((f) => /^(licen[cs]e|copying)(\.(md|txt))?$/i.test(f)).sort();
  out.push("=".repeat(78));
  out.push(`${pkg.name} ${pkg.version} — ${pkg.license || "see below"}`);
  out.push("=".repeat(78));
  for (const t of texts) out.push(fs.readFileSync(path.join(dir, t), "utf8").trim(), "");
  if (!texts.length) out.push(`(no licence file in the package; package.json: ${pkg.license})`, "");
}
fs.writeFileSync("THIRD-PARTY-LICENSES.txt", out.join("\n") + "\n");
JS
)
cp "$tmp/THIRD-PARTY-LICENSES.txt" "$dest/"

echo "vendor-yasgui: $PACKAGE@$VERSION -> $dest"
du -ah "$dest" | sort -k2
