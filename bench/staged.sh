#!/usr/bin/env bash
# Times `katscan staged` on a one-file change in a repository of 100,000
# committed files: what a pre-commit hook costs on a large monorepo.
#
#   bench/staged.sh                 # 100k files, 10 timed runs
#   BENCH_FILES=2000 bench/staged.sh
#
# The repository goes to $BENCH_ROOT (default /tmp/katscan-bench-staged),
# never into this checkout; it is reused when it already has the requested
# number of files.
set -euo pipefail

files=${BENCH_FILES:-100000}
runs=${BENCH_RUNS:-10}
root=${BENCH_ROOT:-/tmp/katscan-bench-staged}
repo="$root/repo-$files"
here=$(cd "$(dirname "$0")/.." && pwd)

command -v hyperfine >/dev/null || { apt-get install -y hyperfine >/dev/null; }
if [[ -z "${KATSCAN_BIN:-}" ]]; then
    cargo build --release --locked --manifest-path "$here/Cargo.toml" >&2
    KATSCAN_BIN="$here/target/release/katscan"
fi

if [[ ! -f "$repo/.bench-complete" ]]; then
    rm -rf "$repo"
    mkdir -p "$repo"
    git -C "$repo" init -q
    git -C "$repo" config user.name bench
    git -C "$repo" config user.email bench@katscan.invalid
    # 100 files per directory, 2 levels deep, a few hundred bytes each.
    python3 - "$repo" "$files" <<'PY'
import os, sys
root, count = sys.argv[1], int(sys.argv[2])
for i in range(count):
    d = os.path.join(root, "pkg%03d" % (i // 1000), "mod%02d" % (i // 100 % 10))
    os.makedirs(d, exist_ok=True)
    with open(os.path.join(d, "file%05d.js" % i), "w") as f:
        f.write("// generated file %d\nexport const value%d = %d;\n" % (i, i, i) * 8)
PY
    git -C "$repo" add -A
    git -C "$repo" commit -q -m "corpus" --no-verify
    touch "$repo/.bench-complete"
    echo .bench-complete > "$repo/.git/info/exclude"
fi

# The change: one modified file, staged.
changed="$repo/pkg000/mod00/file00000.js"
echo "export const changed = $RANDOM;" >> "$changed"
git -C "$repo" add "$changed"
echo "files in index: $(git -C "$repo" ls-files | wc -l), staged: $(git -C "$repo" diff --cached --name-only | wc -l)"

cd "$repo"
hyperfine --warmup 2 --runs "$runs" --export-json "$root/staged-$files.json" \
    -n "katscan staged" "$KATSCAN_BIN staged --format json --output /dev/null" \
    -n "git diff --cached --name-only" "git diff --cached --name-only"
python3 - "$root/staged-$files.json" <<'PY'
import json, statistics, sys
for r in json.load(open(sys.argv[1]))["results"]:
    print("%-32s median %.1f ms" % (r["command"], statistics.median(r["times"]) * 1000))
PY
