//! The one gate every byte katscan prints passes through.
//!
//! File names, file contents, config files and baselines are written by
//! whoever wrote the repository, and katscan's output is read by terminals,
//! CI logs and the GitHub runner. Two promises hold here, whatever feature
//! produced the text, so a new reporter or message cannot break them:
//!
//! - **No secret is printed** unless the user passed `--no-redact`: every
//!   key-shaped token is masked ([`crate::redact::Masker`]), also one that
//!   no rule reported or that a crop cut in half.
//! - **No input becomes a command**: raw control characters (ESC, BEL, CR,
//!   NUL …) never reach the reader, so no terminal escape sequence runs and
//!   no carriage return overwrites a line; and no line starts with `::`
//!   (after blanks, which the GitHub runner skips), so no workflow command
//!   is forged, except in the GitHub reporter's own stream, which escapes
//!   what it embeds ([`crate::report::GithubReporter`]).
//!
//! Text that is shown inside a line (a path in a message) should also go
//! through [`neutralise`], which makes control and bidirectional characters
//! visible; the gate is the backstop.

use std::borrow::Cow;
use std::fmt::Write as _;
use std::io::{self, Write};

use crate::redact::Masker;

/// What a [`Guarded`] stream lets through.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Policy {
    /// Mask key secrets (everything but `--no-redact`).
    pub redact: bool,
    /// Let ESC through: the stream carries katscan's own colours. Text
    /// from the repository is [`neutralise`]d before it is coloured.
    pub colour: bool,
    /// The stream is a GitHub workflow-command stream (`-f github`), whose
    /// lines are commands by design.
    pub workflow_commands: bool,
    /// Let CR through too (with `colour`, ESC): the stream redraws a line
    /// of katscan's own (the progress display) and carries nothing else.
    pub cursor_control: bool,
}

impl Policy {
    /// Redacting, plain, no workflow commands: right for anything.
    pub const STRICT: Policy = Policy {
        redact: true,
        colour: false,
        workflow_commands: false,
        cursor_control: false,
    };
}

/// A writer that enforces a [`Policy`] on everything written through it.
pub struct Guarded<W: Write> {
    inner: W,
    policy: Policy,
    masker: Masker,
    lines: LineGuard,
    /// Written but not yet through the gate: serializers write in many
    /// small pieces (a pretty-printed JSON report, a few bytes each), and
    /// the gate's work per call outweighs its work per byte.
    pending: Vec<u8>,
    masked: Vec<u8>,
    guarded: Vec<u8>,
}

/// Bytes gathered before they go through the gate in one piece.
const CHUNK: usize = 16 * 1024;

impl<W: Write> Guarded<W> {
    pub fn new(inner: W, policy: Policy) -> Self {
        Guarded {
            inner,
            policy,
            masker: Masker::default(),
            lines: LineGuard::default(),
            pending: Vec::new(),
            masked: Vec::new(),
            guarded: Vec::new(),
        }
    }

    /// Writes what the gate still holds (at most the start of a possible
    /// key) and flushes; call once at the end of the stream.
    pub fn finish(&mut self) -> io::Result<()> {
        self.drain(true)?;
        self.inner.flush()
    }

    /// Puts the pending bytes through the gate and writes them; `end` also
    /// releases what the gate holds back.
    fn drain(&mut self, end: bool) -> io::Result<()> {
        self.masked.clear();
        if self.policy.redact {
            self.masker.push(&self.pending, &mut self.masked);
            if end {
                self.masker.finish(&mut self.masked);
            }
        } else {
            self.masked.extend_from_slice(&self.pending);
        }
        self.pending.clear();
        self.guarded.clear();
        self.lines
            .push(&self.masked, self.policy, &mut self.guarded);
        if end {
            self.lines.finish(&mut self.guarded);
        }
        self.inner.write_all(&self.guarded)
    }
}

impl<W: Write> Write for Guarded<W> {
    fn write(&mut self, bytes: &[u8]) -> io::Result<usize> {
        self.pending.extend_from_slice(bytes);
        if self.pending.len() >= CHUNK {
            self.drain(false)?;
        }
        Ok(bytes.len())
    }

