#!/usr/bin/env bash
# Builds the console into dist/: the size-optimized wasm, its JS glue, the CSS, and index.html,
# with content-hashed names (so they can be cached forever) and brotli/gzip variants.
set -euo pipefail
cd "$(dirname "$0")/.."

TOOLS="$PWD/.tools"
TARGET_DIR="${CARGO_TARGET_DIR:-$PWD/target}"
OUT="$PWD/dist"
WORK="$TARGET_DIR/console-build"

cargo build --profile wasm-release --target wasm32-unknown-unknown -p app

rm -rf "$WORK" && mkdir -p "$WORK"
wasm-bindgen --target web --no-typescript --out-dir "$WORK" --out-name app \
  "$TARGET_DIR/wasm32-unknown-unknown/wasm-release/app.wasm"
# --low-memory-unused: Rust lays the stack out first, from 1 MiB down, so the lowest 1 KiB is
# touched only by a stack about to overflow; assuming so saves ~2 KB brotli (with --converge).
"$TOOLS/node_modules/.bin/wasm-opt" -Oz --low-memory-unused --converge --enable-bulk-memory --enable-nontrapping-float-to-int \
  --enable-sign-ext --enable-mutable-globals --enable-reference-types --strip-debug --strip-producers \
  "$WORK/app_bg.wasm" -o "$WORK/app_bg.opt.wasm"

hash_of() { sha256sum "$@" | sha256sum | cut -c1-16; }
hash=$(hash_of "$WORK/app.js" "$WORK/app_bg.opt.wasm")
style_hash=$(hash_of style/main.css)

rm -rf "$OUT" && mkdir -p "$OUT/assets"
script="app-$hash.js"
wasm="app-${hash}_bg.wasm"
style="style-$style_hash.css"
cp "$WORK/app_bg.opt.wasm" "$OUT/assets/$wasm"
cp style/main.css "$OUT/assets/$style"
# The glue starts the app itself, so index.html needs no inline script (strict CSP).
{ cat "$WORK/app.js"; printf '\n__wbg_init({ module_or_path: "/assets/%s" });\n' "$wasm"; } > "$OUT/assets/$script"
sed -e "s|{{SCRIPT}}|$script|g" -e "s|{{WASM}}|$wasm|g" -e "s|{{STYLE}}|$style|g" \
  app/index.html > "$OUT/index.html"

for file in "$OUT/index.html" "$OUT"/assets/*; do
  brotli -q 11 -f -k "$file"
  gzip -9 -f -k "$file"
done
echo "console built in $OUT:"
ls -l "$OUT/assets"
