//! Knows whether an offset of a file lies inside a comment.
//!
//! A commented-out `// app.use(cors())` or `# add_header … *;` is not a
//! permissive policy, so detectors skip matches that start in a comment
//! (keys are another matter: a key in a comment is still leaked, and KAT001
//! opts out). The lexer is deliberately small: comment tokens by file type,
//! string literals so that `"https://…"` and `'/api/*'` are not comments,
//! and one forward pass per file however many matches it has.

use std::path::Path;

/// Comment and string syntax of one family of file types.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct CommentSyntax {
    line: &'static [&'static str],
    block: Option<(&'static str, &'static str)>,
    quotes: &'static [u8],
    /// `#` only starts a comment at the start of a line or after white space
    /// (`color: #fff`, `$#`, `url#fragment` are not comments).
    line_needs_space_before: bool,
}

const C_LIKE: CommentSyntax = CommentSyntax {
    line: &["//"],
    block: Some(("/*", "*/")),
    quotes: b"\"'`",
    line_needs_space_before: false,
};
/// Rust: `'a` is a lifetime far more often than a character literal.
const RUST: CommentSyntax = CommentSyntax {
    quotes: b"\"",
    ..C_LIKE
};
const HASH: CommentSyntax = CommentSyntax {
    line: &["#"],
    block: None,
    quotes: b"\"'",
    line_needs_space_before: true,
};
const PHP: CommentSyntax = CommentSyntax {
    line: &["//", "#"],
    ..C_LIKE
};
const HCL: CommentSyntax = CommentSyntax {
    line: &["#", "//"],
    quotes: b"\"",
    ..C_LIKE
};
const MARKUP: CommentSyntax = CommentSyntax {
    line: &[],
    block: Some(("<!--", "-->")),
    quotes: b"",
    line_needs_space_before: false,
};
const INI: CommentSyntax = CommentSyntax {
    line: &[";", "#"],
    ..HASH
};
const SQL: CommentSyntax = CommentSyntax {
    line: &["--"],
    block: Some(("/*", "*/")),
    quotes: b"'\"",
    line_needs_space_before: false,
};

/// For files of unknown type (JSON, plain text): strings, no comments.
pub const PLAIN: CommentSyntax = CommentSyntax {
    line: &[],
    block: None,
    quotes: b"\"'",
    line_needs_space_before: false,
};

/// The comment syntax of a file, from its name; `None` when unknown (JSON,
/// plain text): then nothing counts as a comment.
pub fn syntax_for(path: &str) -> Option<CommentSyntax> {
    let name = Path::new(path).file_name()?.to_str()?;
    let mut lower = name.to_ascii_lowercase();
    // Templates (`nginx.conf.j2`, `site.conf.template`) have the comment
    // syntax of the file they render.
    for suffix in [
        ".j2",
        ".jinja",
        ".jinja2",
        ".tmpl",
        ".tpl",
        ".template",
        ".erb",
        ".in",
    ] {
        if let Some(inner) = lower.strip_suffix(suffix)
            && inner.contains('.')
        {
            lower = inner.to_string();
            break;
        }
    }
    match lower.as_str() {
        "dockerfile" | "containerfile" | "caddyfile" | "makefile" | "gemfile" | "rakefile"
        | "procfile" | ".htaccess" => return Some(HASH),
        _ if lower.starts_with("dockerfile.")
            || lower.starts_with("caddyfile.")
            || lower.starts_with(".env") =>
        {
            return Some(HASH);
        }
        _ => {}
    }
    let extension = lower.rsplit_once('.').map(|(_, ext)| ext)?;
    Some(match extension {
        "js" | "mjs" | "cjs" | "jsx" | "ts" | "mts" | "cts" | "tsx" | "java" | "kt" | "kts"
        | "scala" | "groovy" | "gradle" | "go" | "cs" | "swift" | "c" | "h" | "cc" | "cpp"
        | "hpp" | "m" | "mm" | "dart" | "jsonc" | "json5" | "scss" | "less" | "proto" | "vue"
        | "svelte" | "astro" => C_LIKE,
        "rs" => RUST,
        "php" => PHP,
        "tf" | "hcl" | "tfvars" | "nomad" => HCL,
        "py" | "pyi" | "rb" | "ru" | "rake" | "sh" | "bash" | "zsh" | "yml" | "yaml" | "toml"
        | "conf" | "properties" | "cfg" | "r" | "pl" | "ex" | "exs" | "nix" | "cmake"
        | "dockerfile" | "caddyfile" | "caddy" | "nginx" | "vhost" => HASH,
        "ini" => INI,
        "xml" | "html" | "htm" | "xhtml" | "config" | "csproj" | "plist" => MARKUP,
        "sql" => SQL,
        _ => return None,
    })
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum State {
    Code,
    LineComment,
    BlockComment,
    String(u8),
}

/// Answers "is this offset in a comment?" for ascending offsets, lexing the
/// file once from the start.
#[derive(Debug)]
pub struct CommentLexer<'a> {
    source: &'a [u8],
    syntax: CommentSyntax,
    at: usize,
    state: State,
}

