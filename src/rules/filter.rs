//! Tells a real key from a documentation placeholder or a fill.
//!
//! The key pattern is liberal on purpose (Katalo does not publish the key
//! alphabet), so precision comes from here. A placeholder is not "a key
//! that contains a suspicious word": a random secret contains `fak`, `your`
//! or `xxxx` often enough (10 in 100,000 random keys did, issue 9) and a
//! leaked key must never be dropped. A placeholder is a key whose *whole*
//! text has a short description: it is made of words (`yourSecretGoesHere`,
//! `dummy-secret-not-a-real-key`), fills (`xxxx…`) and keyboard runs
//! (`abcdef…`, `123456…`), where a random key is not.
//!
//! # The test: bits saved by a placeholder model
//!
//! [`PlaceholderModel`] is a probability distribution over strings: a
//! string is a sequence of tokens, each a literal character, a word of the
//! rule's vocabulary (lower case, UPPER or Capitalised), a `-`/`_`
//! separator, a repeated character or a run along an alphabet or keyboard
//! row. Every token has a cost in bits (minus the log of its probability),
//! and the cost of a text is the cheapest parse. Each part of the key (the
//! id, the secret) is then coded with one flag bit plus the cheaper of that
//! parse and a uniform code of the part's alphabet (`log2 62` bits per id
//! character, `log2 64` per secret character). The key is a placeholder
//! when this code is at least `min_saved_bits` shorter than the uniform
//! code of the whole key.
//!
//! # Why a random key is (almost) never called a placeholder
//!
//! Each token's costs are minus log2 of probabilities that sum to at most 1,
//! so the model assigns every string a probability `Q(s)` that sums to at
//! most 1 over all strings; the cheapest parse costs at least `-log2 Q(s)`
//! (a parse is one of the ways to produce `s`), and the flag bit keeps the
//! part code a mixture of two such distributions. So the code lengths
//! `L(id) + L(secret)` satisfy Kraft's inequality over all (id, secret)
//! pairs. Among the `2^N` keys of given lengths (`N` = the uniform code's
//! length), at most `2^(N - M)` can have a code of `N - M` bits or fewer,
//! since each of them takes `2^-(N-M)` of a total of at most 1. A uniformly
//! random key of any lengths is therefore called a placeholder with
//! probability at most `2^-M`: with `min_saved_bits = 48`, below 4e-15,
//! whatever the vocabulary. A bigger vocabulary only makes each word cost
//! more. `tests::a_million_random_keys_are_all_reported` checks it on a
//! million keys: the most any of them saved was 6.8 bits, while the
//! documentation shapes of the rule files save 90 to 200 bits (the id
//! `XXXX` with sixteen `X` as the secret: 90) and a random id with the
//! secret `0123456789abcdef`, the shortest run, 56.

use std::fmt;

use super::spec::FilterSpec;

/// A compiled [`FilterSpec`].
#[derive(Clone)]
pub struct PlaceholderFilter {
    spec: FilterSpec,
    model: PlaceholderModel,
}

impl fmt::Debug for PlaceholderFilter {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // The lookup tables are derived from the spec; the spec says it all.
        f.debug_struct("PlaceholderFilter")
            .field("spec", &self.spec)
            .finish_non_exhaustive()
    }
}

/// Bits of a uniformly random key id character (`[A-Za-z0-9]`).
fn key_id_char_bits() -> f64 {
    62f64.log2()
}

/// Bits of a uniformly random secret character (`[A-Za-z0-9_-]`).
const SECRET_CHAR_BITS: f64 = 6.0;

impl PlaceholderFilter {
    pub fn new(spec: FilterSpec) -> Self {
        let model = PlaceholderModel::new(&spec.placeholder_words);
        PlaceholderFilter { spec, model }
    }

    /// Bits the placeholder model saves on a whole key (for measurements).
    #[cfg(test)]
    fn saved_on_key(&self, key_id: Option<&[u8]>, secret: &[u8]) -> f64 {
        self.saved_bits(secret, SECRET_CHAR_BITS, SECRET_CHAR)
            + key_id.map_or(0.0, |id| {
                self.saved_bits(id, key_id_char_bits(), KEY_ID_CHAR)
            })
    }

