#!/usr/bin/env bash
# Benchmark katscan against ripgrep on a synthetic monorepo corpus and check
# that katscan finds every planted key.  See bench/README.md.
#
# Usage: bench/run.sh [DIR]
#   DIR  directory to scan.  Default: a generated corpus under $BENCH_ROOT.
#        A DIR that does not exist yet is generated.  A corpus that
#        gen_corpus.py made is reused as it is, unless BENCH_QUICK/BENCH_FILES/
#        BENCH_SIZE_MB/BENCH_SEED ask for other parameters.  Any other
#        existing DIR is scanned as-is, without the correctness check (there
#        is no manifest for it).
#
# Environment:
#   BENCH_QUICK=1         small corpus (2000 files, 20 MiB) for a smoke run
#   BENCH_FILES, BENCH_SIZE_MB, BENCH_SEED   corpus parameters
#   BENCH_RUNS            hyperfine runs per command (default 10, 3 with peers)
#   BENCH_PEERS=1         also time peer scanners (ripsecrets; detect-secrets
#                         only on corpora <= BENCH_DETECT_SECRETS_MAX_MB, default 32)
#   BENCH_ROOT            corpus and results location (default /tmp/katscan-bench)
#   KATSCAN_BIN           benchmark this binary instead of building target/release/katscan
#
# Exit status: non-zero if the build fails, a tool errors, or a planted key
# that must be found is missing.
set -euo pipefail

if [[ ${1:-} == -h || ${1:-} == --help ]]; then
    sed -n '2,/^set -euo/p' "$0" | sed '$d; s/^# \{0,1\}//'
    exit 0
fi

REPO=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd -P)
BENCH_ROOT=${BENCH_ROOT:-/tmp/katscan-bench}
# The rule's regex, and the ignore behaviour katscan has by default: hidden
# files are scanned, .gitignore is honoured, .git/ is never entered and files
# over 64 MiB are skipped.  rg needs --glob '!.git' because --hidden would
# otherwise walk into .git/.
REGEX='kat_live_[A-Za-z0-9]{4,64}\.[A-Za-z0-9_-]{16,128}'
RG_FLAGS=(--hidden --no-messages --max-filesize 64M --glob '!.git')

die() { echo "error: $*" >&2; exit 2; }
section() { printf '\n== %s\n' "$*"; }

if [[ ${BENCH_QUICK:-0} == 1 ]]; then
    files=2000 size_mb=20 default_dir=$BENCH_ROOT/corpus-quick
else
    files=100000 size_mb=1024 default_dir=$BENCH_ROOT/corpus
fi
FILES=${BENCH_FILES:-$files}
SIZE_MB=${BENCH_SIZE_MB:-$size_mb}
SEED=${BENCH_SEED:-20240611}
PEERS=${BENCH_PEERS:-0}
RUNS=${BENCH_RUNS:-$([[ $PEERS == 1 ]] && echo 3 || echo 10)}
DIR=$(realpath -m "${1:-$default_dir}")
RESULTS=$BENCH_ROOT/results/$(basename "$DIR")

