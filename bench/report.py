#!/usr/bin/env python3
"""Summaries for bench/run.sh (Python 3.11 stdlib only).

  report.py timing  --hyperfine H.json [--rss NAME=TIME_V_OUTPUT ...]
  report.py check   --manifest M.jsonl --decoys D.jsonl --katscan FINDINGS.json
                    [--rg RG_MATCHES]

`timing` prints per-command medians (the machine is noisy: medians and
ratios are the result, not single absolute times) and the katscan/ripgrep
ratios.  `check` compares katscan's JSON findings with the corpus manifest and
exits 1 when a planted key that must be found is missing.
"""

from __future__ import annotations

import argparse
import json
import re
import sys
from collections import Counter, defaultdict
from pathlib import Path

LIVE = "kat_" + "live_"  # split: keep key-shaped literals out of the repository


def norm(path: str) -> str:
    """Corpus-relative POSIX path: katscan/rg print './a/b' when scanning '.'."""
    path = path.replace("\\", "/")
    while path.startswith("./"):
        path = path[2:]
    return path


# ----------------------------------------------------------------- timing
def peak_rss_kib(path: Path) -> int | None:
    m = re.search(r"Maximum resident set size \(kbytes\): (\d+)", path.read_text())
    return int(m.group(1)) if m else None


def secs(t: float) -> str:
    return f"{t:.3f} s" if t >= 1 else f"{t * 1000:.1f} ms"


def timing(args: argparse.Namespace) -> int:
    data = json.loads(Path(args.hyperfine).read_text())
    results = {r["command"]: r for r in data["results"]}
    print(f"{'command':<16} {'median':>10} {'mean ± σ':>22} {'min':>10} {'max':>10} {'runs':>5}")
    for name, r in results.items():
        spread = f"{secs(r['mean'])} ± {secs(r['stddev'] or 0)}"
        print(f"{name:<16} {secs(r['median']):>10} {spread:>22} {secs(r['min']):>10} "
              f"{secs(r['max']):>10} {len(r['times']):>5}")
        failed = [c for c in r.get("exit_codes", []) if c not in (0, 1)]
        if failed:  # -i hides errors; exit 2 would mean a broken run, not a slow one
            print(f"  WARNING: {name} exited with {sorted(set(failed))} in {len(failed)} runs")

    kat = results.get("katscan")
    if kat:
        print()
        for other in results:
            if other != "katscan":
                ratio = kat["median"] / results[other]["median"]
                print(f"ratio katscan / {other:<16} {ratio:7.3g}  (median / median; < 1 = katscan faster)")

    if args.rss:
        print()
        for item in args.rss:
            name, _, path = item.partition("=")
            kib = peak_rss_kib(Path(path))
            print(f"peak RSS {name:<16} {kib / 1024:8.1f} MiB" if kib else f"peak RSS {name}: n/a")
    return 0


# ------------------------------------------------------------------ check
def load_jsonl(path: str) -> list[dict]:
    return [json.loads(line) for line in Path(path).read_text().splitlines() if line.strip()]


def rg_matches(path: str) -> set[tuple[str, int, str]]:
    """Parse `rg --null -n -o` output: PATH\\0LINE:MATCH per line."""
    out = set()
    for raw in Path(path).read_bytes().split(b"\n"):
        if not raw:
            continue
        p, _, rest = raw.partition(b"\0")
        line, _, match = rest.partition(b":")
        text = match.decode("utf-8", "replace")
        key_id = text[len(LIVE):].split(".", 1)[0]
        out.add((norm(p.decode("utf-8", "replace")), int(line), key_id))
    return out


def show(rows: list, limit: int = 25) -> None:
    for row in rows[:limit]:
        print("    " + row)
    if len(rows) > limit:
        print(f"    ... and {len(rows) - limit} more")


