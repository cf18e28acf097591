#!/usr/bin/env bash
# Proves .pre-commit-hooks.yaml with the real pre-commit tool: in a
# throwaway repository whose .pre-commit-config.yaml points at this checkout
# (at HEAD: pre-commit clones a commit, so uncommitted changes are not
# seen), a clean commit passes and a commit with a Katalo key is refused.
#
# Usage: tests/precommit/run.sh [HOOK_ID]
#   katscan         (default) language: rust; pre-commit builds katscan with
#                   cargo install, as a user's first commit would
#   katscan-system  uses the katscan already on PATH
#   katscan-history, katscan-history-system
#                   the pre-push hooks: a push whose commits added and then
#                   removed a key is refused, a clean push passes
# Needs `pre-commit` and `git` on PATH (.ci/run installs pre-commit from
# PyPI into a virtual environment).
set -euo pipefail

hook="${1:-katscan}"
checkout=$(cd "$(dirname "$0")/../.." && pwd)
say() { printf -- '--- %s\n' "$*"; }
die() {
    printf 'pre-commit test FAILED: %s\n' "$*" >&2
    exit 1
}

command -v pre-commit >/dev/null || die "pre-commit is not on PATH"
command -v git >/dev/null || die "git is not on PATH"
if [[ "$hook" == *-system ]]; then
    command -v katscan >/dev/null || die "katscan-system needs katscan on PATH"
fi
rev=$(git -C "$checkout" rev-parse HEAD)
if ! git -C "$checkout" diff --quiet HEAD -- .pre-commit-hooks.yaml; then
    say "warning: .pre-commit-hooks.yaml has uncommitted changes; testing HEAD's"
fi

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
# A cache of our own: the hook is installed for real, not found from an
# earlier run.
export PRE_COMMIT_HOME="$work/pre-commit-cache"
project="$work/project"

git init -q "$project"
cd "$project"
git config user.email "ci@katscan.invalid"
git config user.name "katscan CI"
git config commit.gpgsign false
cat >.pre-commit-config.yaml <<YAML
repos:
  - repo: $checkout
    rev: $rev
    hooks:
      - id: $hook
YAML
pre-commit --version
random() { LC_ALL=C tr -dc "$1" </dev/urandom | head -c "$2" || true; }

if [[ "$hook" == katscan-history* ]]; then
    pre-commit install --hook-type pre-push
    git init -q --bare "$work/remote.git"
    git remote add origin "$work/remote.git"
    say "a clean push passes (installs the $hook hook first)"
    printf '# demo\n' >README.md
    git add .pre-commit-config.yaml README.md
    git commit -q -m "clean"
    git push -q origin HEAD:refs/heads/main || die "a clean push was refused"

    say "a push whose commits added and removed a key is refused"
    key_id=$(random 'A-Za-z0-9' 12)
    secret=$(random 'A-Za-z0-9' 40)
    printf 'KATALO_API_KEY=kat_live_%s.%s\n' "$key_id" "$secret" >config.env
    git add config.env
    git commit -q -m "add a key"
    git rm -q config.env
    git commit -q -m "remove it"
    log="$work/push.log"
    if git push origin HEAD:refs/heads/main >"$log" 2>&1; then
        cat "$log"
        die "the push of a key's history was accepted"
    fi
    cat "$log"
    grep -q "KAT001" "$log" || die "the refusal does not name KAT001"
    grep -q "$key_id" "$log" || die "the refusal does not name the key id $key_id"
    if grep -q "$secret" "$log"; then
        die "the hook printed the secret"
    fi
    say "pre-push hook $hook: OK"
    exit 0
fi
pre-commit install

say "a clean commit passes (installs the $hook hook first)"
printf '# demo\n\nRead the key from KATALO_API_KEY on the server.\n' >README.md
printf 'const key = process.env.KATALO_API_KEY;\n' >server.js
git add .pre-commit-config.yaml README.md server.js
started=$SECONDS
git commit -q -m "clean" || die "a clean commit was refused"
say "clean commit done in $((SECONDS - started))s (including the hook's installation)"

say "a commit with a key is refused"
# The key is made here, at run time, so no file holds a key literal.
# (tr ends on SIGPIPE when head has enough: not an error; see random.)
key_id=$(random 'A-Za-z0-9' 12)
secret=$(random 'A-Za-z0-9' 40)
printf 'import os\n\nKATALO_API_KEY = "kat_live_%s.%s"\n' "$key_id" "$secret" >settings.py
git add settings.py
log="$work/commit.log"
if git commit -m "add a key" >"$log" 2>&1; then
    cat "$log"
    die "the commit with a key was accepted"
fi
cat "$log"
grep -qE "KAT00[0-9]" "$log" || die "the refusal does not name a KAT rule"
grep -q "$key_id" "$log" || die "the refusal does not name the key id $key_id"
if grep -q "$secret" "$log"; then
    die "the hook printed the secret"
fi
[[ $(git rev-list --count HEAD) == 1 ]] || die "the key reached the history"

say "the commit passes once the key is replaced by the environment"
printf 'import os\n\nKATALO_API_KEY = os.environ["KATALO_API_KEY"]\n' >settings.py
git add settings.py
git commit -q -m "read the key from the environment" || die "the fixed commit was refused"

say "pre-commit hook $hook: OK"