    /// Whether a matched key is a placeholder rather than a real key.
    pub fn is_placeholder(&self, key_id: Option<&[u8]>, secret: &[u8]) -> bool {
        let target = self.spec.min_saved_bits;
        let saved_by_secret = self.saved_bits(secret, SECRET_CHAR_BITS, SECRET_CHAR);
        // The id can save at most its uniform length less the flag bit:
        // most random keys are settled without parsing the id.
        let id_bound = key_id.map_or(0.0, |id| id.len() as f64 * key_id_char_bits() - 1.0);
        if saved_by_secret + id_bound < target {
            return false;
        }
        let saved_by_id = key_id.map_or(0.0, |id| {
            self.saved_bits(id, key_id_char_bits(), KEY_ID_CHAR)
        });
        saved_by_secret + saved_by_id >= target
    }

    /// Bits a part's code is shorter than its uniform code (negative when
    /// it is longer: at least the flag bit for a random part).
    fn saved_bits(&self, part: &[u8], char_bits: f64, alphabet: u8) -> f64 {
        let uniform = part.len() as f64 * char_bits;
        let model = self.model.cost_bits(part);
        // The uniform code only describes strings of its alphabet.
        let mut in_alphabet = true;
        for &b in part {
            in_alphabet &= self.model.byte_class[usize::from(b)] & alphabet != 0;
        }
        let best = if in_alphabet {
            model.min(uniform)
        } else {
            model
        };
        uniform - (FLAG_BITS + best)
    }

    /// The cost of `text` under the placeholder model, in bits (exposed for
    /// tests and measurements).
    #[cfg(test)]
    fn model_bits(&self, text: &[u8]) -> f64 {
        self.model.cost_bits(text)
    }
}

/// One bit says which code describes a part: the model or the uniform one.
const FLAG_BITS: f64 = 1.0;

fn is_secret_char(b: u8) -> bool {
    b.is_ascii_alphanumeric() || b == b'-' || b == b'_'
}

/// Rows along which a run (`abcd`, `4321`, `qwerty`) is one token.
const ROWS: [&[u8]; 5] = [
    b"abcdefghijklmnopqrstuvwxyz",
    b"0123456789",
    b"qwertyuiop",
    b"asdfghjkl",
    b"zxcvbnm",
];

// Token probabilities (they sum to 1): literal 1/2, word 1/8, separator
// 1/8, repeated character 1/8, row run 1/16, any other byte 1/16. The
// costs below are minus log2 of each token's probability.

/// A character of the secret alphabet: 1 bit of token type + 6.
const LITERAL_BITS: f64 = 1.0 + 6.0;
/// A byte outside the secret alphabet: 4 bits of token type + 8.
const OTHER_BYTE_BITS: f64 = 4.0 + 8.0;
/// `-` or `_`: 3 bits of token type + 1.
const SEPARATOR_BITS: f64 = 3.0 + 1.0;
/// A repeated character: 3 bits of token type + 6 for the character, plus
/// the length.
const REPEAT_BASE_BITS: f64 = 3.0 + 6.0;
/// Lower case, UPPER or Capitalised.
fn case_bits() -> f64 {
    3f64.log2()
}

/// Elias gamma code length of `n >= 1`: the run length less one (a run
/// has at least two characters). The code lengths satisfy Kraft's
/// inequality, so lengths are a probability distribution too.
fn gamma_bits(n: usize) -> f64 {
    f64::from(2 * n.max(1).ilog2() + 1)
}

