//! The parts of a file that ship when only some of it does.

use std::ops::Range;

use memchr::memmem;

/// Byte ranges of the contents of `<script …>…</script>` elements (tag
/// names in any case). An element left open runs to the end of the file,
/// as a browser would read it.
pub fn script_elements(source: &[u8]) -> Vec<Range<usize>> {
    let lower = source.to_ascii_lowercase();
    let mut ranges = Vec::new();
    let mut at = 0;
    while let Some(open) = memmem::find(&lower[at..], b"<script").map(|i| at + i) {
        let after_name = open + b"<script".len();
        // `<scripts>` or `<script-x>` is another element.
        if lower
            .get(after_name)
            .is_some_and(|b| !(b.is_ascii_whitespace() || *b == b'>' || *b == b'/'))
        {
            at = after_name;
            continue;
        }
        let Some(body_start) =
            memchr::memchr(b'>', &lower[after_name..]).map(|i| after_name + i + 1)
        else {
            break;
        };
        let body_end = memmem::find(&lower[body_start..], b"</script")
            .map_or(source.len(), |i| body_start + i);
        ranges.push(body_start..body_end);
        at = body_end;
    }
    ranges
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn finds_script_bodies_only() {
        let source = b"---\nconst k = 1;\n---\n<div/>\n<SCRIPT type=\"module\">a()</script>\n<scripts>no</scripts><script>b";
        let ranges = script_elements(source);
        let bodies: Vec<&[u8]> = ranges.iter().map(|r| &source[r.clone()]).collect();
        assert_eq!(bodies, vec![&b"a()"[..], &b"b"[..]]);
    }

    #[test]
    fn no_scripts_no_ranges() {
        assert!(script_elements(b"---\nconst k = 1;\n---\n<p>hi</p>").is_empty());
    }
}