    /// Writes everything but the few bytes the gate must hold back (the
    /// start of what may be a key, until the stream shows what follows).
    fn flush(&mut self) -> io::Result<()> {
        self.drain(false)?;
        self.inner.flush()
    }
}

impl<W: Write> Drop for Guarded<W> {
    fn drop(&mut self) {
        // Best effort for a stream nobody finished: what is held is a few
        // bytes that did not complete a key prefix.
        let _ = self.finish();
    }
}

/// Replaces raw control characters (C0, DEL, C1 and the bidirectional
/// controls, whatever the format: a JSON string may legally hold them raw)
/// and defuses `::` at the start of a line, on a byte stream. Holds back at
/// most one `:` or the start of one UTF-8 sequence.
#[derive(Debug)]
struct LineGuard {
    /// Only blanks since the last newline.
    at_line_start: bool,
    /// A `:` at the start of a line, waiting to see whether `:` follows.
    held_colon: bool,
    /// The first bytes of a UTF-8 sequence that may encode a C1 or a
    /// bidirectional control.
    held_sequence: Vec<u8>,
}

impl Default for LineGuard {
    fn default() -> Self {
        LineGuard {
            at_line_start: true,
            held_colon: false,
            held_sequence: Vec::with_capacity(3),
        }
    }
}

/// What a UTF-8 sequence starting with `C2` or `E2` turns out to be.
enum Sequence {
    /// More bytes are needed to tell.
    Incomplete,
    /// U+0080–U+009F (C1 controls: `CSI` is U+009B) or a bidirectional
    /// control (U+200E, U+200F, U+202A–U+202E, U+2066–U+2069).
    Control,
    /// Anything else: passes unchanged.
    Harmless,
}

fn classify_sequence(bytes: &[u8]) -> Sequence {
    match bytes {
        [0xC2] | [0xE2] | [0xE2, 0x80 | 0x81] => Sequence::Incomplete,
        [0xC2, 0x80..=0x9F] => Sequence::Control,
        [0xE2, 0x80, 0x8E | 0x8F | 0xAA..=0xAE] | [0xE2, 0x81, 0xA6..=0xA9] => Sequence::Control,
        _ => Sequence::Harmless,
    }
}

/// Shown instead of a control character the stream must not carry.
const REPLACEMENT: &[u8] = "\u{FFFD}".as_bytes();
/// Between the two colons of a would-be workflow command: the runner only
/// reads lines that start with `::`, and readers still see `::`.
const COMMAND_BREAK: &[u8] = "\u{200B}".as_bytes();

impl LineGuard {
    fn push(&mut self, bytes: &[u8], policy: Policy, out: &mut Vec<u8>) {
        let mut rest = bytes;
        while !rest.is_empty() {
            // Fast path: inside a line, nothing held, the bytes up to the
            // next control byte, newline or possible control sequence pass
            // as they are (reports are mostly such runs).
            if !self.at_line_start && !self.held_colon && self.held_sequence.is_empty() {
                let plain = rest
                    .iter()
                    .position(|&b| b < 0x20 || b == 0x7f || b == 0xC2 || b == 0xE2)
                    .unwrap_or(rest.len());
                out.extend_from_slice(&rest[..plain]);
                rest = &rest[plain..];
                if rest.is_empty() {
                    break;
                }
            }
            let byte = rest[0];
            rest = &rest[1..];
            if !self.held_sequence.is_empty() || matches!(byte, 0xC2 | 0xE2) {
                self.held_sequence.push(byte);
                match classify_sequence(&self.held_sequence) {
                    Sequence::Incomplete => {}
                    Sequence::Control => {
                        self.held_sequence.clear();
                        self.text(REPLACEMENT, policy, out);
                    }
                    Sequence::Harmless => {
                        let mut held = std::mem::take(&mut self.held_sequence);
                        // A lead byte that broke an invalid sequence starts
                        // its own.
                        let restart = held.len() > 1 && matches!(held.last(), Some(0xC2 | 0xE2));
                        if restart {
                            self.held_sequence.extend(held.pop());
                        }
                        self.text(&held, policy, out);
                    }
                }
                continue;
            }
            self.byte(byte, policy, out);
        }
    }