/// The placeholder model of the module documentation, with lookup tables
/// that keep a random text cheap to parse: one table read per byte and one
/// per pair of bytes, and the token search only where a pair can start a
/// structured token (about one position in seven of a random secret).
#[derive(Clone)]
struct PlaceholderModel {
    /// Lower-case words, sorted, without duplicates.
    words: Vec<Vec<u8>>,
    /// `words[by_first[b]]`: the words that start with lower-case byte `b`.
    by_first: Vec<std::ops::Range<usize>>,
    /// Per byte: [`SECRET_CHAR`], [`SEPARATOR`], [`ONE_LETTER_WORD`].
    byte_class: [u8; 256],
    /// Per byte pair `a * 256 + b`, in the case written: [`REPEAT`],
    /// [`ROW_STEP`], [`WORD_START`].
    pair_class: Vec<u8>,
    /// Cost of one word token.
    word_bits: f64,
    /// Cost of a run token along each row, before its length.
    row_base_bits: [f64; ROWS.len()],
    /// `row_position[r][b]`: where lower-case byte `b` is in row `r`, or
    /// [`NOT_IN_ROW`].
    row_position: [[u8; 256]; ROWS.len()],
}

const NOT_IN_ROW: u8 = u8::MAX;

const SECRET_CHAR: u8 = 1;
const SEPARATOR: u8 = 2;
const ONE_LETTER_WORD: u8 = 4;
const KEY_ID_CHAR: u8 = 8;
const REPEAT: u8 = 1;
const ROW_STEP: u8 = 2;
const WORD_START: u8 = 4;

fn pair_index(a: u8, b: u8) -> usize {
    usize::from(a) << 8 | usize::from(b)
}

impl PlaceholderModel {
    fn new(vocabulary: &[String]) -> Self {
        let mut words: Vec<Vec<u8>> = vocabulary
            .iter()
            .map(|w| w.as_bytes().to_ascii_lowercase())
            .filter(|w| !w.is_empty())
            .collect();
        words.sort();
        words.dedup();
        let mut by_first = vec![0..0; 256];
        for (index, word) in words.iter().enumerate() {
            let range = &mut by_first[usize::from(word[0])];
            if range.start == range.end {
                *range = index..index + 1;
            } else {
                range.end = index + 1;
            }
        }
        let mut byte_class = [0u8; 256];
        for byte in 0..=255u8 {
            if is_secret_char(byte) {
                byte_class[usize::from(byte)] |= SECRET_CHAR;
            }
        }
        for byte in (b'0'..=b'9').chain(b'a'..=b'z').chain(b'A'..=b'Z') {
            byte_class[usize::from(byte)] |= KEY_ID_CHAR;
        }
        byte_class[usize::from(b'-')] |= SEPARATOR;
        byte_class[usize::from(b'_')] |= SEPARATOR;
        // Pairs are matched ignoring case here; the token search checks
        // the case styles.
        let both_cases = |b: u8| [b.to_ascii_lowercase(), b.to_ascii_uppercase()];
        let mut pair_class = vec![0u8; 256 * 256];
        for word in &words {
            match word[..] {
                [only] => {
                    for c in both_cases(only) {
                        byte_class[usize::from(c)] |= ONE_LETTER_WORD;
                    }
                }
                [first, second, ..] => {
                    for a in both_cases(first) {
                        for b in both_cases(second) {
                            pair_class[pair_index(a, b)] |= WORD_START;
                        }
                    }
                }
                [] => {}
            }
        }
        for row in ROWS {
            for pair in row.windows(2) {
                for (x, y) in [(pair[0], pair[1]), (pair[1], pair[0])] {
                    for a in both_cases(x) {
                        for b in both_cases(y) {
                            pair_class[pair_index(a, b)] |= ROW_STEP;
                        }
                    }
                }
            }
        }
        for byte in 0..=255u8 {
            if is_secret_char(byte) {
                pair_class[pair_index(byte, byte)] |= REPEAT;
            }
        }
        // Token type (1/16), which row, where in it, which direction, case.
        let row_base_bits = ROWS.map(|row| {
            4.0 + (ROWS.len() as f64).log2() + (row.len() as f64).log2() + 1.0 + case_bits()
        });
        // Token type (1/8), which word, case.
        let word_bits = 3.0 + (words.len().max(1) as f64).log2() + case_bits();
        let mut row_position = [[NOT_IN_ROW; 256]; ROWS.len()];
        for (positions, row) in row_position.iter_mut().zip(ROWS) {
            for (at, &c) in row.iter().enumerate() {
                positions[usize::from(c)] = at as u8;
            }
        }
        PlaceholderModel {
            words,
            by_first,
            byte_class,
            pair_class,
            word_bits,
            row_base_bits,
            row_position,
        }
    }