impl<'a> CommentLexer<'a> {
    pub fn new(source: &'a [u8], syntax: CommentSyntax) -> Self {
        CommentLexer {
            source,
            syntax,
            at: 0,
            state: State::Code,
        }
    }

    /// Whether `offset` lies in a comment. Offsets must not decrease from
    /// one call to the next (a smaller one restarts the lexer).
    pub fn in_comment(&mut self, offset: usize) -> bool {
        if offset < self.at {
            self.at = 0;
            self.state = State::Code;
        }
        while self.at < offset.min(self.source.len()) {
            self.step();
        }
        matches!(self.state, State::LineComment | State::BlockComment)
    }

    fn step(&mut self) {
        let rest = &self.source[self.at..];
        let byte = rest[0];
        let mut advance = 1;
        self.state = match self.state {
            State::Code => {
                if let Some((open, _)) = self
                    .syntax
                    .block
                    .filter(|(open, _)| rest.starts_with(open.as_bytes()))
                {
                    advance = open.len();
                    State::BlockComment
                } else if self.starts_line_comment(rest) {
                    State::LineComment
                } else if self.syntax.quotes.contains(&byte) {
                    State::String(byte)
                } else {
                    State::Code
                }
            }
            State::LineComment if byte == b'\n' => State::Code,
            State::LineComment => State::LineComment,
            State::BlockComment => match self.syntax.block {
                Some((_, close)) if rest.starts_with(close.as_bytes()) => {
                    advance = close.len();
                    State::Code
                }
                _ => State::BlockComment,
            },
            State::String(_) if byte == b'\\' => {
                advance = 2;
                self.state
            }
            State::String(quote) if byte == quote => State::Code,
            // Template literals span lines; other unterminated strings end
            // with their line rather than swallowing the file.
            State::String(quote) if byte == b'\n' && quote != b'`' => State::Code,
            State::String(quote) => State::String(quote),
        };
        self.at = (self.at + advance).min(self.source.len());
    }

    /// Offsets of the `{` and `}` that are code (not in a string or
    /// comment) in `range`, each with `true` for an opening brace, lexing
    /// from `range.start` as if it were code (callers start at a line).
    pub fn code_braces(
        source: &'a [u8],
        syntax: CommentSyntax,
        range: std::ops::Range<usize>,
    ) -> Vec<(usize, bool)> {
        let end = range.end.min(source.len());
        let mut lexer = CommentLexer {
            source,
            syntax,
            at: range.start.min(end),
            state: State::Code,
        };
        let mut braces = Vec::new();
        while lexer.at < end {
            if lexer.state == State::Code {
                match source[lexer.at] {
                    b'{' => braces.push((lexer.at, true)),
                    b'}' => braces.push((lexer.at, false)),
                    _ => {}
                }
            }
            lexer.step();
        }
        braces
    }

