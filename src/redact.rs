//! What a Katalo key looks like to redaction, and how its secret is hidden.
//!
//! Redaction is a property of output, not of detection: every key-shaped
//! token is masked wherever katscan prints it, whether or not a key rule
//! ran, matched, or called it a placeholder. So the shape here is wider
//! than KAT001's pattern: `kat_live_`, an id of any length, a dot, and a
//! secret of any length. The secret stops where the next `kat_live_`
//! starts, so two keys written back to back are two tokens and the second
//! one's id stays readable. The id is never masked: it names the key to
//! revoke.
//!
//! [`secret_ranges`] serves text cut out of a file (snippets, matched
//! text), where a crop could split a token; [`Masker`] serves streams (every
//! byte katscan writes passes one, see [`crate::output`]).

use std::borrow::Cow;
use std::ops::Range;

use crate::finding::MASK;

/// The literal every key starts with.
pub const KEY_PREFIX: &[u8] = b"kat_live_";

fn is_id_byte(byte: u8) -> bool {
    byte.is_ascii_alphanumeric()
}

fn is_secret_byte(byte: u8) -> bool {
    byte.is_ascii_alphanumeric() || byte == b'_' || byte == b'-'
}

/// Byte ranges of the secrets of every key-shaped token in `bytes`.
pub fn secret_ranges(bytes: &[u8]) -> Vec<Range<usize>> {
    let starts: Vec<usize> = memchr::memmem::find_iter(bytes, KEY_PREFIX).collect();
    let mut ranges = Vec::new();
    for (index, &start) in starts.iter().enumerate() {
        let next_token = starts.get(index + 1).copied().unwrap_or(bytes.len());
        let id_start = start + KEY_PREFIX.len();
        let id_end = id_start
            + bytes[id_start..next_token]
                .iter()
                .take_while(|&&b| is_id_byte(b))
                .count();
        if id_end == id_start || bytes.get(id_end) != Some(&b'.') || id_end + 1 >= next_token {
            continue;
        }
        let secret_start = id_end + 1;
        let secret_end = secret_start
            + bytes[secret_start..next_token]
                .iter()
                .take_while(|&&b| is_secret_byte(b))
                .count();
        if secret_end > secret_start {
            ranges.push(secret_start..secret_end);
        }
    }
    ranges
}

/// `text` with the secret of every key-shaped token shown as `*`.
pub fn mask_secrets(text: &str) -> Cow<'_, str> {
    let ranges = secret_ranges(text.as_bytes());
    if ranges.is_empty() {
        return Cow::Borrowed(text);
    }
    let mut bytes = text.as_bytes().to_vec();
    for range in ranges {
        // Secret bytes are ASCII, so masking keeps the text valid UTF-8.
        bytes[range].fill(MASK as u8);
    }
    Cow::Owned(String::from_utf8(bytes).expect("only ASCII bytes were replaced"))
}

/// Where a [`Masker`] is inside a token.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum State {
    /// Outside any token.
    Text,
    /// After `kat_live_`, counting id bytes.
    Id { len: usize },
    /// After the dot: secret bytes are masked.
    Secret,
}

/// Masks key secrets in a byte stream that arrives in arbitrary pieces: a
/// token split across two writes is masked all the same. It holds back at
/// most the few bytes that could begin `kat_live_`, so output is delayed
/// by no more than that until [`Masker::finish`].
#[derive(Debug, Clone)]
pub struct Masker {
    state: State,
    /// A partial `kat_live_` seen last, not yet decided.
    held: Vec<u8>,
}

impl Default for Masker {
    fn default() -> Self {
        Masker {
            state: State::Text,
            held: Vec::with_capacity(KEY_PREFIX.len()),
        }
    }
}

impl Masker {
    /// Masks `input`, appending what can be decided to `out`.
    pub fn push(&mut self, input: &[u8], out: &mut Vec<u8>) {
        let mut rest = input;
        while !rest.is_empty() {
            if self.held.is_empty() && self.state == State::Text {
                // Fast path: plain text up to the next possible token.
                let plain = memchr::memchr(b'k', rest).unwrap_or(rest.len());
                out.extend_from_slice(&rest[..plain]);
                rest = &rest[plain..];
                if rest.is_empty() {
                    break;
                }
            }
            self.byte(rest[0], out);
            rest = &rest[1..];
        }
    }

    /// Releases what is held back (the end of the stream).
    pub fn finish(&mut self, out: &mut Vec<u8>) {
        let held = std::mem::take(&mut self.held);
        for byte in held {
            self.plain(byte, out);
        }
        self.state = State::Text;
    }

    fn byte(&mut self, byte: u8, out: &mut Vec<u8>) {
        if KEY_PREFIX.get(self.held.len()) == Some(&byte) {
            self.held.push(byte);
            if self.held.len() == KEY_PREFIX.len() {
                out.append(&mut self.held);
                self.state = State::Id { len: 0 };
            }
            return;
        }
        if !self.held.is_empty() {
            // Not a token after all: the held bytes are ordinary bytes in
            // whatever state came before, and `byte` may start a new token.
            let held = std::mem::take(&mut self.held);
            for held_byte in held {
                self.plain(held_byte, out);
            }
            self.byte(byte, out);
            return;
        }
        self.plain(byte, out);
    }