# Corpus and results must never land in the repository (size, and katscan
# would then scan its own benchmark data).
for p in "$DIR" "$RESULTS"; do
    case "$(realpath -m "$p")/" in "$REPO"/*) die "$p is inside the repository $REPO" ;; esac
done

# ---------------------------------------------------------------- tools
missing=()
command -v rg >/dev/null || missing+=(ripgrep)
command -v hyperfine >/dev/null || missing+=(hyperfine)
[[ -x /usr/bin/time ]] || missing+=(time)
if ((${#missing[@]})); then
    section "installing ${missing[*]}"
    sudo=(); [[ $EUID -ne 0 ]] && sudo=(sudo)
    "${sudo[@]}" apt-get update && "${sudo[@]}" apt-get install -y "${missing[@]}"
fi
for t in python3 git cargo; do command -v "$t" >/dev/null || die "$t is required"; done

if [[ -n ${KATSCAN_BIN:-} ]]; then
    KATSCAN=$(realpath "$KATSCAN_BIN")  # e.g. an older build to compare against
else
    section "building katscan (release)"
    cargo build --release --manifest-path "$REPO/Cargo.toml"
    KATSCAN=${CARGO_TARGET_DIR:-$REPO/target}/release/katscan
fi
[[ -x $KATSCAN ]] || die "no katscan binary at $KATSCAN"

# ---------------------------------------------------------------- corpus
section "corpus $DIR"
explicit_params=${BENCH_QUICK:-}${BENCH_FILES:-}${BENCH_SIZE_MB:-}${BENCH_SEED:-}
if [[ -d $DIR && ! -e $DIR.stamp.json ]]; then
    echo "existing directory without a stamp: scanning it as-is (no correctness check)"
elif [[ $# -gt 0 && -d $DIR && -z $explicit_params ]]; then
    # A generated corpus named on the command line is never silently
    # regenerated with the default (full-size) parameters.
    echo "reusing the corpus as it is ($DIR.stamp.json); set BENCH_FILES/BENCH_SIZE_MB to regenerate"
else
    # gen_corpus.py is a no-op when the stamp matches these parameters.
    python3 "$REPO/bench/gen_corpus.py" "$DIR" --files "$FILES" --size-mb "$SIZE_MB" --seed "$SEED"
fi
# A freshly written corpus is still being flushed to disk for a while; that
# write-back would slow down whichever command hyperfine happens to run first.
sync
mkdir -p "$RESULTS"
corpus_size=$(du -sh --apparent-size --exclude=.git "$DIR" | cut -f1)
corpus_files=$(find "$DIR" -path "$DIR/.git" -prune -o -type f -print | wc -l)
echo "$corpus_files files, $corpus_size (apparent size, without .git/); results in $RESULTS"

# ---------------------------------------------------------------- correctness run
# Run once first: a katscan that errors out should fail fast, not after the
# timing runs.  Working directory = corpus root, so paths match the manifest.
section "correctness run"
set +e
(cd "$DIR" && "$KATSCAN" scan . --format json --output "$RESULTS/katscan-findings.json")
kat_status=$?
set -e
((kat_status <= 1)) || die "katscan exited with $kat_status"
if [[ -e $DIR.manifest.jsonl ]]; then
    # Same walk, bare regex: validates the corpus/manifest pair independently of katscan.
    rg_status=0
    (cd "$DIR" && rg "${RG_FLAGS[@]}" --null -n -o "$REGEX" . > "$RESULTS/rg-matches.txt") || rg_status=$?
    ((rg_status <= 1)) || die "rg exited with $rg_status"
fi

# ---------------------------------------------------------------- timing
# Every tool runs with the corpus as working directory and scans ".": the
# same relative paths for all, and no tool picks up settings from whatever
# repository the script was started in (detect-secrets, for one, silently
# drops paths outside the git repository of its working directory).
cd "$DIR"
q() { printf '%q ' "$@"; }  # quote one command line for hyperfine's sh -c
names=(katscan rg-regex rg-keyword)
cmds=(
    "$(q "$KATSCAN" scan . --format json --output /dev/null)"
    "$(q rg "${RG_FLAGS[@]}" -c "$REGEX" .)"
    "$(q rg "${RG_FLAGS[@]}" -F -c kat_live_ .)"
)
if [[ $PEERS == 1 ]]; then
    section "peers"
    if ! command -v ripsecrets >/dev/null; then
        cargo install ripsecrets --locked || cargo install ripsecrets
    fi
    # ripsecrets: generic secret scanner in Rust (ignore crate, honours .gitignore).
    names+=(ripsecrets); cmds+=("$(q ripsecrets .)")
    # detect-secrets scans ~0.6 MB/s here (Python), i.e. about half an hour per
    # run on the 1 GiB corpus, so it only joins on small corpora.  It needs
    # --all-files (nothing is committed), which also scans gitignored files.
    max_mb=${BENCH_DETECT_SECRETS_MAX_MB:-32}
    dir_mb=$(du -sm --apparent-size --exclude=.git "$DIR" | cut -f1)
    if ((dir_mb <= max_mb)); then
        venv=$BENCH_ROOT/venv-detect-secrets
        [[ -x $venv/bin/detect-secrets ]] || { python3 -m venv "$venv" && "$venv/bin/pip" install -q detect-secrets; }
        names+=(detect-secrets); cmds+=("$(q "$venv/bin/detect-secrets" scan --all-files .)")
    else
        echo "skipping detect-secrets: corpus is ${dir_mb} MiB > ${max_mb} MiB" \
             "(BENCH_DETECT_SECRETS_MAX_MB); it would take ~$((dir_mb * 2 / 60 + 1)) min per run"
    fi
    echo "peers: ${names[*]:3}"
fi

section "hyperfine ($RUNS runs + 1 warmup per command, warm page cache)"
hf_args=(--warmup 1 --runs "$RUNS" --ignore-failure --output=pipe
         --export-json "$RESULTS/hyperfine.json" --export-markdown "$RESULTS/hyperfine.md")
for i in "${!cmds[@]}"; do hf_args+=(-n "${names[i]}" "${cmds[i]}"); done
hyperfine "${hf_args[@]}"

# ---------------------------------------------------------------- memory
# Output goes to a file, not /dev/null: some tools short-cut when writing there.
section "peak RSS (one run each, /usr/bin/time -v)"
measure() {  # measure NAME CMD...: exit 0/1 are both fine (1 = matches found)
    local name=$1; shift
    set +e
    /usr/bin/time -v -o "$RESULTS/rss-$name.txt" "$@" > "$RESULTS/out-$name.txt"
    local status=$?
    set -e
    ((status <= 1)) || die "$name exited with $status"
}
measure katscan "$KATSCAN" scan . --format json
measure rg-regex rg "${RG_FLAGS[@]}" -c "$REGEX" .

# ---------------------------------------------------------------- report
section "results (medians; the machine is shared, compare ratios not absolute times)"
rg_version=$(rg --version)
echo "corpus: $DIR ($corpus_files files, $corpus_size); $(nproc) cores; ${rg_version%%$'\n'*}; $(hyperfine --version)"
python3 "$REPO/bench/report.py" timing --hyperfine "$RESULTS/hyperfine.json" \
    --rss "katscan=$RESULTS/rss-katscan.txt" --rss "rg-regex=$RESULTS/rss-rg-regex.txt"

check_status=0
if [[ -e $DIR.manifest.jsonl ]]; then
    section "correctness (katscan findings vs planted keys)"
    python3 "$REPO/bench/report.py" check --manifest "$DIR.manifest.jsonl" \
        --decoys "$DIR.decoys.jsonl" --katscan "$RESULTS/katscan-findings.json" \
        --rg "$RESULTS/rg-matches.txt" || check_status=$?
else
    echo "no manifest next to $DIR: correctness check skipped"
fi
exit "$check_status"