    fn starts_line_comment(&self, rest: &[u8]) -> bool {
        let token = self
            .syntax
            .line
            .iter()
            .any(|token| rest.starts_with(token.as_bytes()));
        if !token {
            return false;
        }
        if !self.syntax.line_needs_space_before || self.at == 0 {
            return true;
        }
        self.source[self.at - 1].is_ascii_whitespace()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn in_comment(path: &str, source: &str, needle: &str) -> bool {
        let offset = source.find(needle).expect("needle in source");
        let syntax = syntax_for(path).expect("known file type");
        CommentLexer::new(source.as_bytes(), syntax).in_comment(offset)
    }

    #[test]
    fn c_like_line_and_block_comments() {
        assert!(in_comment("a.js", "// app.use(cors());\n", "cors"));
        assert!(in_comment("a.js", "x = 1; /* cors()\n still */", "still"));
        assert!(!in_comment("a.js", "/* done */ app.use(cors());", "cors"));
        assert!(!in_comment("a.js", "app.use(cors()); // trailing", "cors"));
    }

    #[test]
    fn strings_hide_comment_tokens() {
        assert!(!in_comment("a.js", "app.use('/api/*', cors());", "cors"));
        assert!(!in_comment(
            "a.js",
            "const u = \"https://x\"; cors();",
            "cors"
        ));
        assert!(!in_comment(
            "a.ts",
            "const s = 'it\\'s // not'; cors();",
            "cors"
        ));
        assert!(in_comment(
            "a.js",
            "const u = \"https://x\"; // cors();",
            "cors"
        ));
    }

    #[test]
    fn hash_comments_need_white_space_before() {
        assert!(in_comment(
            "nginx.conf",
            "  # add_header X *;\n",
            "add_header"
        ));
        assert!(!in_comment(
            "app.yaml",
            "color: #fff\norigin: '*'",
            "origin"
        ));
        assert!(in_comment(
            "settings.py",
            "x = 1  # CORS_ALLOW_ALL_ORIGINS = True",
            "CORS"
        ));
        assert!(!in_comment(
            "settings.py",
            "s = '# not'; CORS_ALLOW_ALL_ORIGINS = True",
            "CORS"
        ));
        assert!(in_comment("Dockerfile", "# ENV A=*", "ENV"));
    }

    #[test]
    fn rust_lifetimes_are_not_strings() {
        assert!(in_comment(
            "main.rs",
            "fn f<'a>(x: &'a str) {} // the lexer sees this comment",
            "sees"
        ));
    }

    #[test]
    fn markup_comments() {
        assert!(in_comment(
            "cors.xml",
            "<!-- <AllowedOrigin>*</AllowedOrigin> -->",
            "Allowed"
        ));
        assert!(!in_comment(
            "cors.xml",
            "<!-- old --><AllowedOrigin>*</AllowedOrigin>",
            "Allowed"
        ));
    }

    #[test]
    fn server_configs_and_templates_use_their_own_syntax() {
        assert_eq!(syntax_for("deploy/site.caddyfile"), Some(HASH));
        assert_eq!(syntax_for("Caddyfile.prod"), Some(HASH));
        assert_eq!(syntax_for("nginx/api.vhost"), Some(HASH));
        assert_eq!(syntax_for("templates/nginx.conf.j2"), Some(HASH));
        assert_eq!(syntax_for("src/app.js.tmpl"), Some(C_LIKE));
        assert_eq!(syntax_for("cloudformation.yaml.template"), Some(HASH));
    }

    #[test]
    fn code_braces_skip_strings_and_comments() {
        let source = "f() { s = \"{\"; // }\n if x { y } /* { */ }";
        let braces: Vec<(usize, bool)> = CommentLexer::code_braces(
            source.as_bytes(),
            syntax_for("a.go").unwrap(),
            0..source.len(),
        );
        let chars: String = braces
            .iter()
            .map(|&(at, open)| {
                assert_eq!(source.as_bytes()[at], if open { b'{' } else { b'}' });
                if open { '{' } else { '}' }
            })
            .collect();
        assert_eq!(chars, "{{}}");
    }

    #[test]
    fn unknown_types_have_no_comments() {
        assert_eq!(syntax_for("vercel.json"), None);
        assert_eq!(syntax_for("README"), None);
    }

    #[test]
    fn ascending_queries_lex_once_and_agree_with_fresh_lexers() {
        let source = "a // one\nb /* two\nthree */ c 'str // no' d";
        let syntax = syntax_for("x.js").unwrap();
        let mut shared = CommentLexer::new(source.as_bytes(), syntax);
        for offset in 0..source.len() {
            let fresh = CommentLexer::new(source.as_bytes(), syntax).in_comment(offset);
            assert_eq!(shared.in_comment(offset), fresh, "offset {offset}");
        }
    }
}
