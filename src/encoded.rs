//! Keys behind an encoding in an ordinary text file: base64 (a Kubernetes
//! `Secret`'s `data:`, an `Authorization: Basic` header, a HAR file),
//! percent-encoding (URLs, logs) and `\u`/`\x` escapes (JSON, minified
//! JavaScript). The plain key detectors cannot see them: the text never
//! says `kat_live_`.
//!
//! Each encoded run that could hold a key is found from a few literal
//! [`TRIGGERS`] (the base64 of `kat_live_` at each of its three
//! alignments, an escaped `_`, `.` or `k`, `%5F`) and decoded; the scanner
//! scans the decoded text like a blob of its own and reports a finding in
//! it at the encoded run. The triggers are keywords of the prefilter's
//! first pass, so a file without one costs nothing more.

use std::ops::Range;
use std::sync::OnceLock;

use aho_corasick::{AhoCorasick, MatchKind};
use base64::Engine as _;
use base64::alphabet;
use base64::engine::{DecodePaddingMode, GeneralPurpose, GeneralPurposeConfig};

use crate::redact::KEY_PREFIX;

/// Encoded text decoded around one trigger, at most: a key is well under
/// 200 characters, and the window keeps a megabyte-long base64 blob (an
/// embedded image) from being decoded whole for each trigger in it.
const WINDOW: usize = 1024;

/// How an encoded run was written.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Encoding {
    Base64,
    Percent,
    Escapes,
}

impl Encoding {
    /// As a finding's message says it.
    pub fn describe(self) -> &'static str {
        match self {
            Encoding::Base64 => "base64-encoded",
            Encoding::Percent => "percent-encoded",
            Encoding::Escapes => "written with \\u or \\x escapes",
        }
    }
}

/// An encoded run whose decoded text holds `kat_live_`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EncodedRun {
    /// Where the encoded text is in the file.
    pub span: Range<usize>,
    pub encoding: Encoding,
    pub decoded: Vec<u8>,
}

/// What a trigger announces.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Trigger {
    Base64,
    Escapes,
    Percent,
    /// `kat_live_` itself: the rest of the key may be escaped (`\u002e`
    /// for its dot), or not at all (the plain detectors' case).
    KeyPrefix,
}

struct Triggers {
    searcher: AhoCorasick,
    /// What each pattern index announces.
    kinds: Vec<Trigger>,
}

fn triggers() -> &'static Triggers {
    static TRIGGERS: OnceLock<Triggers> = OnceLock::new();
    TRIGGERS.get_or_init(|| {
        let (patterns, kinds): (Vec<Vec<u8>>, Vec<Trigger>) =
            trigger_patterns().into_iter().unzip();
        let searcher = AhoCorasick::builder()
            .match_kind(MatchKind::LeftmostFirst)
            .build(&patterns)
            .expect("fixed trigger patterns build");
        Triggers { searcher, kinds }
    })
}

/// The literals that announce an encoded key, for the prefilter's first
/// pass (ASCII, case-sensitive: each case a decoder accepts is listed).
pub fn trigger_literals() -> Vec<String> {
    trigger_patterns()
        .into_iter()
        .map(|(pattern, _)| String::from_utf8(pattern).expect("triggers are ASCII"))
        .collect()
}

/// Each literal is rare in code that holds no key: a bare `%5F` or
/// `\x2e` is common in URLs and minified JavaScript, and triggers that
/// loose cost a third more CPU over a tree of ordinary source (measured on
/// a copy of the Cargo registry); `kat` before the escape is not.
fn trigger_patterns() -> Vec<(Vec<u8>, Trigger)> {
    let mut patterns: Vec<(Vec<u8>, Trigger)> = base64_triggers()
        .into_iter()
        .map(|pattern| (pattern, Trigger::Base64))
        .collect();
    // The key's first `_` escaped, in JSON's `\u00XX` or JavaScript's
    // `\xXX`; or `ka` escaped (a key with every character escaped).
    for escape in [
        "kat\\u005f",
        "kat\\u005F",
        "kat\\x5f",
        "kat\\x5F",
        "\\u006b\\u0061",
        "\\u006B\\u0061",
        "\\x6b\\x61",
        "\\x6B\\x61",
    ] {
        patterns.push((escape.as_bytes().to_vec(), Trigger::Escapes));
    }
    for percent in ["kat%5f", "kat%5F"] {
        patterns.push((percent.as_bytes().to_vec(), Trigger::Percent));
    }
    patterns.push((KEY_PREFIX.to_vec(), Trigger::KeyPrefix));
    patterns
}

