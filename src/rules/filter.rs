//! Tells a real key from a documentation placeholder or a fill.
//!
//! The key pattern is liberal on purpose (Katalo does not publish the key
//! alphabet), so precision comes from here: words that only occur in docs,
//! low Shannon entropy (`xxxx…`, `aaaa…`) and keyboard runs (`abcdef…`,
//! `123456…`). The thresholds are rule data (`[filter]` in the rule file).

use serde::Deserialize;

/// The `[filter]` table of a rule file.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FilterSpec {
    /// Secrets with fewer bits of Shannon entropy per character are fills.
    pub min_secret_entropy: f64,
    /// Case-insensitive words that mark a placeholder in the id or secret.
    #[serde(default)]
    pub placeholder_words: Vec<String>,
}

/// A compiled [`FilterSpec`].
#[derive(Debug, Clone)]
pub struct PlaceholderFilter {
    min_secret_entropy: f64,
    placeholder_words: Vec<String>,
}

/// Share of consecutive character pairs that step by one (`ab`, `34`) above
/// which a string is a keyboard run rather than random.
const MAX_SEQUENTIAL_SHARE: f64 = 0.5;

impl PlaceholderFilter {
    pub fn new(spec: FilterSpec) -> Self {
        PlaceholderFilter {
            min_secret_entropy: spec.min_secret_entropy,
            placeholder_words: spec
                .placeholder_words
                .into_iter()
                .map(|w| w.to_ascii_lowercase())
                .collect(),
        }
    }

    /// Whether a matched key is a placeholder rather than a real key.
    pub fn is_placeholder(&self, key_id: Option<&[u8]>, secret: &[u8]) -> bool {
        let contains_word = |part: &[u8]| {
            let lower = part.to_ascii_lowercase();
            self.placeholder_words
                .iter()
                .any(|word| memchr::memmem::find(&lower, word.as_bytes()).is_some())
        };
        if contains_word(secret) || key_id.is_some_and(contains_word) {
            return true;
        }
        if key_id.is_some_and(is_single_character) {
            return true;
        }
        shannon_entropy(secret) < self.min_secret_entropy
            || sequential_share(secret) > MAX_SEQUENTIAL_SHARE
    }
}

/// Shannon entropy in bits per byte.
pub fn shannon_entropy(bytes: &[u8]) -> f64 {
    if bytes.is_empty() {
        return 0.0;
    }
    let mut counts = [0u32; 256];
    for &b in bytes {
        counts[usize::from(b)] += 1;
    }
    let len = bytes.len() as f64;
    counts
        .iter()
        .filter(|&&c| c > 0)
        .map(|&c| {
            let p = f64::from(c) / len;
            -p * p.log2()
        })
        .sum()
}

/// Share of adjacent pairs where the second byte is the first plus one,
/// ignoring case (`aBcD` is a run).
fn sequential_share(bytes: &[u8]) -> f64 {
    if bytes.len() < 2 {
        return 0.0;
    }
    let steps = bytes
        .windows(2)
        .filter(|pair| pair[0].to_ascii_lowercase().wrapping_add(1) == pair[1].to_ascii_lowercase())
        .count();
    steps as f64 / (bytes.len() - 1) as f64
}

fn is_single_character(bytes: &[u8]) -> bool {
    bytes.iter().all(|b| b.eq_ignore_ascii_case(&bytes[0]))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn filter() -> PlaceholderFilter {
        PlaceholderFilter::new(FilterSpec {
            min_secret_entropy: 3.0,
            placeholder_words: vec!["Example".into(), "your".into()],
        })
    }

    #[test]
    fn entropy_of_fills_and_random_text() {
        assert_eq!(shannon_entropy(b""), 0.0);
        assert_eq!(shannon_entropy(b"xxxxxxxx"), 0.0);
        assert!((shannon_entropy(b"abab") - 1.0).abs() < 1e-9);
        assert!(shannon_entropy(b"Bel31iEl2hpChYgCfrL1spNxnyVmihA-2O76") > 4.0);
    }

    #[test]
    fn random_keys_pass() {
        let f = filter();
        assert!(!f.is_placeholder(
            Some(b"8jzPde0IgxLd6"),
            b"Bel31iEl2hpChYgCfrL1spNxnyVmihA-2O76"
        ));
        assert!(!f.is_placeholder(Some(b"a1B2"), b"Zx9-Qw8_Er7Ty6Ui"));
    }

    #[test]
    fn placeholders_are_caught() {
        let f = filter();
        // Words match case-insensitively, in the id or the secret.
        assert!(f.is_placeholder(Some(b"EXAMPLE1"), b"Bel31iEl2hpChYgCfrL1spNxnyVmihA"));
        assert!(f.is_placeholder(Some(b"8jzPde0I"), b"YourSecretBel31iEl2hpChYgCfrL1"));
        // Low entropy.
        assert!(f.is_placeholder(Some(b"8jzPde0I"), b"xxxxxxxxxxxxxxxxxxxxxxxx"));
        // Keyboard runs.
        assert!(f.is_placeholder(Some(b"8jzPde0I"), b"ABCDEFGHIJKLMNOPQRSTUVWXYZ"));
        assert!(f.is_placeholder(Some(b"8jzPde0I"), b"0123456789abcdef0123456789"));
        // An id of one repeated character.
        assert!(f.is_placeholder(Some(b"XXXX"), b"Bel31iEl2hpChYgCfrL1spNxnyVmihA"));
    }
}
