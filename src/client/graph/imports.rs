//! What a JavaScript or TypeScript module imports, found by a byte scanner.
//!
//! Not a parser: it knows comments, strings, template literals and regex
//! literals well enough not to mistake their contents for code, and it
//! recognises the few statement shapes that pull in another module. Every
//! step moves forward and every construct that can run away (a string, a
//! regex) ends at a newline, so a syntax error costs one line and a 5 MB
//! minified bundle is one linear pass (about 10 ms).

use std::ops::Range;

/// How one module reaches another.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ImportKind {
    /// `import … from "x"`, `export … from "x"`, `import "x"`,
    /// `require("x")`, `import("x")`.
    Module,
    /// `import.meta.glob("./x/*.yml")`: every matching file.
    Glob,
}

/// One import statement's target, as written.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Import {
    pub specifier: String,
    pub kind: ImportKind,
    /// Names the statement binds (`import A, { b as c } from` binds `A`
    /// and `c`); empty for side-effect imports, re-exports and calls.
    pub bindings: Vec<String>,
    /// The statement's bytes, so a caller can tell uses of a binding from
    /// its import.
    pub statement: Range<usize>,
}

/// Longest stretch of an import clause (`import { a, b, … } from`) looked
/// through for its `from`: a clause is short, a runaway one is not a clause.
const MAX_CLAUSE: usize = 4096;

/// The imports of `source`. Type-only imports (`import type`) are left
/// out: TypeScript erases them.
pub fn imports(source: &[u8]) -> Vec<Import> {
    let mut found = Vec::new();
    let mut lexer = Lexer::new(source);
    while let Some(token) = lexer.next_token() {
        let Token::Word(word) = token else { continue };
        let start = word.start;
        match &source[word] {
            b"import" => {
                if lexer.previous_was_dot {
                    continue;
                }
                import_at(&mut lexer, start, &mut found);
            }
            b"export" => export_at(&mut lexer, start, &mut found),
            b"require" if !lexer.previous_was_dot => {
                let save = lexer.at;
                if lexer.next_token() == Some(Token::Punct(b'('))
                    && let Some(Token::Str(text)) = lexer.next_token()
                    && lexer.next_token() == Some(Token::Punct(b')'))
                {
                    found.push(Import {
                        specifier: string_value(source, text),
                        kind: ImportKind::Module,
                        bindings: Vec::new(),
                        statement: start..lexer.at,
                    });
                } else {
                    lexer.at = save;
                }
            }
            _ => {}
        }
    }
    found
}

