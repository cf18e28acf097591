#!/usr/bin/env bash
# The action's first step: use a katscan already on PATH, or say where the
# build of the action's own source goes and under which cache key, so
# actions/cache can restore it and cargo only builds on a cache miss.
set -euo pipefail

output="${GITHUB_OUTPUT:?GITHUB_OUTPUT is not set: this script runs inside GitHub Actions}"

if command -v katscan >/dev/null 2>&1; then
    echo "Using $(command -v katscan): $(katscan --version)"
    echo "found=true" >>"$output"
    exit 0
fi

source_dir="${GITHUB_ACTION_PATH:?GITHUB_ACTION_PATH is not set}"
install_root="${RUNNER_TEMP:-${TMPDIR:-/tmp}}/katscan-action"

if command -v sha256sum >/dev/null 2>&1; then
    hasher=(sha256sum)
else
    hasher=(shasum -a 256) # macOS
fi

# The key covers everything the binary is built from (not only Cargo.lock),
# so a new version of the action never reuses an old build. Paths are
# relative, so the key does not depend on where the runner unpacked it.
source_hash=$(
    cd "$source_dir"
    find Cargo.lock Cargo.toml build.rs src rules -type f -print0 |
        LC_ALL=C sort -z | xargs -0 "${hasher[@]}" | "${hasher[@]}" | cut -c1-32
)

echo "No katscan on PATH: it will be built from $source_dir into $install_root"
{
    echo "found=false"
    echo "install-root=$install_root"
    echo "cache-key=katscan-${RUNNER_OS:-$(uname -s)}-${RUNNER_ARCH:-$(uname -m)}-$source_hash"
} >>"$output"
# Later steps (and later steps of the job) find the binary here, built or
# restored from the cache.
echo "$install_root/bin" >>"${GITHUB_PATH:?GITHUB_PATH is not set}"