    /// Bytes that need no further look at sequences.
    fn text(&mut self, bytes: &[u8], policy: Policy, out: &mut Vec<u8>) {
        for &byte in bytes {
            self.byte(byte, policy, out);
        }
    }

    fn byte(&mut self, byte: u8, policy: Policy, out: &mut Vec<u8>) {
        if self.held_colon {
            self.held_colon = false;
            out.push(b':');
            if byte == b':' && !policy.workflow_commands {
                out.extend_from_slice(COMMAND_BREAK);
            }
            self.at_line_start = false;
        }
        match byte {
            b'\n' => {
                out.push(byte);
                self.at_line_start = true;
                return;
            }
            b'\t' | b' ' => out.push(byte),
            0x1b if policy.colour => out.push(byte),
            b'\r' if policy.cursor_control => out.push(byte),
            0..=0x1f | 0x7f => out.extend_from_slice(REPLACEMENT),
            b':' if self.at_line_start => {
                self.held_colon = true;
                return;
            }
            _ => out.push(byte),
        }
        if byte != b' ' && byte != b'\t' {
            self.at_line_start = false;
        }
    }

    fn finish(&mut self, out: &mut Vec<u8>) {
        // An unfinished sequence is invalid UTF-8, not a control.
        out.append(&mut self.held_sequence);
        if self.held_colon {
            self.held_colon = false;
            out.push(b':');
        }
    }
}

/// `text` as one line a person can read safely: control characters
/// (newlines included), bidirectional overrides and other invisible
/// format characters are shown as escapes (`\n`, `\u{1b}`, `\u{202e}`), so
/// a file name cannot break a line, drive a terminal or reorder what is
/// shown ("trojan source").
pub fn neutralise(text: &str) -> Cow<'_, str> {
    escape(text, false)
}

/// [`neutralise`] for text of several lines (a rule's help): line breaks
/// and tabs stay, everything else that [`neutralise`] escapes is escaped.
pub fn neutralise_lines(text: &str) -> Cow<'_, str> {
    escape(text, true)
}

fn escape(text: &str, keep_newlines: bool) -> Cow<'_, str> {
    let escaped = |c: char| needs_escape(c) && !(keep_newlines && matches!(c, '\n' | '\t'));
    // Fast path for the usual text (every finding's help and message goes
    // through here): no byte that could begin a character to escape.
    if !text.bytes().any(may_begin_escape) || !text.chars().any(escaped) {
        return Cow::Borrowed(text);
    }
    let mut shown = String::with_capacity(text.len() + 8);
    for c in text.chars() {
        match c {
            c if !escaped(c) => shown.push(c),
            '\n' => shown.push_str("\\n"),
            '\r' => shown.push_str("\\r"),
            '\t' => shown.push_str("\\t"),
            c => {
                let _ = write!(shown, "\\u{{{:x}}}", u32::from(c));
            }
        }
    }
    Cow::Owned(shown)
}

/// Whether `byte` can be the first byte of a character [`needs_escape`]
/// accepts: an ASCII control, or the UTF-8 lead byte of C1 controls (C2),
/// U+061C (D8), U+200B–U+202E and U+2066–U+2069 (E2), or U+FEFF (EF).
fn may_begin_escape(byte: u8) -> bool {
    byte < 0x20 || byte == 0x7f || matches!(byte, 0xC2 | 0xD8 | 0xE2 | 0xEF)
}

fn needs_escape(c: char) -> bool {
    c.is_control()
        || matches!(
            c,
            // Bidirectional embeddings, overrides and isolates, the marks,
            // and zero-width characters that hide text.
            '\u{202A}'..='\u{202E}'
                | '\u{2066}'..='\u{2069}'
                | '\u{200B}'..='\u{200F}'
                | '\u{061C}'
                | '\u{2028}'
                | '\u{2029}'
                | '\u{FEFF}'
        )
}

