#!/usr/bin/env bash
# Times katscan, all rules, on the adversarial corpus (bench/gen_adversarial.py:
# every file says `origin`, `cors` or `katalo`) against `rg kat_live_` and,
# when KATSCAN_BASE_BIN names one, another katscan binary. Prints medians
# and ratios.
#
#   bench/adversarial.sh
#   KATSCAN_BASE_BIN=/work/main/target/release/katscan bench/adversarial.sh
#
# BENCH_SIZE_MB (400), BENCH_FILES (20000): corpus size; BENCH_RUNS (10).
# The corpus goes to $BENCH_ROOT (default /tmp/katscan-bench-adversarial)
# and is reused while its parameters stay the same.
set -euo pipefail

size_mb=${BENCH_SIZE_MB:-400}
files=${BENCH_FILES:-20000}
runs=${BENCH_RUNS:-10}
root=${BENCH_ROOT:-/tmp/katscan-bench-adversarial}
corpus="$root/corpus-$size_mb-$files"
here=$(cd "$(dirname "$0")/.." && pwd)

command -v hyperfine >/dev/null || { apt-get install -y hyperfine >/dev/null; }
command -v rg >/dev/null || { apt-get install -y ripgrep >/dev/null; }
if [[ -z "${KATSCAN_BIN:-}" ]]; then
    cargo build --release --locked --manifest-path "$here/Cargo.toml" >&2
    KATSCAN_BIN="$here/target/release/katscan"
fi
if [[ ! -f "$corpus/.adversarial-corpus" ]]; then
    python3 "$here/bench/gen_adversarial.py" "$corpus" --size-mb "$size_mb" --files "$files"
fi

commands=(-n "katscan" "$KATSCAN_BIN scan --quiet --format json --output /dev/null $corpus")
if [[ -n "${KATSCAN_BASE_BIN:-}" ]]; then
    commands+=(-n "katscan (base)" "$KATSCAN_BASE_BIN scan --quiet --format json --output /dev/null $corpus")
fi
commands+=(-n "rg kat_live_" "rg -c kat_live_ $corpus")

# -i: ripgrep exits 1 when it finds nothing.
hyperfine -N --warmup 1 --runs "$runs" -i --export-json "$root/adversarial.json" "${commands[@]}"
python3 "$here/bench/medians.py" "$root/adversarial.json"
