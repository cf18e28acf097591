"""Writes the adversarial corpus of issue 13: files of ordinary-looking code
in which every file says a CORS gate word (`origin`, `cors`) or `katalo`,
often many times, so that keyword prefilters admit every file and gated
detectors run everywhere. No live key, no CORS misconfiguration: a scanner
should report nothing, and what it costs is the price of its gates.

Usage: python3 bench/gen_adversarial.py OUT_DIR [--size-mb 400] [--files 20000] [--seed 13]

Stdlib only; the same arguments give a byte-identical corpus. OUT_DIR is
created; an existing OUT_DIR is only replaced if it holds this script's
stamp file.
"""

import argparse
import os
import random
import shutil

STAMP = ".adversarial-corpus"

# Lines that say a gate word the way real code does, without a finding.
GATE_LINES = [
    "const origin = req.headers.origin || '';",
    "if (allowedOrigins.includes(origin)) {{ res.setHeader('Vary', 'Origin'); }}",
    "origin_{n} = urlparse(request.url).netloc  # origin of the call",
    "logger.debug(\"cors preflight for %s\", origin_{n})",
    "// see docs/cors.md: the origin list lives in settings",
    "func originOf{n}(r *http.Request) string {{ return r.Header.Get(\"Origin\") }}",
    "let origin_{n} = url.origin(); // same-origin check",
    "import corsConfig{n} from './config/cors-settings';",
    "CORS_ALLOWED_ORIGINS_{n} = env.list(\"ALLOWED_ORIGINS\", default=[])",
    "katalo_client_{n} = KataloClient(api_key=os.environ[\"KATALO_API_KEY\"])",
    "// Katalo: requests are signed on the server, never from the browser",
    "const katalo{n} = createKataloClient({{ baseUrl: process.env.KATALO_URL }});",
    "git remote add origin git@example.com:team/repo{n}.git",
    "    origin: {{ x: {n}, y: {n} }},",
]

FILLER_LINES = [
    "function handler{n}(event, context) {{ return process(event.body, {n}); }}",
    "    total_{n} += item.price * item.quantity",
    "SELECT id, name, created_at FROM accounts WHERE id = {n};",
    "export const value{n} = computeValue({n}, options);",
    "    if err != nil {{ return fmt.Errorf(\"step {n}: %w\", err) }}",
    "for (let i = 0; i < items.length; i++) {{ sum += items[i].weight * {n}; }}",
    "    self.cache[key_{n}] = compute(key_{n})",
    "<div class=\"card-{n}\"><span>{{{{ title }}}}</span></div>",
    "# step {n}: normalise the input before it is stored",
    "    assert_eq!(parse(\"{n}\"), Ok({n}));",
]

EXTENSIONS = [".js", ".ts", ".py", ".go", ".rb", ".java", ".tsx", ".php", ".yml", ".conf"]


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("out")
    parser.add_argument("--size-mb", type=int, default=400)
    parser.add_argument("--files", type=int, default=20000)
    parser.add_argument("--seed", type=int, default=13)
    args = parser.parse_args()

    if os.path.exists(args.out):
        if not os.path.exists(os.path.join(args.out, STAMP)):
            raise SystemExit(f"{args.out} exists and is not a generated corpus; not touching it")
        shutil.rmtree(args.out)
    os.makedirs(args.out)
    rng = random.Random(args.seed)
    per_file = args.size_mb * 1024 * 1024 // args.files
    for index in range(args.files):
        directory = os.path.join(args.out, f"pkg{index // 1000:03d}", f"mod{index // 100 % 10}")
        os.makedirs(directory, exist_ok=True)
        # One gate line in every file, then one line in eight or so.
        gate_share = rng.choice([0.02, 0.12, 0.3])
        lines = [rng.choice(GATE_LINES).format(n=index)]
        size = len(lines[0]) + 1
        while size < per_file:
            pool = GATE_LINES if rng.random() < gate_share else FILLER_LINES
            line = rng.choice(pool).format(n=rng.randrange(100000))
            lines.append(line)
            size += len(line) + 1
        name = f"file{index:05d}{EXTENSIONS[index % len(EXTENSIONS)]}"
        with open(os.path.join(directory, name), "w") as f:
            f.write("\n".join(lines) + "\n")
    with open(os.path.join(args.out, STAMP), "w") as f:
        f.write(f"size_mb={args.size_mb} files={args.files} seed={args.seed}\n")


if __name__ == "__main__":
    main()