    /// Bits of the cheapest parse of `text` into tokens.
    fn cost_bits(&self, text: &[u8]) -> f64 {
        // Written for a debug build as much as a release one: the property
        // test parses a million keys, so plain loops and table reads, no
        // per-position allocation or iterator chains.
        let n = text.len();
        let mut stack = [0.0f64; STACK_COSTS];
        let mut heap = Vec::new();
        let costs: &mut [f64] = if n < STACK_COSTS {
            &mut stack[..=n]
        } else {
            heap.resize(n + 1, 0.0);
            &mut heap
        };
        let mut best = Costs { costs, filled: 0 };
        let mut i = 0;
        while i < n {
            let here = best.costs[i];
            let byte = text[i];
            let class = self.byte_class[usize::from(byte)];
            let mut step = if class & SECRET_CHAR != 0 {
                LITERAL_BITS
            } else {
                OTHER_BYTE_BITS
            };
            if class & SEPARATOR != 0 {
                step = SEPARATOR_BITS;
            }
            // The cheapest one-byte token: the common case, inline.
            if i + 1 > best.filled {
                best.costs[i + 1] = here + step;
                best.filled = i + 1;
            } else if here + step < best.costs[i + 1] {
                best.costs[i + 1] = here + step;
            }
            let pair = if i + 1 < n {
                self.pair_class[usize::from(byte) << 8 | usize::from(text[i + 1])]
            } else {
                0
            };
            if pair != 0 || class & ONE_LETTER_WORD != 0 {
                self.structured_tokens(&text[i..], i, pair, &mut best);
            }
            i += 1;
        }
        best.costs[n]
    }

    /// Relaxes `best` with every structured token (repeat, row run, word)
    /// that `rest`, the text from position `i`, starts with and `pair`, the
    /// class of its first two bytes, admits.
    fn structured_tokens(&self, rest: &[u8], i: usize, pair: u8, best: &mut Costs<'_>) {
        let here = best.costs[i];
        if pair & REPEAT != 0 {
            let mut run = 1;
            while run < rest.len() && rest[run] == rest[0] {
                run += 1;
            }
            for len in 2..=run {
                best.relax(i + len, here + REPEAT_BASE_BITS + gamma_bits(len - 1));
            }
        }
        let first = LOWER[usize::from(rest[0])];
        if pair & ROW_STEP != 0 {
            let second = LOWER[usize::from(rest[1])];
            let mut r = 0;
            while r < ROWS.len() {
                let at = self.row_position[r][usize::from(first)];
                let next = self.row_position[r][usize::from(second)];
                // Only a row where the first step is taken, in its direction.
                if at != NOT_IN_ROW && next != NOT_IN_ROW && at.abs_diff(next) == 1 {
                    let forward = next > at;
                    let along = run_along(ROWS[r], usize::from(at), rest, forward);
                    for len in 2..=along {
                        if fits_a_case_style(&rest[..len]) {
                            let bits = self.row_base_bits[r] + gamma_bits(len - 1);
                            best.relax(i + len, here + bits);
                        }
                    }
                }
                r += 1;
            }
        }
        if pair & WORD_START == 0 && self.byte_class[usize::from(rest[0])] & ONE_LETTER_WORD == 0 {
            return;
        }
        let second = rest.get(1).map(|&b| LOWER[usize::from(b)]);
        for word in &self.words[self.by_first[usize::from(first)].clone()] {
            // The second byte first: most candidates fail there.
            let fits = word.len() <= rest.len()
                && (word.len() == 1 || Some(word[1]) == second)
                && rest[..word.len()].eq_ignore_ascii_case(word)
                && fits_a_case_style(&rest[..word.len()]);
            if fits {
                best.relax(i + word.len(), here + self.word_bits);
            }
        }
    }
}