#[cfg(test)]
mod tests {
    use super::*;

    fn through(policy: Policy, pieces: &[&str]) -> String {
        let mut out = Vec::new();
        {
            let mut guarded = Guarded::new(&mut out, policy);
            for piece in pieces {
                guarded.write_all(piece.as_bytes()).unwrap();
            }
            guarded.finish().unwrap();
        }
        String::from_utf8(out).unwrap()
    }

    #[test]
    fn masks_keys_split_across_writes() {
        let secret = "Qm8Zp2Lx7Vc4Rb9Nt1Hs6Jd3Fg5Wk0Ya";
        let shown = through(
            Policy::STRICT,
            &["k=kat_li", "ve_T0rtUr3x.Qm8Zp2", &secret[6..], "\n"],
        );
        assert_eq!(shown, format!("k=kat_live_T0rtUr3x.{}\n", "*".repeat(32)));
    }

    #[test]
    fn no_redact_lets_keys_through() {
        let policy = Policy {
            redact: false,
            ..Policy::STRICT
        };
        // Assembled at run time so this file holds no key literal of its own.
        let text = format!("kat_live_T0rtUr3x.{}\n", "Qm8Zp2Lx7Vc4Rb9Nt1Hs6J");
        assert_eq!(through(policy, &[&text]), text);
    }

    #[test]
    fn workflow_commands_are_defused_outside_the_github_stream() {
        let shown = through(
            Policy::STRICT,
            &["x\n::error title=forged::", "hi\n  :", ":warning::x\n"],
        );
        assert!(
            !shown.lines().any(|l| l.trim_start().starts_with("::")),
            "{shown}"
        );
        assert!(shown.contains(":\u{200B}:error title=forged::hi"));
        // A single colon, or colons later in a line, are untouched.
        assert_eq!(through(Policy::STRICT, &[":a b::c\n"]), ":a b::c\n");
        let github = Policy {
            workflow_commands: true,
            ..Policy::STRICT
        };
        assert_eq!(through(github, &["::error::x\n"]), "::error::x\n");
    }

    #[test]
    fn control_characters_never_pass() {
        let shown = through(Policy::STRICT, &["a\x1b[2Jb\x07c\rd\0e\x7f\tf\n"]);
        assert_eq!(
            shown,
            "a\u{FFFD}[2Jb\u{FFFD}c\u{FFFD}d\u{FFFD}e\u{FFFD}\tf\n"
        );
        let colour = Policy {
            colour: true,
            ..Policy::STRICT
        };
        assert_eq!(
            through(colour, &["\x1b[31mred\x1b[0m\x07"]),
            "\x1b[31mred\x1b[0m\u{FFFD}"
        );
    }

    /// The fast path of [`escape`] skips text by its bytes: every character
    /// that needs escaping must begin with a byte it looks for.
    #[test]
    fn every_character_to_escape_begins_with_a_byte_the_fast_path_sees() {
        let mut first = [0u8; 4];
        for c in (0..=u32::from(char::MAX)).filter_map(char::from_u32) {
            if needs_escape(c) {
                c.encode_utf8(&mut first);
                assert!(may_begin_escape(first[0]), "{c:?}");
            }
        }
    }

    #[test]
    fn neutralise_makes_every_line_breaker_visible() {
        assert_eq!(neutralise("src/app.js"), "src/app.js");
        assert_eq!(
            neutralise("x\n::error::y\r\u{1b}[31m\u{7}\u{202e}z\u{2028}"),
            "x\\n::error::y\\r\\u{1b}[31m\\u{7}\\u{202e}z\\u{2028}"
        );
        assert!(!neutralise("a\u{85}b").contains('\u{85}'));
        assert_eq!(
            neutralise_lines("help\n\tcode \u{1b}[2J\r"),
            "help\n\tcode \\u{1b}[2J\\r"
        );
    }
}
