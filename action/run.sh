#!/usr/bin/env bash
# The action's scan step. One `katscan scan` writes three reports: SARIF
# (for code scanning), GitHub annotations and a Markdown job summary. With
# the history input on "auto", `katscan history` then scans the event's
# commits (a pull request's base..head, a push's before..after) into
# annotations and the summary too, and a second SARIF file beside the
# first; the step's outcome is the worse of the two. This script caps the
# annotations at what GitHub shows, appends the summary and sets the
# step's outputs.
#
# Findings do not fail this step: katscan's exit status goes to the
# `exit-code` output, and the action's last step fails the job with it,
# after the SARIF upload (which must happen precisely when there are
# findings). Bad inputs fail here, with exit status 2.
#
# Inputs arrive as environment variables (INPUT_PATH, INPUT_ARGS,
# INPUT_FAIL_ON, INPUT_SARIF_FILE, INPUT_UPLOAD_SARIF), never spliced into
# script text.
set -euo pipefail

# GitHub shows at most 10 annotations of each level per step.
annotation_limit=10

# Workflow-command escaping, so no input can start a command of its own.
escape() {
    local text=${1//%/%25}
    text=${text//$'\r'/%0D}
    printf '%s' "${text//$'\n'/%0A}"
}

fail() {
    echo "::error title=katscan action::$(escape "$*")"
    exit 2
}

output="${GITHUB_OUTPUT:?GITHUB_OUTPUT is not set: this script runs inside GitHub Actions}"
summary="${GITHUB_STEP_SUMMARY:?GITHUB_STEP_SUMMARY is not set: this script runs inside GitHub Actions}"
cd "${GITHUB_WORKSPACE:-.}"

scan_path="${INPUT_PATH:-.}"
fail_on="${INPUT_FAIL_ON:-warning}"
sarif_file="${INPUT_SARIF_FILE:-katscan.sarif}"
upload="${INPUT_UPLOAD_SARIF:-false}"

history="${INPUT_HISTORY:-auto}"

case "$upload" in
    true | false) ;;
    *) fail "upload-sarif must be \"true\" or \"false\", not \"$upload\"" ;;
esac
case "$history" in
    auto | false) ;;
    *) fail "history must be \"auto\" or \"false\", not \"$history\"" ;;
esac
case "$sarif_file" in
    *$'\n'* | *$'\r'*) fail "sarif-file must not contain a line break" ;;
esac
command -v katscan >/dev/null 2>&1 || fail "katscan is not on PATH"

# `args` is split like a shell splits words (quotes group, backslashes
# escape) by xargs, which never expands or runs anything in it.
extra_args=()
if [[ -n "${INPUT_ARGS:-}" && -n "${INPUT_ARGS//[[:space:]]/}" ]]; then
    parsed=$(mktemp)
    if ! printf '%s' "$INPUT_ARGS" | xargs printf '%s\0' >"$parsed" 2>/dev/null; then
        rm -f "$parsed"
        fail "args has unbalanced quotes: $INPUT_ARGS"
    fi
    while IFS= read -r -d '' arg; do
        extra_args+=("$arg")
    done <"$parsed"
    rm -f "$parsed"
fi
for arg in ${extra_args[@]+"${extra_args[@]}"}; do
    case "$arg" in
        --no-redact)
            fail "args must not contain --no-redact: the action's output is logged" ;;
        --format | --format=* | -f*)
            fail "args must not set --format: the action writes SARIF, annotations and a summary itself" ;;
        --output | --output=* | -o*)
            fail "args must not set --output: use the sarif-file input" ;;
        --fail-on | --fail-on=*)
            fail "args must not set --fail-on: use the fail-on input" ;;
    esac
done

work=$(mktemp -d "${RUNNER_TEMP:-${TMPDIR:-/tmp}}/katscan.XXXXXX")
trap 'rm -rf "$work"' EXIT
annotations="$work/annotations"
markdown="$work/summary.md"

# A SARIF file left from an earlier step must not be uploaded as this
# scan's result.
rm -f "$sarif_file"
sarif_dir=$(dirname "$sarif_file")
mkdir -p "$sarif_dir" || fail "cannot create the directory of sarif-file: $sarif_dir"

status=0
katscan scan "$scan_path" ${extra_args[@]+"${extra_args[@]}"} \
    --fail-on "$fail_on" \
    --format github --output "$annotations" \
    --report "sarif=$sarif_file" \
    --report "markdown=$markdown" || status=$?

[[ -f "$annotations" ]] || : >"$annotations"