fn import_at(lexer: &mut Lexer<'_>, start: usize, found: &mut Vec<Import>) {
    let source = lexer.source;
    let save = lexer.at;
    match lexer.next_token() {
        // import("x")
        Some(Token::Punct(b'(')) => {
            if let Some(Token::Str(text)) = lexer.next_token()
                && matches!(
                    lexer.next_token(),
                    Some(Token::Punct(b')') | Token::Punct(b','))
                )
            {
                found.push(Import {
                    specifier: string_value(source, text),
                    kind: ImportKind::Module,
                    bindings: Vec::new(),
                    statement: start..lexer.at,
                });
            } else {
                lexer.at = save;
            }
        }
        // import.meta.glob("…") / import.meta.glob(["…", "!…"])
        Some(Token::Punct(b'.')) => {
            let is_glob = matches!(lexer.next_token(), Some(Token::Word(w)) if &source[w.clone()] == b"meta")
                && lexer.next_token() == Some(Token::Punct(b'.'))
                && matches!(lexer.next_token(), Some(Token::Word(w)) if source[w.clone()].starts_with(b"glob"))
                && lexer.next_token() == Some(Token::Punct(b'('));
            if !is_glob {
                lexer.at = save;
                return;
            }
            let mut patterns = Vec::new();
            match lexer.next_token() {
                Some(Token::Str(text)) => patterns.push(string_value(source, text)),
                Some(Token::Punct(b'[')) => {
                    while let Some(token) = lexer.next_token() {
                        match token {
                            Token::Str(text) => patterns.push(string_value(source, text)),
                            Token::Punct(b',') => {}
                            _ => break,
                        }
                    }
                }
                _ => {}
            }
            found.extend(patterns.into_iter().map(|specifier| Import {
                specifier,
                kind: ImportKind::Glob,
                bindings: Vec::new(),
                statement: start..lexer.at,
            }));
        }
        // import "x"
        Some(Token::Str(text)) => found.push(Import {
            specifier: string_value(source, text),
            kind: ImportKind::Module,
            bindings: Vec::new(),
            statement: start..lexer.at,
        }),
        Some(Token::Word(first)) if &source[first.clone()] == b"type" => {
            // `import type X from` / `import type { X } from` are erased;
            // `import type from "x"` imports a default named `type`.
            let after = lexer.at;
            if matches!(lexer.next_token(), Some(Token::Word(w)) if &source[w.clone()] == b"from") {
                lexer.at = after;
                clause_then_from(lexer, start, vec![], found, true);
            } else {
                lexer.at = after;
                skip_clause(lexer);
            }
        }
        Some(Token::Word(_) | Token::Punct(b'{') | Token::Punct(b'*')) => {
            lexer.at = save;
            clause_then_from(lexer, start, vec![], found, true);
        }
        _ => lexer.at = save,
    }
}

fn export_at(lexer: &mut Lexer<'_>, start: usize, found: &mut Vec<Import>) {
    let source = lexer.source;
    let save = lexer.at;
    match lexer.next_token() {
        Some(Token::Punct(b'{') | Token::Punct(b'*')) => {
            lexer.at = save;
            clause_then_from(lexer, start, vec![], found, false);
        }
        Some(Token::Word(w)) if &source[w.clone()] == b"type" => skip_clause(lexer),
        _ => lexer.at = save,
    }
}

/// Reads an import or export clause up to `from "x"`; records the import
/// when the clause ends that way. Gives up (rewinding) at a `;`, a string
/// not preceded by `from`, or after [`MAX_CLAUSE`] bytes.
fn clause_then_from(
    lexer: &mut Lexer<'_>,
    start: usize,
    mut bindings: Vec<String>,
    found: &mut Vec<Import>,
    collect_bindings: bool,
) {
    let source = lexer.source;
    let save = lexer.at;
    let mut last_word: Option<Range<usize>> = None;
    let mut after_as = false;
    while let Some(token) = lexer.next_token() {
        if lexer.at - save > MAX_CLAUSE {
            break;
        }
        match token {
            Token::Str(text) => {
                if last_word.is_some_and(|w| &source[w] == b"from") {
                    // `from` itself was pushed as a binding: drop it.
                    bindings.pop();
                    found.push(Import {
                        specifier: string_value(source, text),
                        kind: ImportKind::Module,
                        bindings: if collect_bindings {
                            bindings
                        } else {
                            Vec::new()
                        },
                        statement: start..lexer.at,
                    });
                    return;
                }
                break;
            }
            Token::Word(word) => {
                let text = &source[word.clone()];
                if text == b"as" {
                    // `a as b`: `b` is the binding, not `a`.
                    bindings.pop();
                    after_as = true;
                } else if text != b"type" || after_as {
                    bindings.push(String::from_utf8_lossy(text).into_owned());
                    after_as = false;
                }
                last_word = Some(word);
            }
            Token::Punct(b';') => break,
            Token::Punct(_) => last_word = None,
        }
    }
    lexer.at = save;
}

/// Moves past a type-only clause without recording it.
fn skip_clause(lexer: &mut Lexer<'_>) {
    let mut ignored = Vec::new();
    let save = lexer.at;
    clause_then_from(lexer, save, Vec::new(), &mut ignored, false);
    if let Some(import) = ignored.pop() {
        lexer.at = import.statement.end;
    }
}

