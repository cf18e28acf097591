#!/usr/bin/env bash
# Times katscan's start-up: `katscan scan` of an empty directory, all
# built-in rules, against `rg kat_live_` on the same directory and, when
# KATSCAN_BASE_BIN names one, another katscan binary (the main branch's).
# Prints each command's median and its ratio to ripgrep and to the base.
#
#   bench/startup.sh
#   KATSCAN_BASE_BIN=/work/main/target/release/katscan bench/startup.sh
#
# KATSCAN_BIN: the binary to time (default: build target/release/katscan).
# BENCH_RUNS: timed runs per command (default 30, after 5 warm-up runs).
set -euo pipefail

runs=${BENCH_RUNS:-30}
root=${BENCH_ROOT:-/tmp/katscan-bench-startup}
here=$(cd "$(dirname "$0")/.." && pwd)

command -v hyperfine >/dev/null || { apt-get install -y hyperfine >/dev/null; }
command -v rg >/dev/null || { apt-get install -y ripgrep >/dev/null; }
if [[ -z "${KATSCAN_BIN:-}" ]]; then
    cargo build --release --locked --manifest-path "$here/Cargo.toml" >&2
    KATSCAN_BIN="$here/target/release/katscan"
fi

empty="$root/empty"
rm -rf "$empty"
mkdir -p "$empty"

commands=(-n "katscan" "$KATSCAN_BIN scan $empty")
if [[ -n "${KATSCAN_BASE_BIN:-}" ]]; then
    commands+=(-n "katscan (base)" "$KATSCAN_BASE_BIN scan $empty")
fi
commands+=(-n "rg kat_live_" "rg kat_live_ $empty")

# -N: no shell in between. -i: ripgrep exits 1 when it finds nothing.
hyperfine -N --warmup 5 --runs "$runs" -i --export-json "$root/startup.json" "${commands[@]}"
python3 "$here/bench/medians.py" "$root/startup.json"