/// The base64 text that `kat_live_` becomes wherever it sits in the
/// encoded bytes: one string per alignment (its offset modulo 3), without
/// the characters that also carry bits of the bytes around it. Standard
/// and URL-safe alphabets agree on these (no `+`, `/`, `-` or `_`).
fn base64_triggers() -> Vec<Vec<u8>> {
    let engine = base64::engine::general_purpose::STANDARD_NO_PAD;
    (0..3)
        .map(|shift: usize| {
            let mut bytes = vec![0u8; shift];
            bytes.extend_from_slice(KEY_PREFIX);
            let encoded = engine.encode(&bytes).into_bytes();
            let skip = (shift * 8).div_ceil(6);
            let exact = (bytes.len() * 8) / 6;
            encoded[skip..exact].to_vec()
        })
        .collect()
}

/// Every encoded run in `text` whose decoded form holds `kat_live_`, in
/// order, each once.
pub fn encoded_runs(text: &[u8]) -> Vec<EncodedRun> {
    let triggers = triggers();
    let mut runs: Vec<EncodedRun> = Vec::new();
    for hit in triggers.searcher.find_iter(text) {
        // A run already decoded covers the triggers inside it.
        if runs.last().is_some_and(|run| hit.start() < run.span.end) {
            continue;
        }
        let run = match triggers.kinds[hit.pattern().as_usize()] {
            Trigger::Base64 => base64_run(text, hit.range()),
            Trigger::Escapes => escaped_run(text, hit.range()),
            Trigger::Percent => percent_run(text, hit.range()),
            Trigger::KeyPrefix => {
                // Most often a plain key: unless an escape follows the key
                // characters, there is nothing to decode (and a key file
                // holds thousands).
                let plain_end = text[hit.end()..]
                    .iter()
                    .position(|&b| !is_key_char(b))
                    .map_or(text.len(), |at| hit.end() + at);
                match text.get(plain_end) {
                    Some(b'\\') => escaped_run(text, hit.range()),
                    Some(b'%') => percent_run(text, hit.range()),
                    _ => None,
                }
            }
        };
        if let Some(run) =
            run.filter(|run| memchr::memmem::find(&run.decoded, KEY_PREFIX).is_some())
        {
            runs.push(run);
        }
    }
    runs
}

fn is_base64(byte: u8) -> bool {
    byte.is_ascii_alphanumeric() || matches!(byte, b'+' | b'/' | b'-' | b'_')
}

/// The base64 text around `hit`, decoded from a 4-character boundary of
/// the run it is in (where the encoder started), within [`WINDOW`].
fn base64_run(text: &[u8], hit: Range<usize>) -> Option<EncodedRun> {
    let run_start = text[..hit.start]
        .iter()
        .rposition(|&b| !is_base64(b))
        .map_or(0, |i| i + 1);
    let run_end = text[hit.end..]
        .iter()
        .position(|&b| !is_base64(b))
        .map_or(text.len(), |i| hit.end + i);
    // Whole quanta from the run's start, as the encoder wrote them, at
    // most half a window before the trigger.
    let skipped = (hit.start - run_start).saturating_sub(WINDOW / 2);
    let start = run_start + skipped.div_ceil(4) * 4;
    let end = run_end.min(start + WINDOW);
    let encoded = &text[start..end];
    let url_safe = encoded.iter().any(|&b| b == b'-' || b == b'_');
    let config = GeneralPurposeConfig::new()
        .with_decode_padding_mode(DecodePaddingMode::Indifferent)
        .with_decode_allow_trailing_bits(true);
    let engine = if url_safe {
        GeneralPurpose::new(&alphabet::URL_SAFE, config)
    } else {
        GeneralPurpose::new(&alphabet::STANDARD, config)
    };
    // The run's last quantum may be short (unpadded, or padded with `=`
    // after it); one cut by the window is not base64: drop it.
    let cut = end < run_end || encoded.len() % 4 == 1;
    let whole = if cut {
        encoded.len() - encoded.len() % 4
    } else {
        encoded.len()
    };
    let decoded = engine.decode(&encoded[..whole]).ok()?;
    let end = start
        + whole
        + if cut {
            0
        } else {
            trailing_padding(&text[start + whole..])
        };
    Some(EncodedRun {
        span: start..end,
        encoding: Encoding::Base64,
        decoded,
    })
}