/// A string literal's text without its quotes. Escapes are rare in module
/// specifiers and left as written.
fn string_value(source: &[u8], literal: Range<usize>) -> String {
    let inner = &source[literal.start + 1..literal.end.saturating_sub(1).max(literal.start + 1)];
    String::from_utf8_lossy(inner).into_owned()
}

#[derive(Debug, Clone, PartialEq, Eq)]
enum Token {
    Word(Range<usize>),
    /// A complete `'…'` or `"…"` literal, quotes included.
    Str(Range<usize>),
    Punct(u8),
}

/// Tokens of JavaScript that matter here; everything else is skipped.
pub(crate) struct Lexer<'s> {
    source: &'s [u8],
    pub(crate) at: usize,
    /// Whether the previous significant character allows a regex literal
    /// to start (after `(`, `=`, an operator, or a keyword like `return`).
    regex_allowed: bool,
    /// Whether the word just returned followed a `.` (`x.require(…)`).
    previous_was_dot: bool,
    /// Whether the last punctuation token was a `.`.
    after_dot: bool,
    /// Nesting of `${` inside template literals.
    template_depth: Vec<usize>,
    brace_depth: usize,
}

impl<'s> Lexer<'s> {
    pub(crate) fn new(source: &'s [u8]) -> Self {
        Lexer {
            source,
            at: 0,
            regex_allowed: true,
            previous_was_dot: false,
            after_dot: false,
            template_depth: Vec::new(),
            brace_depth: 0,
        }
    }

    fn next_token(&mut self) -> Option<Token> {
        let source = self.source;
        loop {
            let &byte = source.get(self.at)?;
            match byte {
                b' ' | b'\t' | b'\n' | b'\r' => self.at += 1,
                b'/' if source.get(self.at + 1) == Some(&b'/') => {
                    self.at = memchr::memchr(b'\n', &source[self.at..])
                        .map_or(source.len(), |i| self.at + i);
                }
                b'/' if source.get(self.at + 1) == Some(&b'*') => {
                    self.at = memchr::memmem::find(&source[self.at + 2..], b"*/")
                        .map_or(source.len(), |i| self.at + 2 + i + 2);
                }
                b'/' if self.regex_allowed => {
                    self.at = skip_regex(source, self.at);
                    self.regex_allowed = false;
                }
                b'\'' | b'"' => {
                    let start = self.at;
                    self.at = skip_string(source, self.at);
                    self.regex_allowed = false;
                    self.after_dot = false;
                    return Some(Token::Str(start..self.at));
                }
                b'`' => {
                    self.at = self.skip_template(self.at + 1);
                    self.regex_allowed = false;
                }
                b'}' if self.template_depth.last() == Some(&self.brace_depth) => {
                    // The end of a `${…}`: back into the template.
                    self.template_depth.pop();
                    self.brace_depth = self.brace_depth.saturating_sub(1);
                    self.at = self.skip_template(self.at + 1);
                    self.regex_allowed = false;
                }
                _ if is_word_byte(byte) => {
                    let start = self.at;
                    while source.get(self.at).is_some_and(|&b| is_word_byte(b)) {
                        self.at += 1;
                    }
                    let word = &source[start..self.at];
                    self.regex_allowed = matches!(
                        word,
                        b"return"
                            | b"typeof"
                            | b"case"
                            | b"do"
                            | b"else"
                            | b"in"
                            | b"of"
                            | b"new"
                            | b"delete"
                            | b"void"
                            | b"throw"
                            | b"yield"
                            | b"await"
                    );
                    self.previous_was_dot = self.after_dot;
                    self.after_dot = false;
                    return Some(Token::Word(start..self.at));
                }
                _ => {
                    self.at += 1;
                    match byte {
                        b'{' => self.brace_depth += 1,
                        b'}' => self.brace_depth = self.brace_depth.saturating_sub(1),
                        _ => {}
                    }
                    self.regex_allowed = !matches!(byte, b')' | b']' | b'}');
                    self.after_dot = byte == b'.';
                    return Some(Token::Punct(byte));
                }
            }
        }
    }