    /// One byte that is not part of a `kat_live_` prefix.
    fn plain(&mut self, byte: u8, out: &mut Vec<u8>) {
        match self.state {
            State::Id { len } if is_id_byte(byte) => {
                self.state = State::Id { len: len + 1 };
                out.push(byte);
            }
            State::Id { len } if len > 0 && byte == b'.' => {
                self.state = State::Secret;
                out.push(byte);
            }
            State::Secret if is_secret_byte(byte) => out.push(MASK as u8),
            _ => {
                self.state = State::Text;
                out.push(byte);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    // Assembled at run time so this file holds no key literal of its own.
    fn token(id: &str, secret: &str) -> String {
        format!("kat_live_{id}.{secret}")
    }

    fn streamed(pieces: &[&[u8]]) -> String {
        let mut masker = Masker::default();
        let mut out = Vec::new();
        for piece in pieces {
            masker.push(piece, &mut out);
        }
        masker.finish(&mut out);
        String::from_utf8(out).unwrap()
    }

    #[test]
    fn masks_the_secret_and_keeps_the_id() {
        let text = format!("k={} end", token("T0rtUr3x", "Qm8Zp2Lx7Vc4Rb9N"));
        let expected = format!("k=kat_live_T0rtUr3x.{} end", "*".repeat(16));
        assert_eq!(mask_secrets(&text), expected);
        assert_eq!(streamed(&[text.as_bytes()]), expected);
    }

    #[test]
    fn masks_tokens_outside_the_detection_pattern() {
        // Id over 64, secret over 128, secret under 16: all still masked.
        let long_id = "a1".repeat(40);
        let long_secret = "Zq9_".repeat(50);
        for text in [
            token(&long_id, "Qm8Zp2Lx7Vc4Rb9N"),
            token("T0rt", &long_secret),
            token("T0rt", "short"),
        ] {
            let masked = mask_secrets(&text);
            let secret = text.split_once('.').unwrap().1;
            assert!(!masked.contains(secret), "{masked}");
            assert_eq!(streamed(&[text.as_bytes()]), masked);
        }
    }

    #[test]
    fn keys_back_to_back_are_two_tokens() {
        let first = token("T0rtUr3x", "Qm8Zp2Lx7Vc4Rb9Nt1Hs6Jd3Fg5Wk0Ya");
        let second = token("Ab3dE9zq", "Zr5Tq8Wm2Xn7Lp4Kv9Bc1Hd6Jf3Gs0Qe");
        let text = format!("k={first}{second}");
        let expected = format!(
            "k=kat_live_T0rtUr3x.{}kat_live_Ab3dE9zq.{}",
            "*".repeat(32),
            "*".repeat(32)
        );
        assert_eq!(mask_secrets(&text), expected);
        assert_eq!(streamed(&[text.as_bytes()]), expected);
    }

    #[test]
    fn not_a_token_is_left_alone() {
        for text in [
            "kat_live_YOUR_KEY_HERE",
            "kat_live_.secret",
            "kat_live_abc.",
            "kat_test_abcd.efghijklmnop",
            "kat_liv",
            "a kat_live_<publicKeyId>.<secret> b",
        ] {
            assert_eq!(mask_secrets(text), text);
            assert_eq!(streamed(&[text.as_bytes()]), text);
        }
    }

    #[test]
    fn placeholders_are_masked_too() {
        let text = token("xxxxxxxx", "xxxxxxxxxxxxxxxxxxxx");
        assert_eq!(
            mask_secrets(&text),
            format!("kat_live_xxxxxxxx.{}", "*".repeat(20))
        );
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(400))]

        /// However a stream is cut into writes, it is masked as a whole.
        #[test]
        fn streaming_agrees_with_the_whole_text(
            before in "[a-z_.k ]{0,12}",
            id in "[A-Za-z0-9]{1,70}",
            secret in "[A-Za-z0-9_-]{1,140}",
            after in "[a-z_.k ]{0,12}",
            cuts in proptest::collection::vec(0usize..300, 0..6),
        ) {
            let text = format!("{before}{}{after}", token(&id, &secret));
            let bytes = text.as_bytes();
            let mut cuts: Vec<usize> = cuts.into_iter().map(|c| c % (bytes.len() + 1)).collect();
            cuts.sort_unstable();
            let mut pieces = Vec::new();
            let mut last = 0;
            for cut in cuts {
                pieces.push(&bytes[last..cut]);
                last = cut;
            }
            pieces.push(&bytes[last..]);
            let whole = mask_secrets(&text).into_owned();
            prop_assert_eq!(streamed(&pieces), whole.clone());
            // The whole secret is masked, wherever the cuts fall.
            let masked_token = format!("kat_live_{id}.{}", "*".repeat(secret.len()));
            prop_assert!(whole.contains(&masked_token), "{}", whole);
        }
    }
}
