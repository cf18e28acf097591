#!/usr/bin/env bash
# The action's second step, when no katscan is on PATH: download the
# prebuilt binary of the action's own release for this runner, verify it
# against the release's SHA256SUMS, and install it where locate.sh put PATH.
# Seconds instead of the two minutes `cargo install` takes on 2 cores.
#
# Outcomes (the `downloaded` output and the exit status):
# - installed and verified: downloaded=true, status 0;
# - no release for this ref, no binary for this runner, or the download
#   failed (HTTP error, no network, curl's time limit): downloaded=false,
#   status 0, and the action builds from source (`cargo install --locked`).
#   Building is always safe, so a network problem is no reason to fail;
# - a binary whose SHA-256 differs from SHA256SUMS: status 2 and nothing
#   installed. A tampered or corrupted download is never run, and never
#   silently replaced by a build either: someone must look at it.
#
# The action's ref and repository arrive as KATSCAN_ACTION_REF and
# KATSCAN_ACTION_REPOSITORY (from `github.action_ref` and
# `github.action_repository` through the step's `env:`: in a composite
# action those expressions are empty inside `run:` but set in `env:`,
# actions/runner#2473). When they are empty anyway, they are read from the
# action's path on the runner: .../_actions/OWNER/REPO/REF.
#
# KATSCAN_RELEASES_URL replaces https://github.com/OWNER/REPO/releases/download
# (tests serve releases from 127.0.0.1); KATSCAN_DOWNLOAD_TIMEOUT is curl's
# limit in seconds for one attempt.
set -euo pipefail

output="${GITHUB_OUTPUT:?GITHUB_OUTPUT is not set: this script runs inside GitHub Actions}"
action_path="${GITHUB_ACTION_PATH:?GITHUB_ACTION_PATH is not set}"
install_root="${KATSCAN_INSTALL_ROOT:?KATSCAN_INSTALL_ROOT is not set}"
timeout="${KATSCAN_DOWNLOAD_TIMEOUT:-120}"

# Workflow-command escaping, so nothing from a server or an input starts a
# command of its own.
escape() {
    local text=${1//%/%25}
    text=${text//$'\r'/%0D}
    printf '%s' "${text//$'\n'/%0A}"
}

fallback() {
    echo "katscan action: no prebuilt binary ($(escape "$*")): katscan will be built from source"
    echo "downloaded=false" >>"$output"
    exit 0
}

refuse() {
    echo "::error title=katscan action::$(escape "$*")"
    exit 2
}

ref="${KATSCAN_ACTION_REF:-}"
repository="${KATSCAN_ACTION_REPOSITORY:-}"
if [[ -z "$ref" || -z "$repository" ]]; then
    case "$action_path" in
        */_actions/*/*/*)
            rest=${action_path#*/_actions/}
            owner=${rest%%/*}
            rest=${rest#*/}
            name=${rest%%/*}
            ref=${rest#*/}
            repository="$owner/$name"
            ;;
    esac
fi
[[ -n "$ref" && -n "$repository" ]] || fallback "the action was not used from a GitHub repository at a ref"

# The version the action's source declares: releases are tagged v<version>.
version=$(sed -n 's/^version = "\([^"]*\)"$/\1/p' "$action_path/Cargo.toml" | head -n 1)
[[ -n "$version" ]] || fallback "no version in the action's Cargo.toml"

# A release tag ref must be the source's own version. A commit ref gets the
# binary of the release of that version only if the release was built from
# that very commit (the release's COMMIT file); a branch or a moving tag
# such as v1 has no release of its own.
expected_commit=""
if [[ "$ref" == "v$version" ]]; then
    tag="$ref"
elif [[ "$ref" =~ ^[0-9a-f]{40}$ ]]; then
    tag="v$version"
    expected_commit="$ref"
else
    fallback "the action's ref $ref is not its release tag v$version nor a commit"
fi

case "${RUNNER_OS:-$(uname -s)}/${RUNNER_ARCH:-$(uname -m)}" in
    Linux/X64 | Linux/x86_64) target=x86_64-unknown-linux-musl ;;
    Linux/ARM64 | Linux/aarch64) target=aarch64-unknown-linux-musl ;;
    macOS/X64 | Darwin/x86_64) target=x86_64-apple-darwin ;;
    macOS/ARM64 | Darwin/arm64) target=aarch64-apple-darwin ;;
    Windows/X64) target=x86_64-pc-windows-msvc ;;
    *) fallback "no release binary for ${RUNNER_OS:-?}/${RUNNER_ARCH:-?}" ;;
esac
extension=""
[[ "$target" == *-windows-* ]] && extension=".exe"
asset="katscan-$target$extension"

base="${KATSCAN_RELEASES_URL:-https://github.com/$repository/releases/download}"
# Only HTTPS, also after redirects; plain HTTP only when the base URL is
# overridden (the tests' local server).
protocols="=https"
[[ -n "${KATSCAN_RELEASES_URL:-}" ]] && protocols="=http,https"

command -v curl >/dev/null 2>&1 || fallback "curl is not installed"
if command -v sha256sum >/dev/null 2>&1; then
    hasher=(sha256sum)
else
    hasher=(shasum -a 256) # macOS
fi

work=$(mktemp -d "${RUNNER_TEMP:-${TMPDIR:-/tmp}}/katscan-download.XXXXXX")
trap 'rm -rf "$work"' EXIT

# curl's status and stderr explain a failed download; a 404 (no such
# release or asset) is the common case.
fetch() {
    local url="$base/$tag/$1"
    if ! curl --fail --silent --show-error --location --proto "$protocols" \
        --connect-timeout 10 --max-time "$timeout" --retry 2 --retry-delay 1 \
        --output "$work/$1" "$url" 2>"$work/curl.err"; then
        fallback "could not download $url: $(tr -d '\r' <"$work/curl.err" | tail -n 1)"
    fi
}

fetch SHA256SUMS
if [[ -n "$expected_commit" ]]; then
    fetch COMMIT
    built_from=$(tr -d '[:space:]' <"$work/COMMIT")
    [[ "$built_from" == "$expected_commit" ]] ||
        fallback "release $tag was built from $built_from, not from the action's commit $expected_commit"
fi
expected=$(awk -v name="$asset" '$2 == name || $2 == "*" name { print tolower($1); exit }' "$work/SHA256SUMS")
[[ "$expected" =~ ^[0-9a-f]{64}$ ]] || fallback "release $tag lists no $asset in SHA256SUMS"

fetch "$asset"
actual=$("${hasher[@]}" "$work/$asset" | cut -d ' ' -f 1)
if [[ "$actual" != "$expected" ]]; then
    rm -f "$work/$asset"
    refuse "the downloaded $asset of release $tag has SHA-256 $actual, but the release's SHA256SUMS says $expected: not installed, not run. The download was corrupted or tampered with; rerun the job, and report it if it happens again."
fi

mkdir -p "$install_root/bin"
binary="$install_root/bin/katscan$extension"
mv "$work/$asset" "$binary"
chmod +x "$binary"
if ! installed_version=$("$binary" --version 2>&1); then
    rm -f "$binary"
    fallback "the verified $asset of release $tag does not run on this runner"
fi
echo "Installed $installed_version from release $tag ($asset, SHA-256 verified)"
echo "downloaded=true" >>"$output"