    /// From just inside a template literal to just after its end, or into
    /// a `${` (then the lexer continues with code, and the matching `}`
    /// resumes the template).
    fn skip_template(&mut self, mut at: usize) -> usize {
        let source = self.source;
        while let Some(&byte) = source.get(at) {
            match byte {
                b'\\' => at += 2,
                b'`' => return at + 1,
                b'$' if source.get(at + 1) == Some(&b'{') => {
                    self.brace_depth += 1;
                    self.template_depth.push(self.brace_depth);
                    return at + 2;
                }
                _ => at += 1,
            }
        }
        source.len()
    }
}

fn is_word_byte(byte: u8) -> bool {
    byte.is_ascii_alphanumeric() || byte == b'_' || byte == b'$' || byte >= 0x80
}

/// Past a `'…'` or `"…"` literal starting at `at`; an unclosed one ends at
/// the line's end.
fn skip_string(source: &[u8], at: usize) -> usize {
    let quote = source[at];
    let mut i = at + 1;
    while let Some(&byte) = source.get(i) {
        match byte {
            b'\\' => i += 2,
            b'\n' => return i,
            _ if byte == quote => return i + 1,
            _ => i += 1,
        }
    }
    source.len()
}

/// Past a regex literal starting at `at` (classes may hold `/`); an
/// unclosed one ends at the line's end.
fn skip_regex(source: &[u8], at: usize) -> usize {
    let mut i = at + 1;
    let mut in_class = false;
    while let Some(&byte) = source.get(i) {
        match byte {
            b'\\' => i += 2,
            b'\n' => return i,
            b'[' => {
                in_class = true;
                i += 1
            }
            b']' => {
                in_class = false;
                i += 1
            }
            b'/' if !in_class => return i + 1,
            _ => i += 1,
        }
    }
    source.len()
}

/// Byte ranges of `export` declarations of the named functions, e.g. the
/// Next.js pages-router data functions: from `export` to the end of the
/// function body (or of the statement). Bounded by the file.
pub fn exported_functions(source: &[u8], names: &[&[u8]]) -> Vec<Range<usize>> {
    let mut ranges = Vec::new();
    let mut lexer = Lexer::new(source);
    while let Some(token) = lexer.next_token() {
        let Token::Word(word) = token else { continue };
        if &source[word.clone()] != b"export" {
            continue;
        }
        let start = word.start;
        let save = lexer.at;
        let mut named = false;
        // export [async] function NAME / export const|let|var NAME
        for _ in 0..3 {
            match lexer.next_token() {
                Some(Token::Word(w))
                    if matches!(
                        &source[w.clone()],
                        b"async" | b"function" | b"const" | b"let" | b"var"
                    ) => {}
                Some(Token::Word(w)) => {
                    named = names.contains(&&source[w]);
                    break;
                }
                Some(Token::Punct(b'*')) => {}
                _ => break,
            }
        }
        if !named {
            lexer.at = save;
            continue;
        }
        let end = statement_end(&mut lexer);
        ranges.push(start..end);
    }
    ranges
}

