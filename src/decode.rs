//! Turns a file's bytes into the bytes the rules run on.
//!
//! Almost every file is scanned as it is. Two byte order marks change that:
//! UTF-16 text (PowerShell scripts, `.reg` exports, some Windows configs)
//! is full of NUL bytes and would otherwise be skipped as binary, hiding any
//! key in it; and a UTF-8 BOM would shift every column of the first line by
//! one, since editors do not show it.

use std::borrow::Cow;

const UTF8_BOM: &[u8] = &[0xEF, 0xBB, 0xBF];
const UTF16_LE_BOM: &[u8] = &[0xFF, 0xFE];
const UTF16_BE_BOM: &[u8] = &[0xFE, 0xFF];

/// The text to scan: the input without a byte order mark, UTF-16 decoded
/// to UTF-8. Lines and columns of the result are the editor's.
pub fn scannable(bytes: &[u8]) -> Cow<'_, [u8]> {
    if let Some(rest) = bytes.strip_prefix(UTF8_BOM) {
        Cow::Borrowed(rest)
    } else if let Some(rest) = bytes.strip_prefix(UTF16_LE_BOM) {
        Cow::Owned(decode_utf16(rest, u16::from_le_bytes))
    } else if let Some(rest) = bytes.strip_prefix(UTF16_BE_BOM) {
        Cow::Owned(decode_utf16(rest, u16::from_be_bytes))
    } else {
        Cow::Borrowed(bytes)
    }
}

/// Unpaired surrogates and a dangling odd byte become U+FFFD, as editors
/// show them.
fn decode_utf16(bytes: &[u8], unit: fn([u8; 2]) -> u16) -> Vec<u8> {
    let units = bytes.chunks(2).map(|pair| match pair {
        [a, b] => unit([*a, *b]),
        _ => 0xFFFD,
    });
    let text: String = char::decode_utf16(units)
        .map(|c| c.unwrap_or(char::REPLACEMENT_CHARACTER))
        .collect();
    text.into_bytes()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn utf16le(text: &str) -> Vec<u8> {
        let mut bytes = UTF16_LE_BOM.to_vec();
        bytes.extend(text.encode_utf16().flat_map(u16::to_le_bytes));
        bytes
    }

    #[test]
    fn plain_text_is_untouched_and_not_copied() {
        let text = b"plain \xff bytes";
        assert!(matches!(scannable(text), Cow::Borrowed(b) if b == text));
    }

    #[test]
    fn utf8_bom_is_dropped() {
        assert_eq!(&*scannable(b"\xEF\xBB\xBFkey=1"), b"key=1");
    }

    #[test]
    fn utf16_both_byte_orders_decode() {
        assert_eq!(&*scannable(&utf16le("é key\r\n")), "é key\r\n".as_bytes());
        let mut be = UTF16_BE_BOM.to_vec();
        be.extend("k→v".encode_utf16().flat_map(u16::to_be_bytes));
        assert_eq!(&*scannable(&be), "k→v".as_bytes());
    }

    #[test]
    fn broken_utf16_becomes_replacement_characters() {
        // An unpaired high surrogate, then a dangling odd byte.
        let bytes = [0xFF, 0xFE, 0x00, 0xD8, b'a', 0x00, 0x41];
        assert_eq!(&*scannable(&bytes), "\u{FFFD}a\u{FFFD}".as_bytes());
    }
}