/// The `=` padding right after a run (at most two), part of the run.
fn trailing_padding(rest: &[u8]) -> usize {
    rest.iter().take(2).take_while(|&&b| b == b'=').count()
}

/// A run of key characters and `\uXXXX`/`\xXX` escapes around `hit`.
fn escaped_run(text: &[u8], hit: Range<usize>) -> Option<EncodedRun> {
    let mut start = hit.start;
    // Backwards: plain key characters and whole escapes.
    while start > 0 {
        if let Some(len) = escape_ending_at(text, start) {
            start -= len;
        } else if is_key_char(text[start - 1]) {
            start -= 1;
        } else {
            break;
        }
        if hit.start - start > WINDOW / 2 {
            break;
        }
    }
    let mut decoded = Vec::new();
    let mut at = start;
    while at < text.len() && at - start < WINDOW {
        if let Some((byte, len)) = escape_at(text, at) {
            decoded.push(byte);
            at += len;
        } else if is_key_char(text[at]) {
            decoded.push(text[at]);
            at += 1;
        } else {
            break;
        }
    }
    // Nothing escaped: plain text, which the plain detectors see.
    (decoded.len() < at - start).then_some(EncodedRun {
        span: start..at,
        encoding: Encoding::Escapes,
        decoded,
    })
}

/// A character of a key: its prefix, id, dot and secret (as
/// [`crate::redact`] defines them).
fn is_key_char(byte: u8) -> bool {
    byte.is_ascii_alphanumeric() || matches!(byte, b'_' | b'.' | b'-')
}

/// The byte an escape at `at` stands for, and its length: `\u00XX` or
/// `\xXX` for an ASCII key character.
fn escape_at(text: &[u8], at: usize) -> Option<(u8, usize)> {
    let rest = text.get(at..)?;
    let (hex, len) = if rest.starts_with(b"\\u00") {
        (rest.get(4..6)?, 6)
    } else if rest.starts_with(b"\\x") {
        (rest.get(2..4)?, 4)
    } else {
        return None;
    };
    let byte = u8::from_str_radix(std::str::from_utf8(hex).ok()?, 16).ok()?;
    is_key_char(byte).then_some((byte, len))
}

/// The length of a key-character escape that ends just before `end`.
fn escape_ending_at(text: &[u8], end: usize) -> Option<usize> {
    [6, 4]
        .into_iter()
        .find(|&len| end >= len && escape_at(text, end - len).is_some_and(|(_, l)| l == len))
}