/// ASCII lower case by table: a function call per byte is what a debug
/// build would otherwise pay.
static LOWER: [u8; 256] = {
    let mut table = [0u8; 256];
    let mut b = 0;
    while b < 256 {
        table[b] = (b as u8).to_ascii_lowercase();
        b += 1;
    }
    table
};

/// Texts shorter than this are parsed without allocating (a secret is at
/// most 128 bytes).
const STACK_COSTS: usize = 256;

/// The cheapest parse of each prefix found so far; `costs[..=filled]` is
/// initialised, the rest is not reached yet (infinitely expensive).
struct Costs<'a> {
    costs: &'a mut [f64],
    filled: usize,
}

impl Costs<'_> {
    fn relax(&mut self, end: usize, bits: f64) {
        while self.filled < end {
            self.filled += 1;
            self.costs[self.filled] = f64::INFINITY;
        }
        if bits < self.costs[end] {
            self.costs[end] = bits;
        }
    }
}

/// How many bytes `text` runs along `row` (ignoring case), from `at`, the
/// position of its first byte in the row, forward or backward.
fn run_along(row: &[u8], mut at: usize, text: &[u8], forward: bool) -> usize {
    let mut len = 1;
    while len < text.len() {
        let next = if forward {
            at + 1
        } else {
            match at.checked_sub(1) {
                Some(next) => next,
                None => break,
            }
        };
        if row.get(next) != Some(&LOWER[usize::from(text[len])]) {
            break;
        }
        at = next;
        len += 1;
    }
    len
}