# The event's commits: what a pull request or a push brings in, which the
# working tree no longer shows when a key was added and then removed.
zero=0000000000000000000000000000000000000000
range=()
case "${KATSCAN_EVENT_NAME:-}" in
    pull_request | pull_request_target)
        [[ -n "${KATSCAN_PR_BASE:-}" && -n "${KATSCAN_PR_HEAD:-}" ]] &&
            range=("$KATSCAN_PR_BASE..$KATSCAN_PR_HEAD") ;;
    push)
        if [[ -n "${KATSCAN_PUSH_AFTER:-}" && "$KATSCAN_PUSH_AFTER" != "$zero" ]]; then
            if [[ -n "${KATSCAN_PUSH_BEFORE:-}" && "$KATSCAN_PUSH_BEFORE" != "$zero" ]]; then
                range=("$KATSCAN_PUSH_BEFORE..$KATSCAN_PUSH_AFTER")
            elif [[ -n "${KATSCAN_DEFAULT_BRANCH:-}" ]] &&
                git rev-parse -q --verify "refs/remotes/origin/$KATSCAN_DEFAULT_BRANCH^{commit}" >/dev/null 2>&1; then
                # A new branch: its commits that the default branch lacks.
                range=("$KATSCAN_PUSH_AFTER" "^refs/remotes/origin/$KATSCAN_DEFAULT_BRANCH")
            else
                range=("$KATSCAN_PUSH_AFTER")
            fi
        fi ;;
esac
history_status=0
if [[ "$history" == auto && ${#range[@]} -gt 0 ]]; then
    # Every commit the range names must be here: a shallow checkout
    # (actions/checkout fetches one commit by default) would otherwise
    # scan less than the pull request, or nothing, without a word.
    missing=""
    for revision in "${range[@]}"; do
        for commit in ${revision//../ }; do
            commit=${commit#^}
            [[ "$commit" == refs/* ]] && continue
            git cat-file -e "$commit^{commit}" 2>/dev/null || missing="$missing $commit"
        done
    done
    history_sarif="${sarif_file%.sarif}-history.sarif"
    rm -f "$history_sarif"
    if [[ -n "$missing" ]]; then
        echo "::error title=katscan history::$(escape "the checkout is too shallow to scan the commits of this ${KATSCAN_EVENT_NAME} (missing:$missing): set \`fetch-depth: 0\` on actions/checkout, or \`history: false\` on katscan to scan the working tree only")"
        history_status=2
    else
        katscan history "${range[@]}" \
            --fail-on "$fail_on" \
            --format github --output "$work/history-annotations" \
            --report "sarif=$history_sarif" \
            --report "markdown=$work/history.md" || history_status=$?
        if [[ -f "$work/history-annotations" ]]; then
            cat "$work/history-annotations" >>"$annotations"
        fi
    fi
fi
findings=$(grep -c '^::' "$annotations" || true)

# Print the first annotations of each level. The closing notice takes one
# notice slot, so notices get one fewer when anything is left out.
SARIF_NAME=$(escape "$sarif_file") awk -v limit="$annotation_limit" '
    {
        level = substr($1, 3)
        lines[NR] = $0
        levels[NR] = level
        count[level]++
    }
    END {
        hidden = 0
        for (l in count) if (l != "notice" && count[l] > limit) hidden += count[l] - limit
        notice_cap = limit
        if (hidden > 0 || count["notice"] > limit) notice_cap = limit - 1
        if (count["notice"] > notice_cap) hidden += count["notice"] - notice_cap
        for (i = 1; i <= NR; i++) {
            cap = (levels[i] == "notice") ? notice_cap : limit
            if (++shown[levels[i]] <= cap) print lines[i]
        }
        if (hidden > 0) {
            printf "::notice title=katscan::%d more finding%s not shown as annotations (GitHub shows %d per level per step): see the job summary and the SARIF report %s\n", hidden, (hidden == 1 ? " is" : "s are"), limit, ENVIRON["SARIF_NAME"]
        }
    }
' "$annotations"

if [[ -s "$markdown" ]]; then
    cat "$markdown" >>"$summary"
else
    printf '## katscan: the scan did not complete\n\nkatscan exited with status %d before writing its report: see the job log.\n' "$status" >>"$summary"
fi
if [[ -s "$work/history.md" ]]; then
    printf '\n### Commits %s\n\n' "${range[*]}" >>"$summary"
    cat "$work/history.md" >>"$summary"
fi

# One outcome: an error in either scan, else findings in either.
if [[ $status -ne 2 && $history_status -ne 0 ]]; then
    if [[ $history_status -eq 2 || $status -eq 0 ]]; then
        status=$history_status
    fi
fi

sarif_written=false
[[ -s "$sarif_file" ]] && sarif_written=true
{
    echo "findings=$findings"
    echo "sarif-file=$sarif_file"
    echo "sarif-written=$sarif_written"
    echo "exit-code=$status"
} >>"$output"

case "$status" in
    0) echo "katscan: no findings at or above $fail_on" ;;
    1) echo "katscan: $findings finding(s); the job fails after the SARIF report is handled" ;;
    *) echo "katscan: the scan stopped with an error (exit status $status); the job fails after the SARIF report is handled" ;;
esac