/// A run of key characters and `%XX` escapes around `hit`.
fn percent_run(text: &[u8], hit: Range<usize>) -> Option<EncodedRun> {
    let is_run = |b: u8| is_key_char(b) || b == b'%' || b.is_ascii_hexdigit();
    let start = text[..hit.start]
        .iter()
        .rposition(|&b| !is_run(b))
        .map_or(0, |i| i + 1)
        .max(hit.start.saturating_sub(WINDOW / 2));
    let end = text[hit.end..]
        .iter()
        .position(|&b| !is_run(b))
        .map_or(text.len(), |i| hit.end + i)
        .min(start + WINDOW);
    let encoded = &text[start..end];
    let mut decoded = Vec::with_capacity(encoded.len());
    let mut at = 0;
    while at < encoded.len() {
        let escaped = (encoded[at] == b'%')
            .then(|| encoded.get(at + 1..at + 3))
            .flatten()
            .and_then(|hex| u8::from_str_radix(std::str::from_utf8(hex).ok()?, 16).ok());
        match escaped {
            Some(byte) => {
                decoded.push(byte);
                at += 3;
            }
            None => {
                decoded.push(encoded[at]);
                at += 1;
            }
        }
    }
    (decoded.len() < end - start).then_some(EncodedRun {
        span: start..end,
        encoding: Encoding::Percent,
        decoded,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn key() -> String {
        ["kat_live_Enc0d3dK", ".Qm8Zp2Lx7Vc4Rb9Nt1Hs6Jd3Fg5Wk0Ya"].concat()
    }

    fn b64(bytes: &[u8]) -> String {
        base64::engine::general_purpose::STANDARD.encode(bytes)
    }

    #[test]
    fn base64_keys_are_found_at_every_alignment_and_in_either_alphabet() {
        for prefix in ["", "u:", "ab:", "Bearer ", "user:"] {
            let payload = format!("{prefix}{}", key());
            let encoded = b64(payload.as_bytes());
            let text = format!("data:\n  KATALO_API_KEY: {encoded}\n");
            let runs = encoded_runs(text.as_bytes());
            assert_eq!(runs.len(), 1, "{prefix:?}: {runs:?}");
            assert_eq!(runs[0].encoding, Encoding::Base64);
            assert_eq!(&text[runs[0].span.clone()], encoded, "{prefix:?}");
            assert_eq!(runs[0].decoded, payload.as_bytes(), "{prefix:?}");
        }
        // URL-safe, unpadded, inside a longer token.
        let payload = format!("{{\"k\":\"{}\",\"x\":\"??>>\"}}", key());
        let encoded = base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(&payload);
        assert!(encoded.contains('-') || encoded.contains('_'), "{encoded}");
        let text = format!("token={encoded}&next=1");
        let runs = encoded_runs(text.as_bytes());
        assert_eq!(runs.len(), 1, "{runs:?}");
        assert!(String::from_utf8_lossy(&runs[0].decoded).contains(&key()));
    }

    #[test]
    fn a_key_deep_in_a_long_base64_blob_is_decoded_from_the_right_boundary() {
        let payload = format!("{}{}", "x".repeat(5000), key());
        let encoded = b64(payload.as_bytes());
        let runs = encoded_runs(encoded.as_bytes());
        assert_eq!(runs.len(), 1);
        assert!(String::from_utf8_lossy(&runs[0].decoded).contains(&key()));
        assert!(runs[0].span.len() <= WINDOW + 2);
    }

    #[test]
    fn escaped_and_percent_encoded_keys_are_decoded() {
        let escaped_underscores = key().replace('_', "\\u005f");
        let escaped_all: String = key().bytes().map(|b| format!("\\x{b:02x}")).collect();
        let percent = key().replace('_', "%5F").replace('.', "%2E");
        let escaped_dot = key().replace('.', "\\u002e");
        let percent_dot = key().replace('.', "%2E");
        for (text, encoding) in [
            (format!("k = '{escaped_dot}'"), Encoding::Escapes),
            (format!("/v1?key={percent_dot}"), Encoding::Percent),
            (
                format!("var k=\"{escaped_underscores}\";"),
                Encoding::Escapes,
            ),
            (format!("{{\"k\": \"{escaped_all}\"}}"), Encoding::Escapes),
            (format!("GET /v1?key={percent}&x=1"), Encoding::Percent),
        ] {
            let runs = encoded_runs(text.as_bytes());
            assert_eq!(runs.len(), 1, "{text}: {runs:?}");
            assert_eq!(runs[0].encoding, encoding);
            assert_eq!(runs[0].decoded, key().as_bytes(), "{text}");
        }
    }

    #[test]
    fn text_without_an_encoded_key_has_no_runs() {
        for text in [
            "plain kat_live_ text, no encoding".to_string(),
            b64(b"just some other secret value that is long"),
            "var s = \"\\u005f\\x2e%5F%2e\";".to_string(),
            "https://example.com/a%2Eb%5Fc".to_string(),
        ] {
            assert_eq!(encoded_runs(text.as_bytes()), [], "{text}");
        }
    }
}