/// Where the declaration the lexer is inside ends: the `}` that closes its
/// outermost brace block, a `;` at depth 0, or the end of the line after
/// brackets close (`export const f = wrap(() => …)`).
fn statement_end(lexer: &mut Lexer<'_>) -> usize {
    let mut depth = 0usize;
    let mut closed_paren_at: Option<usize> = None;
    while let Some(token) = lexer.next_token() {
        if let Some(at) = closed_paren_at
            && lexer.source[at..lexer.at].contains(&b'\n')
            && !matches!(token, Token::Punct(b'.'))
        {
            return at;
        }
        match token {
            Token::Punct(b'{' | b'(' | b'[') => {
                depth += 1;
                closed_paren_at = None;
            }
            Token::Punct(close @ (b'}' | b')' | b']')) => {
                depth = depth.saturating_sub(1);
                if depth == 0 {
                    if close == b'}' {
                        return lexer.at;
                    }
                    closed_paren_at = Some(lexer.at);
                }
            }
            Token::Punct(b';') if depth == 0 => return lexer.at,
            _ => {}
        }
    }
    lexer.source.len()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn specifiers(source: &str) -> Vec<String> {
        imports(source.as_bytes())
            .into_iter()
            .map(|i| i.specifier)
            .collect()
    }

    #[test]
    fn static_dynamic_require_and_reexports() {
        let source = r#"
import React from "react";
import { a, b as c } from './lib/a';
import * as ns from "../ns";
import './side.css';
export { x } from "@/x";
export * from './star';
const lazy = import("./lazy");
const old = require('./old.cjs');
const notThis = foo.require('./no');
"#;
        assert_eq!(
            specifiers(source),
            [
                "react",
                "./lib/a",
                "../ns",
                "./side.css",
                "@/x",
                "./star",
                "./lazy",
                "./old.cjs"
            ]
        );
        let found = imports(source.as_bytes());
        assert_eq!(found[0].bindings, ["React"]);
        assert_eq!(found[1].bindings, ["a", "c"]);
        assert_eq!(found[2].bindings, ["ns"]);
    }

    #[test]
    fn comments_strings_templates_and_regexes_hide_nothing_else() {
        let source = r#"
// import a from './commented';
/* import b from './block'; */
const s = "import c from './in-string'";
const t = `import d from './in-template' ${ import('./in-expr') } done`;
const r = /import e from '.\/regex'/;
const x = a / b; import f from './after-division';
import type { T } from './types';
import { type U, V } from './mixed';
"#;
        assert_eq!(
            specifiers(source),
            ["./in-expr", "./after-division", "./mixed"]
        );
    }

    #[test]
    fn vite_glob_imports() {
        let source = r#"const m = import.meta.glob('./locales/*.yml', { eager: true });
const n = import.meta.glob(['./a/*.ts', '!./a/skip.ts']);"#;
        let found = imports(source.as_bytes());
        assert!(found.iter().all(|i| i.kind == ImportKind::Glob));
        assert_eq!(
            specifiers(source),
            ["./locales/*.yml", "./a/*.ts", "!./a/skip.ts"]
        );
    }

    #[test]
    fn broken_and_huge_inputs_end() {
        assert!(specifiers("import { a from").is_empty());
        assert!(specifiers("\"unterminated\nimport x from './y'").len() == 1);
        assert!(specifiers("`never closed ${ import('./z')").len() == 1);
        let big = "var a=1/2,b=\"x\",c=/re/g;".repeat(200_000);
        let started = std::time::Instant::now();
        assert!(specifiers(&big).is_empty());
        assert!(started.elapsed().as_secs() < 5);
    }

    #[test]
    fn data_function_spans() {
        let source = br#"import db from '../lib/db';
export default function Page({ items }) { return items; }
export async function getStaticProps({ params }) {
  const items = await db.all(`${params.id}`);
  return { props: { items } };
}
export const getStaticPaths = async () => ({ paths: [], fallback: false });
const after = 1;
"#;
        let spans = exported_functions(source, &[b"getStaticProps", b"getStaticPaths"]);
        let texts: Vec<&str> = spans
            .iter()
            .map(|r| std::str::from_utf8(&source[r.clone()]).unwrap())
            .collect();
        assert_eq!(texts.len(), 2);
        assert!(texts[0].starts_with("export async function getStaticProps"));
        assert!(texts[0].ends_with("return { props: { items } };\n}"));
        assert!(texts[1].starts_with("export const getStaticPaths"));
        assert!(texts[1].ends_with("fallback: false });"), "{}", texts[1]);
    }
}
