"""Prints the median of each command of a hyperfine JSON export and its
ratio to every other command, so results are read as ratios measured in one
run (absolute times vary with the machine and its load).

Usage: python3 bench/medians.py RESULTS.json
"""

import json
import statistics
import sys


def main() -> None:
    results = json.load(open(sys.argv[1]))["results"]
    medians = {r["command"]: statistics.median(r["times"]) for r in results}
    width = max(len(name) for name in medians)
    for name, median in medians.items():
        print(f"{name:<{width}}  median {median * 1000:8.1f} ms")
    names = list(medians)
    for i, a in enumerate(names):
        for b in names[i + 1 :]:
            print(f"{a} / {b}: {medians[a] / medians[b]:.2f}x")


if __name__ == "__main__":
    main()