/// Whether `text` is one of its letters' lower case, UPPER or Capitalised
/// forms (digits fit every style).
fn fits_a_case_style(text: &[u8]) -> bool {
    let no_upper = |t: &[u8]| !t.iter().any(u8::is_ascii_uppercase);
    let no_lower = !text.iter().any(u8::is_ascii_lowercase);
    no_upper(text) || no_lower || (!text[0].is_ascii_lowercase() && no_upper(&text[1..]))
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde::Deserialize;

    /// The built-in KAT001 filter, so the tests measure what ships.
    fn builtin() -> PlaceholderFilter {
        #[derive(Deserialize)]
        struct RuleFile {
            detector: Vec<Detector>,
        }
        #[derive(Deserialize)]
        struct Detector {
            filter: FilterSpec,
        }
        let text = include_str!("../../rules/kat001-live-key.toml");
        let mut file: RuleFile = toml::from_str(text).unwrap_or_else(|e| panic!("{e}"));
        PlaceholderFilter::new(file.detector.remove(0).filter)
    }

    /// Keys are written as `(id, secret)`: this file must hold no key
    /// literal (katscan scans its own repository clean).
    fn is_placeholder(filter: &PlaceholderFilter, (id, secret): (&str, &str)) -> bool {
        filter.is_placeholder(Some(id.as_bytes()), secret.as_bytes())
    }

    #[test]
    fn documentation_shapes_are_placeholders() {
        let f = builtin();
        for key in [
            // The documented `kat_live_xxxx….xxxx…` fill, in both cases and
            // several lengths.
            ("xxxxxxxx", "xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx"),
            ("XXXX", "XXXXXXXXXXXXXXXXXXXXXXXX"),
            ("XXXX", "XXXXXXXXXXXXXXXX"),
            ("aaaaaaaa", "aaaaaaaaaaaaaaaaaaaaaaaaaaaa"),
            ("00000000", "0000000000000000"),
            // Keyboard runs and counting.
            ("12345678", "abcdefghijklmnopqrstuvwxyz"),
            ("0123", "0123456789abcdef0123456789"),
            ("abcd", "qwertyuiopasdfghjkl"),
            ("ABCD", "ZYXWVUTSRQPONMLKJIHG"),
            // Made of words, in camelCase, snake_case, kebab-case, UPPER.
            ("example1", "exampleSecretValue1234567890"),
            ("sample01", "Sample_secret_for_docs_only_12"),
            ("dummyKey", "dummy-secret-not-a-real-key-123"),
            ("abcd1234", "placeholderPlaceholderPlaceholder"),
            ("yourKeyId", "yourSecretGoesHere_0000000000"),
            ("YOURKEYID", "YOUR_SECRET_KEY_HERE"),
            ("publicKeyId", "secret-goes-here"),
            ("myKeyId", "my-api-secret-here"),
            ("KEYID", "REPLACE_WITH_YOUR_SECRET"),
            // A random-looking id with a fill secret is still a fill.
            ("8jzPde0IgxLd6", "xxxxxxxxxxxxxxxxxxxxxxxx"),
            ("8jzPde0I", "ABCDEFGHIJKLMNOPQRSTUVWXYZ"),
            ("8jzPde0I", "0123456789abcdef"),
        ] {
            assert!(is_placeholder(&f, key), "{key:?} should be a placeholder");
        }
    }

    #[test]
    fn real_keys_are_keys_whatever_words_they_contain() {
        let f = builtin();
        for key in [
            ("8jzPde0IgxLd6", "Bel31iEl2hpChYgCfrL1spNxnyVmihA-2O76"),
            ("a1B2", "Zx9-Qw8_Er7Ty6Ui"),
            // Issue 9: a random secret containing `fak` (and this one once
            // `fake` in other letters) was dropped.
            ("cPQSjaJL", "ZxjsHGY2ZGRQ4LXwZRcxgQfakEDQ3djx"),
            ("8jzPde0I", "ZxjsHGY2fakeZGRQ4LXwZRcxgEDQ3djx"),
            ("8jzPde0I", "Bel31iEl2hpYourChYgCfrL1spNxny"),
            ("8jzPde0I", "xxxxBel31iEl2hpChYgCfrL1spNxny"),
            ("8jzPde0I", "Bel31iEl2hpSampleCfrL1spNxnyVm"),
            ("8jzPde0I", "YourSecretBel31iEl2hpChYgCfrL1"),
            // A fill or a word as the id alone is not enough: a random
            // 4-character id is one repeated character once in about
            // 240,000 (`aAaA` ignoring case: once in 1,100).
            ("XXXX", "Bel31iEl2hpChYgCfrL1spNxnyVmihA"),
            ("aAaA", "Bel31iEl2hpChYgCfrL1spNxnyVmihA"),
            ("EXAMPLE1", "Bel31iEl2hpChYgCfrL1spNxnyVmihA"),
            ("your", "Zx9-Qw8_Er7Ty6Ui"),
        ] {
            assert!(!is_placeholder(&f, key), "{key:?} should be a key");
        }
    }

    #[test]
    fn a_random_key_with_a_word_inside_saves_nothing() {
        // Issue 9's dropped key: `fak` inside costs it nothing, and the
        // model describes it no better than the uniform code does (the
        // flag bits make it 2 bits worse), far from the 48 needed.
        let f = builtin();
        let saved = f.saved_on_key(Some(b"cPQSjaJL"), b"ZxjsHGY2ZGRQ4LXwZRcxgQfakEDQ3djx");
        assert!(saved < 0.0, "{saved}");
        let fill = f.saved_on_key(Some(b"XXXX"), b"XXXXXXXXXXXXXXXX");
        assert!(fill > 80.0, "{fill}");
    }

    #[test]
    fn the_model_prices_structure_not_substrings() {
        let f = builtin();
        // One repeated character: a fixed price plus the length's code,
        // far below 7 bits a literal.
        let fill = f.model_bits(b"xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx");
        assert!(fill < 25.0, "{fill}");
        // Words cost the same whatever their length.
        let words = f.model_bits(b"yourSecretGoesHere");
        assert!(words < 50.0, "{words}");
        // Random text costs a literal per character.
        let random = f.model_bits(b"Bel31iEl2hpChYgC");
        assert!(random >= 16.0 * 6.5, "{random}");
        assert_eq!(f.model_bits(b""), 0.0);
        // A one-letter word alone.
        assert!(f.model_bits(b"a") <= LITERAL_BITS);
    }

    #[test]
    fn case_styles() {
        assert!(fits_a_case_style(b"secret"));
        assert!(fits_a_case_style(b"SECRET"));
        assert!(fits_a_case_style(b"Secret"));
        assert!(fits_a_case_style(b"123"));
        assert!(!fits_a_case_style(b"sEcret"));
        assert!(!fits_a_case_style(b"SeCRET"));
    }

    #[test]
    fn the_margin_is_checked() {
        let spec = |bits: f64| FilterSpec {
            min_saved_bits: bits,
            placeholder_words: vec!["word".into()],
        };
        assert!(spec(48.0).problem().is_none());
        assert!(spec(8.0).problem().unwrap().contains("at least 32"));
        assert!(spec(f64::NAN).problem().is_some());
        let mut empty_word = spec(48.0);
        empty_word.placeholder_words.push(String::new());
        assert!(empty_word.problem().is_some());
    }

    #[test]
    fn a_rule_asking_for_a_thin_margin_is_refused() {
        let kat001 = include_str!("../../rules/kat001-live-key.toml");
        let thin = kat001.replace("min_saved_bits = 48", "min_saved_bits = 8");
        assert_ne!(thin, kat001);
        let error = crate::rules::RuleSet::from_sources([("kat001.toml", thin.as_str())])
            .unwrap_err()
            .to_string();
        assert!(
            error.contains("KAT001") && error.contains("at least 32"),
            "{error}"
        );
        // The old entropy threshold is no longer part of the schema.
        let old = kat001.replace("min_saved_bits = 48", "min_secret_entropy = 3.0");
        assert!(crate::rules::RuleSet::from_sources([("kat001.toml", old.as_str())]).is_err());
    }

    /// SplitMix64: a fixed seed makes the million keys reproducible.
    struct SplitMix(u64);

    impl SplitMix {
        fn next(&mut self) -> u64 {
            self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
            let mut z = self.0;
            z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
            z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
            z ^ (z >> 31)
        }

        /// Uniform in `0..n` (the modulo bias of n <= 128 in 2^64 is nil).
        fn below(&mut self, n: usize) -> usize {
            (self.next() % n as u64) as usize
        }
    }

    const ID_ALPHABET: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";
    const SECRET_ALPHABET: &[u8] =
        b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";

    /// Issue 9: "a property test over a million random keys must drop
    /// none". Keys as the pattern admits them: ids of 4-64 `[A-Za-z0-9]`,
    /// secrets of 16-128 `[A-Za-z0-9_-]`, every length and character
    /// uniform. Debug build: about 5 s on one core (`cargo test --lib
    /// a_million`).
    #[test]
    fn a_million_random_keys_are_all_reported() {
        let f = builtin();
        let mut rng = SplitMix(0x6B61_745F_6C69_7665);
        let mut id = Vec::with_capacity(64);
        let mut secret = Vec::with_capacity(128);
        for round in 0..1_000_000 {
            id.clear();
            secret.clear();
            let id_len = 4 + rng.below(61);
            let secret_len = 16 + rng.below(113);
            // 64 characters are 6 bits: ten per draw.
            let mut bits = 0;
            let mut pool = 0u64;
            for i in 0..id_len + secret_len {
                if bits < 6 {
                    pool = rng.next();
                    bits = 60;
                }
                let six = (pool & 63) as usize;
                pool >>= 6;
                bits -= 6;
                if i < id_len {
                    // 62 of 64: redraw the two extra values.
                    let c = if six < 62 { six } else { rng.below(62) };
                    id.push(ID_ALPHABET[c]);
                } else {
                    secret.push(SECRET_ALPHABET[six]);
                }
            }
            assert!(
                !f.is_placeholder(Some(&id), &secret),
                "random key {round} dropped: kat_live_{}.{}",
                String::from_utf8_lossy(&id),
                String::from_utf8_lossy(&secret)
            );
        }
    }
}
