#!/usr/bin/env python3
"""Generate a deterministic synthetic "monorepo" corpus for benchmarking katscan.

The corpus is written to a directory OUTSIDE the katscan repository and made a
git repository (``git init``, nothing committed) so that katscan and ripgrep
apply the same .gitignore rules.  Next to the corpus directory ``C`` we write:

* ``C.manifest.jsonl`` - one JSON object per planted live key:
  ``{"path", "line", "column", "key_id", "key", "context", "expected", "excluded_reason"}``.
  ``expected`` is false for keys planted where katscan must NOT look
  (gitignored, binary, larger than 64 MiB); ``excluded_reason`` says why.
* ``C.decoys.jsonl`` - one JSON object per planted decoy (placeholders, test
  keys, ...) that must never be reported: ``{"path", "line", "token", "class",
  "key_id"}``.  ``class`` is ``placeholder`` when the decoy matches the rule's
  regex (so only katscan's placeholder filter keeps it out) and
  ``regex-nonmatch`` when even the bare regex rejects it.
* ``C.stamp.json`` - the generation parameters.  Re-running with the same
  parameters (and the same generator source) is a no-op.

Everything derives from one ``random.Random(seed)``: the same parameters give
a byte-identical corpus.  Python 3.11 stdlib only.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import math
import random
import shutil
import string
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

# Written in two halves so that this file itself never contains a key-shaped
# literal that a scanner (katscan on its own repository) could report.
LIVE = "kat_" + "live_"
TEST = "kat_" + "test_"

BASE62 = string.ascii_letters + string.digits
B64 = BASE62 + "+/"
MIB = 1024 * 1024
MAX_SCANNED = 64 * MIB  # katscan (and `rg --max-filesize 64M`) skip larger files
OVERSIZE_BYTES = 65 * MIB + 4096
OVERSIZE_MIN_CORPUS = 256 * MIB  # only big corpora get a > 64 MiB file

REPO_ROOT = Path(__file__).resolve().parents[1]

# --------------------------------------------------------------------------
# Vocabulary.  Deliberately free of "build", "coverage", "tmp", "cache" and
# "node_modules" so that no tracked path collides with the .gitignore rules.
# --------------------------------------------------------------------------
WORDS = """
account action active adapter address admin agent alert alias allow amount
analytics anchor api app archive asset audit auth author avatar backend badge
balance banner basket batch billing blob block board body bookmark bound box
branch bridge broker bucket buffer bundle button calendar campaign card cart
catalog category channel chart check checkout child claim client cluster code
collection color column command comment commit company config connection
consumer contact container content context contract cookie counter country
coupon credit cron currency cursor customer dashboard data date debug default
delivery device dialog digest discount dispatch document domain draft driver
editor email embed endpoint engine entity entry error event export feature feed
field file filter flag flow folder footer form format frame gateway graph group
handler header health history hook host icon image import index input inventory
invoice item job journal key label layout ledger limit link list loader locale
lock log lookup mail manager map market media member menu merchant message meta
metric middleware migration mode model module monitor node note notification
number offer option order origin owner package page panel parser partner
payload payment peer pending permission pipeline plan player plugin policy pool
portal post preview price product profile project promo provider proxy query
queue quota range rate reader receipt record redirect refund region registry
release render report request resource response result review role route rule
runner sample schedule schema scope score search secret section segment
selector sender server service session setting shipment shop signal sitemap
slot snapshot source span stage state status stock storage store stream style
subscription summary supplier support sync tab table tag target task team
template tenant theme thread ticket timeline timer token topic total trace
tracker transaction transfer trigger type upload usage user validator value
variant vendor version view visitor voucher wallet warehouse webhook widget
window worker workflow workspace zone
""".split()

VERBS = """
add apply calc check clear close compute create decode delete emit
encode ensure fetch find flush format get handle init list load map merge
normalize open parse patch post push put read refresh register remove render
reset resolve restore retry save send serialize set sort split start stop
submit sync track transform update upload validate verify watch write
make""".split()

SENTENCE_WORDS = """
the a an of to in for on with by from at as is are was be this that it not
will can should must may when if then else all any each every new old first
last next valid invalid missing unexpected failed retry timeout request
response user order payment customer session value field record item cannot
could please ensure returns default optional required deprecated internal
""".split() + WORDS[:120]

UNICODE_BITS = ["café", "naïve", "résumé", "Müller", "Straße", "日本語", "中文",
                "Ελληνικά", "русский", "✓", "→", "…", "🚀", "€", "ñandú"]

HOSTS = ["api.example.com", "cdn.jsdelivr.net", "registry.npmjs.org",
         "github.com", "docs.katalo.io", "api.katalo.io", "storage.googleapis.com",
         "s3.eu-west-1.amazonaws.com", "hooks.slack.com", "sentry.io",
         "login.microsoftonline.com", "fonts.googleapis.com", "localhost:8080"]

NPM_PKGS = ["react", "react-dom", "lodash", "axios", "express", "zod", "vite",
            "typescript", "eslint", "prettier", "jest", "vitest", "webpack",
            "@babel/core", "@types/node", "date-fns", "uuid", "chalk", "yargs",
            "dotenv", "rxjs", "tslib", "classnames", "immer", "redux", "graphql",
            "pg", "mongoose", "ioredis", "next", "vue", "svelte", "esbuild"]


def rword(r: random.Random) -> str:
    return r.choice(WORDS)


def camel(r: random.Random) -> str:
    n = r.choice((1, 2, 2, 3))
    parts = [r.choice(VERBS)] if r.random() < 0.4 else []
    parts += [rword(r) for _ in range(n)]
    return parts[0] + "".join(p.capitalize() for p in parts[1:])


def snake(r: random.Random) -> str:
    return "_".join(rword(r) for _ in range(r.choice((1, 2, 2, 3))))


def pascal(r: random.Random) -> str:
    return "".join(rword(r).capitalize() for _ in range(r.choice((1, 2, 2, 3))))


def const(r: random.Random) -> str:
    return snake(r).upper()


def kebab(r: random.Random) -> str:
    return "-".join(rword(r) for _ in range(r.choice((1, 2, 2))))


def sentence(r: random.Random, lo: int = 3, hi: int = 11) -> str:
    words = [r.choice(SENTENCE_WORDS) for _ in range(r.randint(lo, hi))]
    if r.random() < 0.05:
        words.insert(r.randrange(len(words)), r.choice(UNICODE_BITS))
    s = " ".join(words)
    return s[0].upper() + s[1:]


def rand_str(r: random.Random, alphabet: str, n: int) -> str:
    return "".join(r.choices(alphabet, k=n))


def url(r: random.Random) -> str:
    host = r.choice(HOSTS)
    path = "/".join(r.choice((rword(r), kebab(r), "v1", "v2", str(r.randint(1, 99999))))
                    for _ in range(r.randint(1, 4)))
    q = ""
    if r.random() < 0.4:
        q = "?" + "&".join(f"{rword(r)}={r.choice((rword(r), str(r.randint(0, 500))))}"
                           for _ in range(r.randint(1, 3)))
    return f"https://{host}/{path}{q}"


def relpath(r: random.Random) -> str:
    return "../" * r.randint(0, 3) + "/".join(kebab(r) for _ in range(r.randint(1, 3)))


GEN = {
    "camel": camel, "snake": snake, "pascal": pascal, "const": const,
    "kebab": kebab, "word": rword, "verb": lambda r: r.choice(VERBS),
    "num": lambda r: str(r.choice((0, 1, 2, 10, 100, r.randint(0, 99999)))),
    "float": lambda r: f"{r.uniform(0, 1000):.{r.randint(1, 4)}f}",
    "str": sentence, "long": lambda r: sentence(r, 14, 45),
    "url": url, "path": relpath,
    "hex": lambda r: rand_str(r, "0123456789abcdef", 40),
    "sha": lambda r: rand_str(r, "0123456789abcdef", 64),
    "uuid": lambda r: "-".join(rand_str(r, "0123456789abcdef", n) for n in (8, 4, 4, 4, 12)),
    "b64": lambda r: rand_str(r, B64, r.randint(20, 88)),
    "ver": lambda r: f"{r.randint(0, 12)}.{r.randint(0, 30)}.{r.randint(0, 40)}",
    "pkg": lambda r: r.choice(NPM_PKGS),
    "date": lambda r: f"20{r.randint(18, 25)}-{r.randint(1, 12):02d}-{r.randint(1, 28):02d}",
    "ip": lambda r: f"10.{r.randint(0, 255)}.{r.randint(0, 255)}.{r.randint(1, 254)}",
    "email": lambda r: f"{rword(r)}.{rword(r)}@example.com",
    "v": lambda r: r.choice("abcdefghijklmnopqrstuvwxyz$_"),
    "uni": lambda r: r.choice(UNICODE_BITS),
}


class Filler(dict):
    """format_map() mapping that invents a fresh random value for every field."""

    def __init__(self, r: random.Random):
        super().__init__()
        self.r = r

    def __missing__(self, key: str) -> str:
        return GEN[key](self.r)


# --------------------------------------------------------------------------
# Line templates per language.  Lines are sampled from a pre-rendered pool per
# language, which keeps a 1 GB corpus fast to generate while still giving
# realistic line lengths, identifier density and character distribution.
# --------------------------------------------------------------------------
C_LIKE_COMMON = [
    "// {str}", "// TODO({word}): {str}", "/* {long} */", "}}", "", "",
]
TEMPLATES: dict[str, list[str]] = {
    "js": C_LIKE_COMMON + [
        "const {camel} = require('{pkg}');",
        "import {{ {pascal}, {camel} }} from '{path}';",
        "const {camel} = await {camel}.{verb}({camel}, {{ {camel}: {num} }});",
        "if (!{camel}) {{ throw new Error('{str}'); }}",
        "return {camel}.map(({v}) => {v}.{camel}).filter(Boolean);",
        "export function {camel}({camel}, {camel} = {{}}) {{",
        "export default class {pascal} extends {pascal} {{",
        "{camel}: '{str}',",
        "const url = `{url}`;",
        "logger.info(`{str} ${{{camel}.{camel}}}`, {{ {camel} }});",
        "module.exports = {{ {camel}, {camel}, {camel} }};",
        "this.{camel} = options.{camel} ?? {num};",
        "}} catch (err) {{ console.error('{str}', err); }}",
        "describe('{str}', () => {{", "it('{str}', async () => {{",
        "expect({camel}.{camel}).toEqual({{ {camel}: '{word}', id: '{uuid}' }});",
    ],
    "ts": C_LIKE_COMMON + [
        "import {{ {pascal}, type {pascal} }} from '{path}';",
        "import * as {camel} from '{pkg}';",
        "export interface {pascal} {{", "{camel}?: {pascal} | null;",
        "{camel}: string;", "{camel}: number;", "{camel}: Record<string, {pascal}>;",
        "export type {pascal} = '{word}' | '{word}' | '{word}';",
        "export async function {camel}({camel}: {pascal}, {camel}: string): Promise<{pascal}> {{",
        "const {camel}: {pascal}[] = await this.{camel}.{verb}({{ where: {{ {camel}: {camel}.id }} }});",
        "private readonly {camel} = new Map<string, {pascal}>();",
        "if ({camel}.length > {num}) return {camel}.slice(0, {num});",
        "throw new {pascal}Error(`{str}: ${{{camel}}}`);",
        "const res = await fetch(`{url}`, {{ method: 'POST', body: JSON.stringify({camel}) }});",
        "@Injectable()", "constructor(private readonly {camel}: {pascal}Service) {{}}",
    ],
    "tsx": C_LIKE_COMMON + [
        "import React, {{ useState, useEffect }} from 'react';",
        "export const {pascal}: React.FC<{pascal}Props> = ({{ {camel}, {camel} }}) => {{",
        "const [{camel}, set{pascal}] = useState<{pascal} | null>(null);",
        "useEffect(() => {{ {camel}().then(set{pascal}); }}, [{camel}]);",
        "<div className=\"{kebab} {kebab}\" onClick={{() => {camel}({camel})}}>",
        "<{pascal} {camel}={{{camel}}} {camel}=\"{str}\" />", "</div>", "<p>{str}</p>",
        "return (", ");", "<a href=\"{url}\">{str}</a>",
    ],
    "py": [
        "import {snake}", "from {snake}.{snake} import {pascal}, {snake}",
        "class {pascal}({pascal}):",
        "def {snake}(self, {snake}: {pascal}, {snake}: int = {num}) -> {pascal}:",
        "\"\"\"{long}\"\"\"", "# {str}", "return {snake}.{snake}({snake}, {snake}={snake})",
        "if not {snake}:", "raise ValueError(f\"{str}: {{{snake}!r}}\")",
        "for {snake} in self.{snake}:", "self.{snake} = {snake}", "logger.debug(\"{str} %s\", {snake})",
        "{snake} = requests.get(\"{url}\", timeout={num})", "{const} = \"{str}\"",
        "@pytest.mark.parametrize(\"{snake}\", [{num}, {num}, {num}])",
        "assert {snake} == {{\"{snake}\": \"{word}\", \"id\": \"{uuid}\"}}", "", "",
        "with open({snake}, \"rb\") as fh:", "{snake}: dict[str, {pascal}] = {{}}",
    ],
    "go": [
        "package {word}", "import (", ")", "\"{word}/{word}\"",
        "func ({v} *{pascal}) {pascal}(ctx context.Context, {camel} string) (*{pascal}, error) {{",
        "if err != nil {{", "return nil, fmt.Errorf(\"{str}: %w\", err)", "}}", "", "",
        "{camel} := {v}.{camel}.{pascal}(ctx, {camel})", "// {pascal} {str}",
        "type {pascal} struct {{", "{pascal} string `json:\"{snake}\" db:\"{snake}\"`",
        "{pascal} int64 `json:\"{snake},omitempty\"`", "for _, {camel} := range {camel} {{",
        "log.Printf(\"{str} %v\", {camel})", "req, _ := http.NewRequest(\"GET\", \"{url}\", nil)",
        "const {pascal} = \"{str}\"",
    ],
    "rs": [
        "use crate::{snake}::{{{pascal}, {pascal}}};", "use std::collections::HashMap;",
        "pub fn {snake}(&self, {snake}: &{pascal}) -> Result<{pascal}, Error> {{",
        "let {snake} = self.{snake}.get(&{snake}).ok_or(Error::{pascal})?;",
        "#[derive(Debug, Clone, Serialize, Deserialize)]", "pub struct {pascal} {{",
        "pub {snake}: Option<{pascal}>,", "pub {snake}: Vec<String>,", "}}", "", "",
        "/// {str}", "// {str}", "impl {pascal} for {pascal} {{",
        "match {snake} {{", "{pascal}::{pascal} => {snake}.{snake}(),",
        "Err(e) => return Err(anyhow!(\"{str}: {{e}}\")),", "#[test]",
        "assert_eq!({snake}.len(), {num});", "const {const}: &str = \"{str}\";",
    ],
    "java": C_LIKE_COMMON + [
        "package com.{word}.{word}.{word};", "import com.{word}.{word}.{pascal};",
        "import java.util.{pascal};", "public class {pascal} implements {pascal} {{",
        "private final {pascal}Repository {camel}Repository;", "@Override", "@Autowired",
        "public {pascal} {camel}({pascal} {camel}, String {camel}) throws {pascal}Exception {{",
        "if ({camel} == null) {{ throw new IllegalArgumentException(\"{str}\"); }}",
        "return {camel}.stream().map({pascal}::{camel}).collect(Collectors.toList());",
        "log.info(\"{str} {{}}\", {camel});",
        "private static final String {const} = \"{str}\";",
    ],
    "kt": C_LIKE_COMMON + [
        "package com.{word}.{word}", "import com.{word}.{word}.{pascal}",
        "data class {pascal}(val {camel}: String, val {camel}: Int = {num})",
        "fun {camel}({camel}: {pascal}): {pascal}? {{", "val {camel} = {camel}.{camel} ?: return null",
        "private val {camel} = mutableMapOf<String, {pascal}>()",
    ],
    "rb": [
        "require '{snake}'", "class {pascal} < {pascal}", "def {snake}({snake}, {snake}: {num})",
        "end", "end", "", "# {str}", "@{snake} = {snake}.{snake}({snake})",
        "raise ArgumentError, '{str}' unless {snake}", "{snake}.each do |{snake}|",
        "validates :{snake}, presence: true", "has_many :{snake}, dependent: :destroy",
    ],
    "php": [
        "<?php", "namespace App\\{pascal}\\{pascal};", "use App\\{pascal}\\{pascal};",
        "class {pascal} extends {pascal}", "{{", "}}", "", "// {str}",
        "public function {camel}(${camel}, array ${camel} = []): ?{pascal}",
        "${camel} = $this->{camel}->{camel}(${camel});",
        "throw new \\RuntimeException('{str}');", "return response()->json(['{snake}' => ${camel}]);",
    ],
    "c": C_LIKE_COMMON + [
        "#include <{snake}.h>", "#include \"{snake}.h\"", "#define {const} {num}",
        "static int {snake}(struct {snake} *{snake}, size_t {snake})", "{{",
        "if ({snake} == NULL) return -EINVAL;", "memcpy({snake}->{snake}, {snake}, {snake});",
        "for (size_t i = 0; i < {snake}; i++) {{", "fprintf(stderr, \"{str}: %d\\n\", rc);",
        "typedef struct {snake} {{", "uint32_t {snake};", "char {snake}[{num}];",
    ],
    "cs": C_LIKE_COMMON + [
        "using System.{pascal};", "namespace {pascal}.{pascal}", "{{",
        "public sealed class {pascal} : I{pascal}",
        "public async Task<{pascal}> {pascal}Async({pascal} {camel})",
        "var {camel} = await _{camel}.{pascal}Async({camel});", "[HttpGet(\"{kebab}/{{id}}\")]",
        "public string {pascal} {{ get; set; }} = \"{str}\";",
    ],
    "json": [
        "{{", "}},", "],", "\"{camel}\": \"{str}\",", "\"{camel}\": {num},", "\"{camel}\": true,",
        "\"{camel}\": [\"{word}\", \"{word}\", \"{word}\"],", "\"{camel}\": {{", "\"id\": \"{uuid}\",",
        "\"url\": \"{url}\",", "\"{pkg}\": \"^{ver}\",", "\"createdAt\": \"{date}T12:00:00Z\",",
        "\"resolved\": \"https://registry.npmjs.org/{pkg}/-/{word}-{ver}.tgz\",",
        "\"integrity\": \"sha512-{b64}{b64}==\",", "\"description\": \"{long}\",",
    ],
    "yaml": [
        "{snake}:", "{snake}: {word}", "{snake}: \"{str}\"", "{snake}: {num}", "- {word}",
        "- name: {str}", "run: npm ci && npm run {word}", "image: {word}/{word}:{ver}",
        "url: {url}", "# {str}", "", "replicas: {num}", "host: {ip}",
        "env:", "{const}: ${{{{ secrets.{const} }}}}", "uses: actions/{kebab}@v{num}",
    ],
    "md": [
        "# {str}", "## {str}", "### {pascal}", "", "", "", "{long}", "{long} {long}",
        "- {str}", "- [{str}]({url})", "1. {str}", "```bash", "```",
        "npm install {pkg}@{ver}", "| {word} | {word} | {str} |", "> {long}",
        "See [{str}]({url}) for details.", "{long} {uni} {long}",
    ],
    "env": [
        "{const}={word}", "{const}={num}", "{const}={url}", "{const}=\"{str}\"",
        "# {str}", "", "{const}=true", "DATABASE_URL=postgres://{word}:{word}@{ip}:5432/{word}",
        "{const}={hex}",
    ],
    "toml": [
        "[{snake}]", "{snake} = \"{str}\"", "{snake} = {num}", "{pkg} = \"{ver}\"",
        "{snake} = {{ version = \"{ver}\", features = [\"{word}\"] }}", "", "# {str}",
    ],
    "sh": [
        "#!/usr/bin/env bash", "set -euo pipefail", "# {str}", "", "echo \"{str}\"",
        "{const}=\"${{{const}:-{word}}}\"", "if [[ -z \"${{{const}:-}}\" ]]; then", "fi",
        "curl -fsSL \"{url}\" -o /tmp/{word}", "docker build -t {word}/{word}:{ver} .",
        "for f in {word}/*.{word}; do", "done", "exec \"$@\"",
    ],
    "sql": [
        "CREATE TABLE {snake} (", "id BIGSERIAL PRIMARY KEY,", "{snake} TEXT NOT NULL,",
        "{snake} TIMESTAMPTZ DEFAULT now(),", ");", "", "-- {str}",
        "SELECT {snake}, {snake} FROM {snake} WHERE {snake} = $1 ORDER BY {snake} DESC LIMIT {num};",
        "INSERT INTO {snake} ({snake}, {snake}) VALUES ('{word}', {num});",
        "CREATE INDEX idx_{snake} ON {snake} ({snake});",
    ],
    "html": [
        "<!DOCTYPE html>", "<div class=\"{kebab}\">", "</div>", "<p>{long}</p>",
        "<a href=\"{url}\" class=\"{kebab}\">{str}</a>", "<script src=\"{url}\"></script>",
        "<img src=\"/assets/{kebab}.png\" alt=\"{str}\">", "<li>{str}</li>", "",
    ],
    "css": [
        ".{kebab} {{", "}}", "", "color: #{v}{v}{v}{v}{v}{v};", "display: flex;",
        "margin: {num}px {num}px;", "font-family: 'Inter', sans-serif;", "/* {str} */",
        "background: url(\"data:image/png;base64,{b64}{b64}\");", "@media (max-width: {num}px) {{",
        ".{kebab}:hover > .{kebab} {{", "transition: all 0.{num}s ease-in-out;",
    ],
    "xml": [
        "<?xml version=\"1.0\" encoding=\"UTF-8\"?>", "<{camel}>", "</{camel}>",
        "<{camel} id=\"{uuid}\" name=\"{str}\"/>",
        "<dependency><groupId>com.{word}</groupId><artifactId>{kebab}</artifactId>"
        "<version>{ver}</version></dependency>",
        "<!-- {str} -->", "<{camel}>{str}</{camel}>",
    ],
    "txt": ["{long}", "{str}", "", "{long} {long}", "{date} {str}", "- {str}"],
    "csv": [
        "{uuid},{word},{num},{float},{date},{email},\"{str}\"",
        "{num},{word},{word},{float},{url},{hex}",
    ],
    "svg": [
        "<path d=\"M{num} {num}C{num}.{num} {num} {num}.{num} {num} {num} {num}L{num} {num}Z\""
        " fill=\"#{v}{v}{v}\"/>",
        "<g id=\"{kebab}\" transform=\"translate({num} {num})\">", "</g>",
    ],
    "tf": [
        "resource \"{snake}\" \"{snake}\" {{", "}}", "", "name = \"{kebab}\"", "count = {num}",
        "tags = {{ Environment = \"{word}\", Owner = \"{email}\" }}", "# {str}",
        "source = \"git::https://github.com/{kebab}/{kebab}.git?ref=v{ver}\"",
    ],
    "proto": [
        "syntax = \"proto3\";", "package {word}.v1;", "message {pascal} {{", "}}",
        "string {snake} = {num};", "repeated {pascal} {snake} = {num};",
        "rpc {pascal}({pascal}Request) returns ({pascal}Response);", "// {str}",
    ],
    "log": [
        "{date}T12:{num}Z INFO  [{word}] {str} request_id={uuid}",
        "{date}T13:{num}Z WARN  [{word}] {str} ip={ip}",
        "{date}T14:{num}Z ERROR [{word}] {long}",
    ],
    "properties": [
        "{word}.{word}.{word}={str}", "# {str}", "{word}.{word}.libellé=Référence {word} numéro {num}",
        "{word}.{word}.message=Größe überschritten für {word}", "{word}.timeout={num}", "",
    ],
}
# Languages with a similar syntax share pools.
TEMPLATES["cpp"] = TEMPLATES["c"] + ["namespace {snake} {{", "std::vector<{pascal}> {snake};",
                                     "auto {snake} = std::make_unique<{pascal}>({snake});"]
for alias, base in {"h": "c", "hpp": "cpp", "mjs": "js", "jsx": "tsx", "yml": "yaml",
                    "scss": "css", "gradle": "kt", "erb": "html"}.items():
    TEMPLATES[alias] = TEMPLATES[base]

CODE_LANGS = {"js", "mjs", "ts", "tsx", "jsx", "py", "go", "rs", "java", "kt", "rb",
              "php", "c", "h", "cpp", "hpp", "cs", "gradle", "sh"}
# Minified-bundle building blocks (single letters, no newlines).
MIN_TEMPLATES = [
    "function {v}({v},{v},{v}){{return {v}.{camel}({v},{v})}}",
    "var {v}={v}({num}),{v}={v}.n({v}),{v}=\"{str}\";",
    "{v}.prototype.{camel}=function({v}){{this.{camel}={v}||{{}};return this}};",
    "\"{camel}\":{{\"{camel}\":\"{str}\",\"{camel}\":{num}}},",
    "case {num}:return {v}.{camel}({v});",
    "if(!{v})throw new Error(\"{str}\");",
    "{v}.exports={{{camel}:function(){{return {v}}},{camel}:{v}}};",
    "Object.defineProperty({v},\"{camel}\",{{enumerable:!0,get:function(){{return {v}.{camel}}}}});",
    "fetch(\"{url}\").then(function({v}){{return {v}.json()}});",
    "[{num},{num},{num},{num},{num},{num},{num},{num}],",
    "{v}.createElement(\"div\",{{className:\"{kebab} {kebab}\"}},\"{str}\"),",
    "url(data:image/png;base64,{b64}{b64}{b64});",
    "for(var {v}=0;{v}<{v}.length;{v}++){v}[{v}]={v}[{v}]^{num};",
]

EXT_BY_FAMILY = {
    "web": {"ts": 30, "tsx": 18, "js": 14, "json": 8, "css": 5, "scss": 3, "md": 3,
            "html": 2, "svg": 2, "yaml": 1, "mjs": 1, "jsx": 2},
    "python": {"py": 62, "json": 5, "yaml": 6, "md": 5, "toml": 2, "txt": 3, "sql": 3, "csv": 2},
    "go": {"go": 72, "yaml": 7, "json": 5, "md": 5, "proto": 4, "sql": 3, "sh": 2},
    "rust": {"rs": 76, "toml": 5, "md": 6, "json": 4, "yaml": 3, "sh": 2},
    "jvm": {"java": 55, "kt": 15, "xml": 10, "properties": 5, "yaml": 5, "md": 3, "json": 3,
            "sql": 3, "gradle": 1},
    "ruby": {"rb": 60, "erb": 10, "yml": 10, "md": 5, "json": 5, "sql": 3},
    "php": {"php": 70, "json": 10, "md": 5, "yaml": 5, "html": 5, "sql": 3},
    "dotnet": {"cs": 72, "json": 10, "xml": 8, "md": 5, "yaml": 3},
    "native": {"c": 35, "h": 25, "cpp": 20, "hpp": 8, "txt": 5, "md": 5, "sh": 2},
}
FAMILY_WEIGHTS = {"web": 34, "python": 16, "go": 14, "rust": 8, "jvm": 12, "ruby": 4,
                  "php": 3, "dotnet": 5, "native": 4}

# --------------------------------------------------------------------------
# Where keys go.  Each live context lists the kind of file it needs and a
# weight; every context available in the corpus gets at least one key so that
# even a small corpus exercises all of them.
# --------------------------------------------------------------------------
LIVE_CONTEXTS = {  # name: (weight, excluded_reason or None)
    "code-string": (24, None), "env": (10, None), "url-query": (9, None),
    "ci-yaml": (5, None), "json-config": (6, None), "docs-curl": (5, None),
    "line-start": (2, None), "eof-no-newline": (2, None), "long-line": (3, None),
    "crlf": (3, None), "bundle-end": (6, None), "bundle-mid": (3, None),
    "sourcemap": (6, None), "sourcemap-line-start": (1, None), "latin1": (1, None),
    "unicode-line": (2, None),
    "gitignored": (6, "gitignored"), "nested-gitignored": (2, "gitignored"),
    "binary": (3, "binary"), "oversize": (0, "oversize"),  # oversize: exactly one key
}


def decoy_tokens(r: random.Random) -> list[tuple[str, str, str | None]]:
    """(token, class, key_id) decoys; 'placeholder' ones match the bare regex."""
    def rnd(lo: int, hi: int) -> str:
        return rand_str(r, BASE62, r.randint(lo, hi))

    return [
        (LIVE + "<publicKeyId>.<secret>", "regex-nonmatch", None),
        (LIVE + "YOUR_KEY_HERE", "regex-nonmatch", None),
        (LIVE + "${KATALO_KEY_ID}.${KATALO_SECRET}", "regex-nonmatch", None),
        (LIVE + "{{ key_id }}.{{ secret }}", "regex-nonmatch", None),
        (LIVE + "****.****", "regex-nonmatch", None),
        (TEST + rnd(8, 24) + "." + rnd(24, 48), "regex-nonmatch", None),
        (TEST + rnd(8, 24) + "." + rnd(24, 48), "regex-nonmatch", None),
        (LIVE + "x" * 8 + "." + "x" * 20, "placeholder", "x" * 8),
        (LIVE + "X" * 12 + "." + "X" * 24, "placeholder", "X" * 12),
        (LIVE + "0" * 8 + "." + "0" * 16, "placeholder", "0" * 8),
    ]


@dataclass
class Plant:
    token: str                 # exact text placed in the file
    context: str
    live: bool
    key_id: str | None = None
    excluded_reason: str | None = None
    decoy_class: str | None = None
    line: int = 0              # filled in when the file is written
    column: int = 0            # 1-based byte column


@dataclass
class FileSpec:
    path: str                  # relative, POSIX separators
    kind: str                  # text|ignored|bundle|map|binary|latin1|oversize
    lang: str
    size: int
    crlf: bool = False
    final_newline: bool = True
    nested_ignore: bool = False  # ignored by a project's own .gitignore, not the root one
    plants: list[Plant] = field(default_factory=list)


def plant_line(r: random.Random, lang: str, token: str, context: str) -> str:
    """A realistic line for `lang` that contains `token` bounded by non-key chars."""
    if context == "line-start":
        return token + r.choice(("", "  # staging", " (rotated {})".format(GEN["date"](r))))
    if context == "long-line":
        left = ",".join(GEN["uuid"](r) + ";" + sentence(r) for _ in range(r.randint(8, 30)))
        right = ",".join(GEN["hex"](r) + ";" + sentence(r) for _ in range(r.randint(8, 30)))
        return f"{left},token={token},{right}"
    if context == "unicode-line":
        return f"// {r.choice(UNICODE_BITS)} {sentence(r)} — clé: {token} {r.choice(UNICODE_BITS)}"
    if context == "docs-curl":
        return r.choice((f"curl -H \"Authorization: Bearer {token}\" https://api.katalo.io/v1/me",
                         f"    katalo login --api-key {token}",
                         f"export KATALO_API_KEY={token}"))
    if context == "url-query":
        u = f"https://api.katalo.io/v1/{rword(r)}s?api_key={token}&limit={r.randint(1, 100)}"
        if lang in ("yaml", "yml"):
            return f"    endpoint: {u}"
        if lang == "json":
            return f"  \"endpoint\": \"{u}\","
        if lang == "md":
            return f"Example: <{u}>"
        return f"    const res = await fetch(\"{u}\");" if lang in ("js", "ts", "tsx", "jsx", "mjs") \
            else f"    url = \"{u}\""
    if lang == "env":
        return r.choice((f"KATALO_API_KEY={token}", f"export KATALO_API_KEY=\"{token}\"",
                         f"KATALO_{const(r)}='{token}'"))
    if lang in ("yaml", "yml"):
        return r.choice((f"          KATALO_API_KEY: {token}", f"  api_key: \"{token}\"",
                         f"        run: katalo deploy --key {token}"))
    if lang == "json":
        return f"    \"apiKey\": \"{token}\","
    if lang in ("js", "mjs", "ts", "tsx", "jsx"):
        return r.choice((f"const KATALO_API_KEY = \"{token}\";", f"  apiKey: '{token}',",
                         f"    headers: {{ Authorization: `Bearer {token}` }},"))
    if lang == "py":
        return r.choice((f"KATALO_API_KEY = \"{token}\"", f"    client = katalo.Client(api_key='{token}')"))
    if lang == "go":
        return r.choice((f"const katKey = \"{token}\"",
                         f"\treq.Header.Set(\"Authorization\", \"Bearer {token}\")"))
    if lang == "rs":
        return f"const API_KEY: &str = \"{token}\";"
    if lang in ("java", "kt", "cs", "gradle"):
        return f"    private static final String API_KEY = \"{token}\";"
    if lang in ("rb", "php"):
        return f"  api_key = '{token}'" if lang == "rb" else f"    $apiKey = '{token}';"
    if lang in ("c", "h", "cpp", "hpp"):
        return f"#define KATALO_KEY \"{token}\""
    if lang == "md":
        if context == "decoy":
            return f"Live keys look like `{token}`; never commit a real one."
        return f"Use `{token}` as the API key."
    if lang == "properties":
        return f"katalo.api.clé={token}"
    if lang in ("xml", "html", "svg", "erb"):
        return f"<meta name=\"katalo-key\" content=\"{token}\"/>"
    if lang == "sh":
        return f"export KATALO_API_KEY=\"{token}\""
    return f"api_key = \"{token}\""


class Corpus:
    def __init__(self, out: Path, files: int, size_mb: int, seed: int, keys: int, decoys: int):
        self.out, self.n_files, self.seed = out, files, seed
        self.budget = size_mb * MIB
        self.n_keys, self.n_decoys = keys, decoys
        self.r = random.Random(seed)
        self.specs: list[FileSpec] = []
        self.used_paths: set[str] = set()
        self.pools: dict[str, tuple[list[str], float]] = {}
        self.nested_ignores: list[str] = []  # project roots with their own .gitignore

    # ---------------------------------------------------------------- pools
    def pool(self, lang: str) -> tuple[list[str], float]:
        """Pre-rendered lines for `lang` and their mean length (+1 for '\\n')."""
        if lang not in self.pools:
            r = random.Random(f"{self.seed}:{lang}")  # independent of call order
            templates = TEMPLATES[lang]
            indent_unit = "\t" if lang == "go" else ("    " if lang in ("py", "java", "cs", "rs") else "  ")
            lines = []
            for t in r.choices(templates, k=3000):
                line = t.format_map(Filler(r))
                if line and lang not in ("md", "csv", "env", "log", "properties", "txt"):
                    line = indent_unit * r.choice((0, 0, 1, 1, 1, 2, 2, 3, 4)) + line
                lines.append(line)
            mean = sum(len(x) for x in lines) / len(lines) + 1
            self.pools[lang] = (lines, mean)
        return self.pools[lang]

    # --------------------------------------------------------------- layout
    def unique(self, path: str) -> str:
        """`path`, or `path` with a counter before the first dot of its basename.

        Dot-files (".env.local") cannot be renamed without changing what they
        are, so callers check `used_paths` for those themselves.
        """
        head, _, name = path.rpartition("/")
        stem, dot, rest = name.partition(".")
        assert stem or path not in self.used_paths, f"dot-file collision: {path}"
        cand, i = path, 1
        while cand in self.used_paths:
            i += 1
            cand = f"{head}/{stem}-{i}{dot}{rest}" if head else f"{stem}-{i}{dot}{rest}"
        self.used_paths.add(cand)
        return cand

    def add(self, path: str, kind: str, lang: str, size: int = 0, **kw) -> FileSpec:
        spec = FileSpec(self.unique(path), kind, lang, size, **kw)
        self.specs.append(spec)
        return spec

    def file_name(self, lang: str) -> str:
        r = self.r
        if lang in ("java", "kt", "cs", "tsx", "jsx", "php"):
            stem = pascal(r)
        elif lang in ("py", "rs", "rb", "c", "h", "cpp", "hpp", "sql", "proto", "sh"):
            stem = snake(r)
        elif lang in ("ts", "js", "mjs"):
            stem = r.choice((camel(r), kebab(r), kebab(r) + ".test", "index"))
        else:
            stem = kebab(r)
        return f"{stem}.{lang}"

    def project_dirs(self, root: str, family: str, n: int) -> list[str]:
        r = self.r
        name = root.rsplit("/", 1)[-1].replace("-", "_")
        bases = {
            "web": ["src/components", "src/hooks", "src/pages", "src/lib", "src/api", "test", "public"],
            "python": [name, f"{name}/api", f"{name}/core", "tests"],
            "go": ["cmd/" + name, "internal", "pkg", "api"],
            "rust": ["src", "src/bin", "tests", "benches"],
            "jvm": [f"src/main/java/com/katalo/{name}", f"src/test/java/com/katalo/{name}",
                    "src/main/resources"],
            "ruby": ["app/models", "app/controllers", "app/views", "lib", "spec"],
            "php": ["app/Http/Controllers", "app/Models", "resources/views", "tests"],
            "dotnet": ["src", "src/Controllers", "src/Services", "tests"],
            "native": ["src", "include", "tests", "third_party"],
        }[family]
        dirs = [f"{root}/{b}" for b in bases]
        while len(dirs) < n:  # deepen randomly: realistic, uneven nesting
            parent = r.choice(dirs)
            if parent.count("/") < 10:
                dirs.append(f"{parent}/{r.choice((rword(r), kebab(r), snake(r)))}")
        return dirs

    def plan(self) -> None:
        r, n = self.r, self.n_files
        budget = self.budget

        # --- fixed, size-independent files: repo root, CI, hidden config
        # (.gitignore files are written verbatim at the end, see gitignores())
        for p, lang in (("README.md", "md"), ("package.json", "json"), ("Makefile", "sh"),
                        ("docker-compose.yml", "yaml"), (".env", "env"), (".env.example", "env"),
                        (".editorconfig", "toml"), (".vscode/settings.json", "json"),
                        (".github/CODEOWNERS", "txt")):
            self.add(p, "text", lang, r.randint(300, 3000))
        for _ in range(max(3, min(20, n // 5000))):
            self.add(f".github/workflows/{kebab(r)}.yml", "text", "yaml", r.randint(800, 6000))

        # --- projects
        # Every language family appears at least once, even in a tiny corpus.
        n_projects = max(len(FAMILY_WEIGHTS), min(300, n // 400))
        families = list(FAMILY_WEIGHTS)
        families += r.choices(families, list(FAMILY_WEIGHTS.values()), k=n_projects - len(families))
        projects = []
        for family in families:
            group = r.choices(("apps", "packages", "services", "libs", "tools"), (3, 5, 5, 3, 1))[0]
            root = self.unique(f"{group}/{kebab(r)}")
            projects.append((root, family, r.random() + 0.2))
        for root, family, _ in projects:  # per-project hidden files
            if r.random() < 0.4:
                self.add(f"{root}/.env", "text", "env", r.randint(200, 1500))
            if r.random() < 0.3:
                self.add(f"{root}/.env.production", "text", "env", r.randint(200, 1500))
            if r.random() < 0.3:
                self.add(f"{root}/.env.example", "text", "env", r.randint(200, 1500))
            if family == "web" and r.random() < 0.5:
                self.add(f"{root}/.eslintrc.json", "text", "json", r.randint(200, 2000))

        # --- budget split (fractions of the total size, ~1 GB by default)
        oversize = budget >= OVERSIZE_MIN_CORPUS
        rest = budget - (OVERSIZE_BYTES if oversize else 0)
        bundle_bytes, map_bytes = int(rest * 0.07), int(rest * 0.05)
        binary_bytes, ignored_bytes = int(rest * 0.015), int(rest * 0.08)
        web_roots = [p[0] for p in projects if p[1] == "web"] or [projects[0][0]]

        n_bundles = max(1, min(40, round(bundle_bytes / (5 * MIB))))
        for _ in range(n_bundles):
            root = r.choice(web_roots)
            name = f"{root}/dist/{kebab(r)}.{GEN['hex'](r)[:8]}.min.js"
            b = self.add(name, "bundle", "js", int(bundle_bytes / n_bundles * r.uniform(0.6, 1.4)))
            self.add(b.path + ".map", "map", "ts", int(map_bytes / n_bundles * r.uniform(0.6, 1.4)))
        if oversize:
            self.add(f"data/exports/events-full-{GEN['date'](r)}.ndjson", "oversize", "log",
                     OVERSIZE_BYTES)

        n_binary = max(3, n // 100)
        binary_dirs = ["assets/images", "assets/fonts", "vendor/bin", "data/fixtures"]
        for _ in range(n_binary):
            ext = r.choice(("png", "jpg", "woff2", "so", "sqlite", "bin", "pdf"))
            self.add(f"{r.choice(binary_dirs)}/{kebab(r)}.{ext}", "binary", "bin")
        n_latin1 = max(2, n // 1000)
        for _ in range(n_latin1):
            self.add(f"legacy/i18n/messages_{r.choice(('fr', 'de', 'es'))}_{snake(r)}.properties",
                     "latin1", "properties")

        # --- gitignored files: node_modules (root and per web project), build
        # output, caches, logs, .env.local, plus a nested .gitignore per web project
        self.nested_ignores = r.sample(web_roots, k=max(1, len(web_roots) // 3))
        n_ignored = max(12, n * 8 // 100)
        pkgs = [r.choice(NPM_PKGS) + ("" if r.random() < 0.5 else "-" + rword(r))
                for _ in range(max(4, n_ignored // 25))]
        for _ in range(n_ignored):
            lang = r.choice(("js", "js", "ts", "json", "md", "mjs"))
            where = r.random()
            if where < 0.6:
                base = "node_modules" if r.random() < 0.6 else f"{r.choice(web_roots)}/node_modules"
                sub_dir = r.choice(("", "lib/", "dist/", "src/"))
                path = f"{base}/{r.choice(pkgs)}/{sub_dir}{self.file_name(lang)}"
            elif where < 0.75:
                path = f"{r.choice(projects)[0]}/build/{rword(r)}/{self.file_name(lang)}"
            elif where < 0.82:
                path = f"{r.choice(projects)[0]}/coverage/lcov-report/{self.file_name('html')}"
                lang = "html"
            elif where < 0.85:
                path, lang = f"logs/{kebab(r)}-{GEN['date'](r)}.log", "log"
            elif where < 0.88:
                path = f"{r.choice(projects)[0]}/.cache/{rword(r)}/{self.file_name(lang)}"
            elif where < 0.92:
                path, lang = f"{r.choice(projects)[0]}/.env.local", "env"
                if path in self.used_paths:
                    continue
            else:  # matched by a nested .gitignore, not the root one
                root = r.choice(self.nested_ignores)
                if r.random() < 0.5:
                    path = f"{root}/tmp/{self.file_name(lang)}"
                else:
                    path, lang = f"{root}/src/{kebab(r)}.generated.ts", "ts"
                self.add(path, "ignored", lang, 0, nested_ignore=True)
                continue
            self.add(path, "ignored", lang, 0)

        # --- regular tracked source files
        fixed = len(self.specs)
        n_regular = max(10, n - fixed)
        proj_weights = [p[2] for p in projects]
        dirs_of = {root: self.project_dirs(root, fam, max(3, int(n_regular * w / sum(proj_weights) / 12)))
                   for root, fam, w in projects}
        extra_dirs = {"docs": "md", "infra/terraform": "tf", "infra/k8s": "yaml", "scripts": "sh",
                      "config": "yaml", "db/migrations": "sql"}
        for _ in range(n_regular):
            if r.random() < 0.05:
                d, lang = r.choice(list(extra_dirs.items()))
                d = d if r.random() < 0.5 else f"{d}/{rword(r)}"
            else:
                root, fam, _ = r.choices(projects, proj_weights)[0]
                exts = EXT_BY_FAMILY[fam]
                lang = r.choices(list(exts), list(exts.values()))[0]
                d = r.choice(dirs_of[root])
            self.add(f"{d}/{self.file_name(lang)}", "text", lang, 0, crlf=r.random() < 0.03)

        # --- sizes: log-normal, scaled so the sum hits the budget
        regular = [s for s in self.specs if s.kind in ("text", "latin1") and s.size == 0]
        ignored = [s for s in self.specs if s.kind == "ignored"]
        binary = [s for s in self.specs if s.kind == "binary"]
        fixed_text = sum(s.size for s in self.specs if s.kind == "text" and s.size)
        text_bytes = rest - bundle_bytes - map_bytes - binary_bytes - ignored_bytes - fixed_text
        self.spread(regular, text_bytes, cap=1536 * 1024)
        self.spread(ignored, ignored_bytes, cap=2 * MIB)
        self.spread(binary, binary_bytes, cap=4 * MIB)

        self.plan_plants()

    def spread(self, specs: list[FileSpec], total: int, cap: int) -> None:
        if not specs:
            return
        raw = [math.exp(self.r.gauss(0, 1.15)) for _ in specs]
        for _ in range(4):  # rescale, clip, repeat: converges in a few rounds
            k = total / sum(raw)
            raw = [min(cap, max(60, x * k)) for x in raw]
        for s, x in zip(specs, raw, strict=True):
            s.size = int(x)

    # --------------------------------------------------------------- plants
    def new_key(self) -> tuple[str, str]:
        r = self.r
        key_id = rand_str(r, BASE62, r.randint(8, 24))
        secret = rand_str(r, BASE62, r.randint(24, 48))
        if r.random() < 0.1:  # the secret alphabet also allows '-' and '_' (never at the ends)
            i = r.randint(4, len(secret) - 4)
            secret = secret[:i] + r.choice("-_") + secret[i + 1:]
        return key_id, LIVE + key_id + "." + secret

    def candidates(self, context: str) -> list[FileSpec]:
        text = [s for s in self.specs if s.kind == "text"]
        by = {
            "code-string": [s for s in text if s.lang in CODE_LANGS],
            "env": [s for s in text if s.lang == "env"],
            "url-query": [s for s in text if s.lang in CODE_LANGS | {"md", "yaml", "yml", "json"}],
            "ci-yaml": [s for s in text if s.path.startswith(".github/workflows/")],
            "json-config": [s for s in text if s.lang == "json"],
            "docs-curl": [s for s in text if s.lang in ("md", "sh")],
            "line-start": [s for s in text if s.lang in ("txt", "md", "env", "sh", "csv")],
            "eof-no-newline": [s for s in text if s.lang in ("env", "txt", "sh", "py", "yaml")],
            "long-line": [s for s in text if s.lang in ("csv", "txt", "log", "md")],
            "crlf": [s for s in text if s.crlf],
            "unicode-line": [s for s in text if s.lang in CODE_LANGS - {"sh", "py", "rb"}],
            "bundle-end": [s for s in self.specs if s.kind == "bundle"],
            "bundle-mid": [s for s in self.specs if s.kind == "bundle"],
            "sourcemap": [s for s in self.specs if s.kind == "map"],
            "sourcemap-line-start": [s for s in self.specs if s.kind == "map"],
            "latin1": [s for s in self.specs if s.kind == "latin1"],
            "gitignored": [s for s in self.specs if s.kind == "ignored" and not s.nested_ignore],
            "nested-gitignored": [s for s in self.specs if s.nested_ignore],
            "binary": [s for s in self.specs if s.kind == "binary"],
            "oversize": [s for s in self.specs if s.kind == "oversize"],
        }
        return by[context]

    def plan_plants(self) -> None:
        r = self.r
        cands = {c: self.candidates(c) for c in LIVE_CONTEXTS}
        avail = [c for c in LIVE_CONTEXTS if cands[c]]
        weighted = [c for c in avail if LIVE_CONTEXTS[c][0] > 0]
        order = list(avail)  # one of each first, then by weight
        order += r.choices(weighted, [LIVE_CONTEXTS[c][0] for c in weighted],
                           k=max(0, self.n_keys - len(order)))
        for context in order:
            spec = r.choice(cands[context])
            if context == "eof-no-newline":
                if not spec.final_newline:  # one end-of-file key per file
                    continue
                spec.final_newline = False
            key_id, key = self.new_key()
            spec.plants.append(Plant(key, context, True, key_id, LIVE_CONTEXTS[context][1]))

        # Decoys go into tracked, scanned files (where a false positive would show).
        decoy_langs = {"md", "env", "yaml", "json", "ts", "js", "py", "go"}
        decoy_hosts = [s for s in self.specs if s.kind in ("bundle", "map")
                       or (s.kind == "text" and s.lang in decoy_langs)]
        for i in range(self.n_decoys):
            token, cls, key_id = r.choice(decoy_tokens(r))
            spec = r.choice(decoy_hosts)
            if i % 10 == 0 and spec.kind == "text" and spec.lang == "md":
                # keyword without a key: hits `rg -F kat_live_`, never the regex
                token, cls, key_id = LIVE, "keyword-only", None
            spec.plants.append(Plant(token, "decoy", False, key_id, decoy_class=cls))

    # --------------------------------------------------------------- writing
    def text_lines(self, spec: FileSpec) -> list[str]:
        lines, mean = self.pool(spec.lang)
        n = max(1, round(spec.size / mean), len(spec.plants) + 1)
        return self.r.choices(lines, k=n)

    def place(self, spec: FileSpec, lines: list[str]) -> None:
        """Overwrite distinct random lines with the planted lines.

        The (at most one) end-of-file plant takes the last line, which is then
        written without a trailing newline.
        """
        r, n = self.r, len(lines)
        eof = [p for p in spec.plants if p.context == "eof-no-newline"]
        others = [p for p in spec.plants if p.context != "eof-no-newline"]
        slots = r.sample(range(n - 1 if eof else n), k=len(others)) + ([n - 1] if eof else [])
        for plant, i in zip(others + eof, slots, strict=True):
            plant.line = i + 1
            lines[i] = plant_line(r, spec.lang, plant.token, plant.context)

    def render_text(self, spec: FileSpec) -> bytes:
        lines = self.text_lines(spec)
        if spec.plants:
            self.place(spec, lines)
        # latin-1 files may draw a pool line with a non-latin-1 character: "?" it.
        enc, errors = ("latin-1", "replace") if spec.kind == "latin1" else ("utf-8", "strict")
        for p in spec.plants:
            line = lines[p.line - 1]
            p.column = len(line[:line.index(p.token)].encode(enc, errors)) + 1
        nl = "\r\n" if spec.crlf else "\n"
        body = nl.join(lines) + (nl if spec.final_newline else "")
        return body.encode(enc, errors)

    def render_bundle(self, spec: FileSpec) -> bytes:
        r = self.r
        pool = self.pools.get("__min__")
        if pool is None:
            pr = random.Random(f"{self.seed}:min")
            snippets = [t.format_map(Filler(pr)) for t in pr.choices(MIN_TEMPLATES, k=4000)]
            pool = self.pools["__min__"] = (snippets, sum(map(len, snippets)) / len(snippets))
        snippets, mean = pool
        parts = r.choices(snippets, k=max(10 + 2 * len(spec.plants), round(spec.size / mean)))
        n, used = len(parts), set()
        for p in spec.plants:
            at = -1
            while at < 0 or at in used:  # one plant per snippet slot
                if p.context == "bundle-end":
                    at = n - 1 - r.randint(0, max(len(spec.plants), n // 200))  # last ~0.5 %
                else:
                    at = r.randrange(n)
            used.add(at)
            parts[at] = r.choice((f"var {r.choice('abcdefghijklmnopqrstuvwxyz')}=\"{p.token}\";",
                                  f"headers:{{Authorization:\"Bearer {p.token}\"}},",
                                  f"apiKey:'{p.token}',"))
        line = "".join(parts)
        for p in spec.plants:
            p.line, p.column = 1, line.index(p.token) + 1  # bundles are ASCII
        name = spec.path.rsplit("/", 1)[-1]
        return (line + f"\n//# sourceMappingURL={name}.map\n").encode()

    def render_map(self, spec: FileSpec) -> bytes:
        r = self.r
        ts_lines, ts_mean = self.pool("ts")
        sources, contents = [], []
        content_budget = spec.size * 0.65
        while content_budget > 0 or not contents:
            k = r.randint(20, 400)
            sources.append(f"webpack:///./src/{kebab(r)}/{pascal(r)}.ts")
            contents.append(r.choices(ts_lines, k=k))
            content_budget -= k * ts_mean
        used = set()
        for p in spec.plants:
            while True:  # one plant per source line
                s = r.randrange(len(contents))
                i = r.randrange(len(contents[s]))
                if (s, i) not in used:
                    break
            used.add((s, i))
            src = contents[s]
            if p.context == "sourcemap-line-start":
                # a source line that *starts* with the key: after JSON escaping
                # the map reads ...\nkat_live_... (a letter right before the key)
                src[i] = p.token
                if i == 0:
                    src[0] = "// raw asset\n" + p.token
            else:
                src[i] = plant_line(r, "ts", p.token, "code-string")
        seg_r = random.Random(f"{self.seed}:vlq")
        segs = ["".join(seg_r.choices(B64, k=seg_r.choice((4, 4, 5, 6)))) for _ in range(2000)]
        n_segs = max(10, int(spec.size * 0.3 / 5))
        mappings = ";".join(",".join(r.choices(segs, k=r.randint(5, 40))) for _ in range(n_segs // 20))
        doc = {"version": 3, "file": spec.path.rsplit("/", 1)[-1][:-4], "sources": sources,
               "sourcesContent": ["\n".join(c) for c in contents],
               "names": [camel(r) for _ in range(200)], "mappings": mappings}
        text = json.dumps(doc, separators=(",", ":"), ensure_ascii=False)
        for p in spec.plants:
            p.line, p.column = 1, len(text[:text.index(p.token)].encode()) + 1
        return text.encode()  # source maps usually have no trailing newline

    def render_binary(self, spec: FileSpec) -> bytes:
        r = self.r
        headers = {"png": b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR", "jpg": b"\xff\xd8\xff\xe0\x00\x10JFIF\x00",
                   "woff2": b"wOF2\x00\x01\x00\x00", "so": b"\x7fELF\x02\x01\x01\x00\x00\x00\x00\x00",
                   "sqlite": b"SQLite format 3\x00", "bin": b"\x00\x00\x00\x01KATB\x00",
                   "pdf": b"%PDF-1.7\n%\x00\x00\x00\x00\n"}
        ext = spec.path.rsplit(".", 1)[-1]
        data = bytearray(headers[ext] + r.randbytes(max(64, spec.size - 16)))
        for p in spec.plants:
            # The header already has a NUL in its first 16 bytes, so any binary
            # sniffing sees it; the key sits in the body like a string in a binary.
            at = r.randint(min(len(data) - 1, 9000), len(data) - 1)
            blob = b"\x00" + p.token.encode() + b"\x00"
            data[at:at] = blob
            p.line = data.count(b"\n", 0, at) + 1
            p.column = at - (data.rfind(b"\n", 0, at) + 1) + 2
        return bytes(data)

    def write_oversize(self, spec: FileSpec, path: Path) -> int:
        """Stream a > 64 MiB NDJSON file built from a repeated ~1 MiB chunk."""
        r = self.r
        lines, mean = self.pool("log")
        chunk_lines = r.choices(lines, k=int(MIB / mean))
        chunk = ("\n".join(chunk_lines) + "\n").encode()
        n_chunks = spec.size // len(chunk) + 1
        key_chunk = n_chunks // 2
        written = 0
        with open(path, "wb") as fh:
            for c in range(n_chunks):
                if c == key_chunk and spec.plants:
                    kl = list(chunk_lines)
                    for j, p in enumerate(spec.plants):
                        kl[j * 7] = f"{{\"event\":\"login\",\"token\":\"{p.token}\"}}"
                        p.line = c * len(chunk_lines) + j * 7 + 1
                        p.column = kl[j * 7].index(p.token) + 1
                    data = ("\n".join(kl) + "\n").encode()
                else:
                    data = chunk
                fh.write(data)
                written += len(data)
        return written

    def gitignores(self) -> dict[str, str]:
        root = ("# Dependencies\nnode_modules/\n\n# Build output, caches, reports\nbuild/\n"
                ".cache/\ncoverage/\n*.log\n\n# Local overrides are never committed\n.env.local\n")
        files = {".gitignore": root}
        for proj in self.nested_ignores:
            files[f"{proj}/.gitignore"] = "# scratch space and generated code\ntmp/\n*.generated.ts\n"
        return files

    def write(self) -> tuple[int, int]:
        self.out.mkdir(parents=True)
        made: set[str] = set()
        total = 0
        for spec in self.specs:
            path = self.out / spec.path
            parent = str(path.parent)
            if parent not in made:
                path.parent.mkdir(parents=True, exist_ok=True)
                made.add(parent)
            if spec.kind == "oversize":
                total += self.write_oversize(spec, path)
                continue
            if spec.kind == "bundle":
                data = self.render_bundle(spec)
            elif spec.kind == "map":
                data = self.render_map(spec)
            elif spec.kind == "binary":
                data = self.render_binary(spec)
            else:
                data = self.render_text(spec)
            path.write_bytes(data)
            total += len(data)
        for rel, text in self.gitignores().items():
            p = self.out / rel
            p.parent.mkdir(parents=True, exist_ok=True)
            p.write_text(text)
            total += len(text)
        # A git repository (nothing committed) so .gitignore applies to both tools.
        subprocess.run(["git", "-c", "init.defaultBranch=main", "init", "-q", str(self.out)], check=True)
        return len(self.specs) + len(self.gitignores()), total

    def manifests(self) -> tuple[list[dict], list[dict]]:
        live, decoys = [], []
        for spec in self.specs:
            for p in spec.plants:
                if p.live:
                    live.append({"path": spec.path, "line": p.line, "column": p.column,
                                 "key_id": p.key_id, "key": p.token, "context": p.context,
                                 "expected": p.excluded_reason is None,
                                 "excluded_reason": p.excluded_reason})
                else:
                    decoys.append({"path": spec.path, "line": p.line, "token": p.token,
                                   "class": p.decoy_class, "key_id": p.key_id})
        return live, decoys


def sibling(out: Path, suffix: str) -> Path:
    return out.with_name(out.name + suffix)


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("out", nargs="?", default="/tmp/katscan-bench/corpus",
                    help="corpus directory, outside the repository (default: %(default)s)")
    ap.add_argument("--files", type=int, default=100_000, help="approximate file count")
    ap.add_argument("--size-mb", type=int, default=1024, help="approximate total size in MiB")
    ap.add_argument("--seed", type=int, default=20240611)
    ap.add_argument("--keys", type=int, help="live keys to plant (default: scales with size, 80..300)")
    ap.add_argument("--decoys", type=int, help="decoys to plant (default: 2/3 of --keys)")
    ap.add_argument("--force", action="store_true", help="regenerate even if the stamp matches")
    args = ap.parse_args()

    out = Path(args.out).expanduser().resolve()
    if out == REPO_ROOT or REPO_ROOT in out.parents:
        sys.exit(f"refusing to write the corpus inside the repository ({REPO_ROOT})")
    keys = args.keys or max(80, min(300, round(300 * args.size_mb / 1024)))
    decoys = args.decoys if args.decoys is not None else keys * 2 // 3
    params = {"files": args.files, "size_mb": args.size_mb, "seed": args.seed, "keys": keys,
              "decoys": decoys,
              "generator_sha256": hashlib.sha256(Path(__file__).read_bytes()).hexdigest()}
    stamp = sibling(out, ".stamp.json")

    if not args.force and out.is_dir() and stamp.is_file():
        try:
            if json.loads(stamp.read_text()).get("params") == params:
                print(f"corpus up to date: {out} (stamp {stamp})")
                return 0
        except json.JSONDecodeError:
            pass
    if out.exists():
        # Only ever delete a directory that this script created (it has a stamp).
        if not stamp.exists() and any(out.iterdir()):
            sys.exit(f"{out} exists, is not empty and has no {stamp.name}; not touching it")
        shutil.rmtree(out)
    stamp.unlink(missing_ok=True)

    t0 = time.monotonic()
    corpus = Corpus(out, args.files, args.size_mb, args.seed, keys, decoys)
    corpus.plan()
    n_files, n_bytes = corpus.write()
    live, decoy_rows = corpus.manifests()
    for suffix, rows in ((".manifest.jsonl", live), (".decoys.jsonl", decoy_rows)):
        with open(sibling(out, suffix), "w") as fh:
            fh.writelines(json.dumps(row) + "\n" for row in rows)
    expected = sum(1 for x in live if x["expected"])
    summary = {"files": n_files, "bytes": n_bytes, "live_keys": len(live), "expected": expected,
               "decoys": len(decoy_rows), "seconds": round(time.monotonic() - t0, 1)}
    # The stamp is written last: an interrupted run leaves no stamp and is redone.
    stamp.write_text(json.dumps({"params": params, "summary": summary}, indent=2) + "\n")
    print(f"corpus written: {out}: {n_files} files, {n_bytes / MIB:.1f} MiB, "
          f"{len(live)} live keys ({expected} must be found), {len(decoy_rows)} decoys, "
          f"{summary['seconds']} s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
