#!/usr/bin/env python3
"""Scores katscan's CORS rules on the CORS tests that semgrep and CodeQL ship
for their own CORS rules and queries, with *their* labels.

    python3 bench/cors_recall.py --semgrep SEMGREP --codeql CODEQL [--katscan BIN]

SEMGREP is a checkout of github.com/semgrep/semgrep-rules, or its bare git
directory (read with `git --git-dir=… show HEAD:path`). CODEQL is a checkout
(a sparse one is enough, see CODEQL_DIRS) of github.com/github/codeql. The
labelled files are copied to --corpus (default /tmp/cors-corpus, never the
repository: the tests carry their projects' licences and planted policies),
katscan scans that directory once (`katscan scan DIR -f json`), and every
CORS finding (any CORS rule) is matched to the labels:

- semgrep: `// ruleid: <rule>` (or `# ruleid:`, and `todoruleid:`) marks the
  next code line, or its own line when code precedes it, as a positive;
  `ok:` / `todook:` as a negative.
- CodeQL: `// $ Alert`, `// NOT OK`, `// BAD` on a code line mark it
  positive. Otherwise the `#select` rows of the directory's `.expected` files
  give the alert's start and end lines; a row is used only when it is
  consistent with the stored source (the quoted text is at that line and
  column, or the line holds the call or literal the row describes), since
  a test file and its `.expected` drift apart across versions. A file whose
  rows are all stale, or that has neither rows nor inline labels (an older
  or moved copy), is left out: its labels cannot be trusted.

A finding within 3 lines of a positive label (its start to end lines) is a
true positive; a positive label with such a finding is found. Other CORS
findings are false positives, except those within 3 lines after a `BAD`
comment that the source's labels do not cover (CodeQL leaves some
permissive constructs it does not model unlabelled): those are counted
apart, as "unlabelled BAD". Identical files (CodeQL copies tests between
query directories) are scored once.

Prints precision and recall per source and per language, then every miss
and every false positive. Exit status 0 unless katscan fails to run.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import re
import shutil
import subprocess
import sys
from collections import defaultdict
from dataclasses import dataclass, field
from pathlib import Path

# Semgrep rules about CORS: the test file beside each rule (same stem).
SEMGREP_FILES = [
    "java/lang/security/audit/permissive-cors.java",
    "javascript/express/security/cors-misconfiguration.js",
    "php/lang/security/php-permissive-cors.php",
    "php/symfony/security/audit/symfony-permissive-cors.php",
    "python/fastapi/security/wildcard-cors.py",
    "terraform/azure/security/appservice/azure-appservice-disallowed-cors.tf",
    "terraform/azure/security/azure-functionapp-disallow-cors.tf",
    "terraform/lang/security/s3-cors-all-origins.tf",
    "typescript/lang/security/audit/cors-regex-wildcard.tsx",
    "typescript/nestjs/security/audit/nestjs-header-cors-any.ts",
]

# CodeQL query-test directories of the CORS queries, per language.
CODEQL_DIRS = [
    "go/ql/test/experimental/CWE-942",
    "javascript/ql/test/query-tests/Security/CWE-942",
    "javascript/ql/test/query-tests/Security/CWE-346",
    "csharp/ql/test/experimental/CWE-942",
    "java/ql/test/experimental/query-tests/security/CWE-346",
]

SOURCE_EXTENSIONS = {
    ".go": "go",
    ".js": "javascript",
    ".ts": "typescript",
    ".tsx": "typescript",
    ".py": "python",
    ".php": "php",
    ".java": "java",
    ".cs": "csharp",
    ".tf": "terraform",
}

WINDOW = 3


@dataclass
class Labelled:
    source: str  # "semgrep" or "codeql"
    path: str  # path inside the source repository
    text: str
    positives: list[tuple[int, int]] = field(default_factory=list)  # line ranges
    negatives: list[int] = field(default_factory=list)
    bad_comments: list[int] = field(default_factory=list)

    @property
    def language(self) -> str:
        return SOURCE_EXTENSIONS.get(Path(self.path).suffix, Path(self.path).suffix)


# --- reading the sources ---------------------------------------------------


def reader(root: str):
    """A function path -> text (or None) over a checkout or a bare git dir."""
    root_path = Path(root)
    if (root_path / "HEAD").is_file() and (root_path / "objects").is_dir():

        def read_git(path: str) -> str | None:
            result = subprocess.run(
                ["git", f"--git-dir={root}", "show", f"HEAD:{path}"],
                capture_output=True,
            )
            if result.returncode != 0:
                return None
            return result.stdout.decode("utf-8", "replace")

        def list_git(directory: str) -> list[str]:
            result = subprocess.run(
                ["git", f"--git-dir={root}", "ls-tree", "--name-only", f"HEAD:{directory}"],
                capture_output=True,
                text=True,
            )
            return [f"{directory}/{n}" for n in result.stdout.split()] if result.returncode == 0 else []

        return read_git, list_git

    def read_dir(path: str) -> str | None:
        full = root_path / path
        return full.read_text("utf-8", "replace") if full.is_file() else None

    def list_dir(directory: str) -> list[str]:
        full = root_path / directory
        if not full.is_dir():
            return []
        return sorted(f"{directory}/{p.name}" for p in full.iterdir() if p.is_file())

    return read_dir, list_dir


# --- labels ----------------------------------------------------------------

SEMGREP_ANNOTATION = re.compile(r"(?:#|//|/\*|<!--)\s*(todoruleid|ruleid|todook|ok)\s*:")


def code_before(line: str, match: re.Match) -> bool:
    return bool(line[: match.start()].strip())


def construct_end(lines: list[str], start: int, limit: int = 60) -> int:
    """Index of the last line of the construct starting at `start`: semgrep
    labels the first line of a match that may span a whole method or call.
    Brackets are counted (strings are not lexed: good enough for tests);
    decorator lines (`@Override`) belong to what follows them."""
    depth, opened = 0, False
    for index in range(start, min(len(lines), start + limit)):
        line = lines[index]
        for char in line:
            if char in "([{":
                depth += 1
                opened = True
            elif char in ")]}":
                depth -= 1
        if line.strip().startswith("@") and depth <= 0:
            continue
        # A statement ends with `;`, `,` or a closing brace; a method
        # signature (`void f(…)`, `throws …`) goes on to its body.
        if depth <= 0 and line.rstrip().endswith((";", ",", "}")):
            return index
        if depth <= 0 and opened and not line.rstrip().endswith(")"):
            return index
    return start


def semgrep_labels(item: Labelled) -> None:
    lines = item.text.split("\n")
    for index, line in enumerate(lines):
        match = SEMGREP_ANNOTATION.search(line)
        if not match:
            continue
        kind = match.group(1)
        if code_before(line, match):
            target = index
        else:
            target = index + 1
            while target < len(lines) and SEMGREP_ANNOTATION.search(lines[target]) and not code_before(
                lines[target], SEMGREP_ANNOTATION.search(lines[target])
            ):
                target += 1
        line_no = target + 1
        if kind in ("ruleid", "todoruleid"):
            item.positives.append((line_no, construct_end(lines, target) + 1))
        else:
            item.negatives.append(line_no)


# On a code line (a comment line of its own only describes the next lines).
INLINE_POSITIVE = re.compile(r"\S.*?//\s*(\$\s*Alert|NOT OK|BAD\b)")
INLINE_NEGATIVE = re.compile(r"\S.*?//\s*(OK\b|GOOD\b)")
BAD_COMMENT = re.compile(r"(//|#)\s*(BAD\b|NOT OK)")
EXPECTED_ROW = re.compile(r"^\|\s*([^|:]+):(\d+):(\d+):(\d+):(\d+)\s*\|\s*([^|]*?)\s*\|")


def expected_rows(text: str):
    """(file, start line, start col, end line, end col, label) of each alert."""
    section = "#select"
    for line in text.splitlines():
        if line and not line.startswith("|"):
            section = line.strip()
            continue
        if section != "#select":
            continue
        match = EXPECTED_ROW.match(line)
        if match:
            name, l1, c1, l2, c2, label = match.groups()
            yield name, int(l1), int(c1), int(l2), int(c2), label


def consistent(source_lines: list[str], l1: int, c1: int, l2: int, c2: int, label: str) -> bool:
    """Whether an `.expected` row fits this version of the source."""
    if l1 > len(source_lines) or l2 > len(source_lines):
        return False
    line = source_lines[l1 - 1]
    if l1 == l2 and line[c1 - 1 : c2] == label:
        return True
    if label == "slice literal":
        return line[c1 - 1 : c1 + 1] == "[]" and '"null"' in line[c1 - 1 :]
    call = re.match(r"call to (?:method )?(\w+)", label)
    if call:
        return line[c1 - 1 :].find(call.group(1)) >= 0
    return False


def codeql_labels(items: list[Labelled], expected_texts: list[str]) -> list[Labelled]:
    rows = defaultdict(list)
    for text in expected_texts:
        for name, l1, c1, l2, c2, label in expected_rows(text):
            rows[name].append((l1, c1, l2, c2, label))
    kept = []
    for item in items:
        lines = item.text.split("\n")
        item.bad_comments = [i + 1 for i, line in enumerate(lines) if BAD_COMMENT.search(line)]
        inline = [i + 1 for i, line in enumerate(lines) if INLINE_POSITIVE.search(line)]
        name = Path(item.path).name
        if inline:
            item.positives = [(n, n) for n in inline]
        elif rows.get(name):
            good = [(l1, l2) for l1, c1, l2, c2, label in rows[name] if consistent(lines, l1, c1, l2, c2, label)]
            if not good:
                print(f"  left out {item.path}: its .expected rows do not fit this version", file=sys.stderr)
                continue
            item.positives = sorted(set(good))
        else:
            # Not in this version's `.expected` and no inline label: an
            # older or moved copy, whose labels are unknown.
            print(f"  left out {item.path}: no inline label and no .expected row", file=sys.stderr)
            continue
        item.negatives = [i + 1 for i, line in enumerate(lines) if INLINE_NEGATIVE.search(line)]
        kept.append(item)
    return kept


# --- collecting ------------------------------------------------------------


def collect(semgrep: str | None, codeql: str | None) -> list[Labelled]:
    items: list[Labelled] = []
    if semgrep:
        read, _ = reader(semgrep)
        for path in SEMGREP_FILES:
            text = read(path)
            if text is None:
                print(f"  missing in semgrep-rules: {path}", file=sys.stderr)
                continue
            item = Labelled("semgrep", path, text)
            semgrep_labels(item)
            items.append(item)
    if codeql:
        read, listing = reader(codeql)
        seen: set[str] = set()
        for directory in CODEQL_DIRS:
            names = listing(directory)
            if not names:
                print(f"  missing in codeql: {directory}", file=sys.stderr)
                continue
            expected = [read(n) or "" for n in names if n.endswith(".expected")]
            sources = []
            for name in names:
                if Path(name).suffix not in SOURCE_EXTENSIONS:
                    continue
                text = read(name) or ""
                # CodeQL copies tests between query directories: score once.
                digest = hashlib.sha256(
                    re.sub(r"\s*//\s*\$.*", "", text).strip().encode()
                ).hexdigest()
                if digest in seen:
                    continue
                seen.add(digest)
                sources.append(Labelled("codeql", name, text))
            items.extend(codeql_labels(sources, expected))
    return items


# --- scoring ---------------------------------------------------------------


def scan(items: list[Labelled], corpus: Path, katscan: str) -> dict[str, list[dict]]:
    if corpus.exists():
        if not (corpus / ".cors-corpus").is_file():
            sys.exit(f"{corpus} exists and is not a corpus this script wrote; remove it or pick another")
        shutil.rmtree(corpus)
    corpus.mkdir(parents=True)
    (corpus / ".cors-corpus").write_text("written by bench/cors_recall.py\n")
    for item in items:
        target = corpus / item.source / item.path
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(item.text)
    command = [katscan, "scan", str(corpus), "-f", "json", "-q", "--no-config", "--no-ignore"]
    result = subprocess.run(command, capture_output=True, text=True)
    if result.returncode not in (0, 1):
        sys.exit(f"katscan failed ({result.returncode}): {result.stderr}")
    by_file: dict[str, list[dict]] = defaultdict(list)
    prefix = str(corpus) + os.sep
    for finding in json.loads(result.stdout)["findings"]:
        if not finding["rule_id"].startswith("CORS"):
            continue
        path = finding["path"]
        path = path[len(prefix) :] if path.startswith(prefix) else path
        by_file[path].append(finding)
    return by_file


def near(line: int, span: tuple[int, int]) -> bool:
    return span[0] - WINDOW <= line <= span[1] + WINDOW


def score(items: list[Labelled], by_file: dict[str, list[dict]]):
    tally = defaultdict(lambda: {"tp": 0, "fp": 0, "found": 0, "positives": 0, "neutral": 0})
    misses, false_positives = [], []
    for item in items:
        key = f"{item.source}/{item.path}"
        findings = by_file.get(key, [])
        groups = [(item.source, "all"), (item.source, item.language), ("all", "all")]
        for span in item.positives:
            hit = any(near(f["line"], span) for f in findings)
            for g in groups:
                tally[g]["positives"] += 1
                tally[g]["found"] += hit
            if not hit:
                line_text = item.text.split("\n")[span[0] - 1].strip()
                misses.append(f"{key}:{span[0]}: {line_text[:100]}")
        for f in findings:
            if any(near(f["line"], span) for span in item.positives):
                kind = "tp"
            elif any(0 <= f["line"] - bad <= WINDOW for bad in item.bad_comments):
                kind = "neutral"
            else:
                kind = "fp"
                false_positives.append(f"{key}:{f['line']}: {f['rule_id']} {f['match'][:80]}")
            for g in groups:
                tally[g][kind] += 1
    return tally, misses, false_positives


def ratio(a: int, b: int) -> str:
    return f"{a / b:.2f}" if b else "-"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--semgrep", help="semgrep-rules checkout or bare git dir")
    parser.add_argument("--codeql", help="codeql checkout (sparse is enough) or bare git dir")
    parser.add_argument("--corpus", default="/tmp/cors-corpus", help="where the labelled files are copied")
    parser.add_argument("--katscan", default="target/release/katscan", help="the katscan binary")
    args = parser.parse_args()
    if not args.semgrep and not args.codeql:
        parser.error("give --semgrep and/or --codeql")
    corpus = Path(args.corpus).resolve()
    if Path.cwd().resolve() in corpus.parents and (Path.cwd() / ".git").exists():
        parser.error("--corpus must be outside the repository")

    items = collect(args.semgrep, args.codeql)
    by_file = scan(items, corpus, args.katscan)
    tally, misses, false_positives = score(items, by_file)

    print(f"{'source':8} {'language':11} {'recall':>14} {'precision':>16} {'unlabelled BAD':>15}")
    for (source, language), t in sorted(tally.items(), key=lambda kv: (kv[0][0] == "all", kv[0][1] != "all", kv[0])):
        found, positives, tp, fp = t["found"], t["positives"], t["tp"], t["fp"]
        print(
            f"{source:8} {language:11} {ratio(found, positives):>5} ({found:>3}/{positives:<3})"
            f" {ratio(tp, tp + fp):>6} ({tp:>3}/{tp + fp:<3}) {t['neutral']:>15}"
        )
    print(f"\nmisses ({len(misses)}):")
    for line in misses:
        print(f"  {line}")
    print(f"\nfalse positives ({len(false_positives)}):")
    for line in false_positives:
        print(f"  {line}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