def check(args: argparse.Namespace) -> int:
    live = load_jsonl(args.manifest)
    decoys = load_jsonl(args.decoys)
    doc = json.loads(Path(args.katscan).read_text())
    # Only key findings can be matched against the manifest; findings of other
    # rules (no key_id) are counted but not judged here.
    keyed = [f for f in doc["findings"] if f.get("key_id")]
    findings = {(norm(f["path"]), int(f["line"]), f["key_id"]) for f in keyed}

    expected = {(r["path"], r["line"], r["key_id"]): r for r in live if r["expected"]}
    excluded = {(r["path"], r["line"], r["key_id"]): r for r in live if not r["expected"]}
    # Bundles and source maps are one line, so a line can hold several decoys:
    # look them up by key_id first, by line only for non-key decoys.
    decoy_at = {(d["path"], d["line"]): d for d in decoys}
    decoy_at.update({(d["path"], d["line"], d["key_id"]): d for d in decoys if d["key_id"]})
    live_at = {(r["path"], r["line"]): r for r in live}

    found = [k for k in expected if k in findings]
    missing = [k for k in expected if k not in findings]
    print(f"planted keys found: {len(found)} / {len(expected)} expected "
          f"({len(live)} planted, {len(excluded)} in gitignored/binary/oversize files)")
    per_ctx, per_ctx_found = Counter(), Counter()
    for k, r in expected.items():
        per_ctx[r["context"]] += 1
        per_ctx_found[r["context"]] += k in findings
    print("  by context: " + ", ".join(f"{c} {per_ctx_found[c]}/{n}" for c, n in sorted(per_ctx.items())))
    if missing:
        print(f"MISSING ({len(missing)}):")
        show([f"{p}:{ln} key_id={kid} [{expected[(p, ln, kid)]['context']}] "
              f"col {expected[(p, ln, kid)]['column']}" for p, ln, kid in sorted(missing)])

    # Everything katscan reported that is not an expected key, by kind.
    extra = defaultdict(list)
    for p, ln, kid in sorted(findings - expected.keys(), key=lambda x: (x[0], x[1], str(x[2]))):
        if (p, ln, kid) in excluded:
            reason = excluded[(p, ln, kid)]["excluded_reason"]
            kind = f"planted key in a {reason} file (should have been skipped)"
            extra[kind].append(f"{p}:{ln} key_id={kid}")
        elif (p, ln, kid) in decoy_at or (p, ln) in decoy_at:
            d = decoy_at.get((p, ln, kid)) or decoy_at[(p, ln)]
            extra[f"decoy ({d['class']})"].append(f"{p}:{ln} key_id={kid} token={d['token']!r}")
        elif (p, ln) in live_at:
            extra["wrong key_id for a planted key"].append(
                f"{p}:{ln} reported key_id={kid}, planted {live_at[(p, ln)]['key_id']}")
        else:
            extra["unexpected (not planted)"].append(f"{p}:{ln} key_id={kid}")
    n_extra = sum(map(len, extra.values()))
    print(f"false positives / unexpected findings: {n_extra}"
          + (f" (decoys planted: {len(decoys)})" if not n_extra else ""))
    for kind, rows in extra.items():
        print(f"  {kind}: {len(rows)}")
        show(rows, 10)
    dup = len(keyed) - len(findings)
    if dup:
        print(f"note: {dup} duplicate findings (same path, line, key_id)")
    if len(keyed) < len(doc["findings"]):
        print(f"note: {len(doc['findings']) - len(keyed)} findings without key_id (other rules) not checked")

    if args.rg:
        # Sanity check of the corpus itself, independent of katscan: the bare
        # regex must hit exactly the expected keys plus the regex-shaped placeholders.
        predicted = set(expected) | {(d["path"], d["line"], d["key_id"]) for d in decoys
                                     if d["class"] == "placeholder"}
        got = rg_matches(args.rg)
        if got == predicted:
            print(f"corpus sanity (ripgrep regex): OK, {len(got)} matches = {len(expected)} keys"
                  f" + {len(predicted) - len(expected)} regex-shaped placeholders")
        else:
            print("corpus sanity (ripgrep regex): MISMATCH - manifest and corpus disagree")
            show([f"rg only: {x}" for x in sorted(got - predicted)], 10)
            show([f"manifest only: {x}" for x in sorted(predicted - got)], 10)
    return 1 if missing else 0


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    sub = ap.add_subparsers(dest="cmd", required=True)
    t = sub.add_parser("timing")
    t.add_argument("--hyperfine", required=True)
    t.add_argument("--rss", action="append", default=[], metavar="NAME=FILE")
    c = sub.add_parser("check")
    c.add_argument("--manifest", required=True)
    c.add_argument("--decoys", required=True)
    c.add_argument("--katscan", required=True)
    c.add_argument("--rg")
    args = ap.parse_args()
    return timing(args) if args.cmd == "timing" else check(args)


if __name__ == "__main__":
    sys.exit(main())
