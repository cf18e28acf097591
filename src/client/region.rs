//! The parts of a file that ship when only some of it does.

use std::ops::Range;

use memchr::memmem;

use super::graph::imports::exported_functions;

/// The Next.js pages-router data functions: run at build or request time
/// on the server, and stripped from the page's browser bundle.
const DATA_FUNCTIONS: &[&[u8]] = &[b"getStaticProps", b"getServerSideProps", b"getStaticPaths"];

/// Byte ranges of a page's exported data functions.
pub fn data_function_ranges(source: &[u8]) -> Vec<Range<usize>> {
    exported_functions(source, DATA_FUNCTIONS)
}

/// Byte ranges of a page outside its data functions: what ships.
pub fn outside_data_functions(source: &[u8]) -> Vec<Range<usize>> {
    let mut outside = Vec::new();
    let mut at = 0;
    for range in data_function_ranges(source) {
        outside.push(at..range.start);
        at = range.end;
    }
    outside.push(at..source.len());
    outside
}

/// The `src` attributes of `<script>` tags, as written (`/src/main.ts`).
pub fn script_sources(source: &[u8]) -> Vec<String> {
    let lower = source.to_ascii_lowercase();
    let mut sources = Vec::new();
    let mut at = 0;
    while let Some(open) = memmem::find(&lower[at..], b"<script").map(|i| at + i) {
        let Some(end) = memchr::memchr(b'>', &lower[open..]).map(|i| open + i) else {
            break;
        };
        let tag = &lower[open..end];
        if let Some(attr) = memmem::find(tag, b" src=") {
            let value = &source[open + attr + 5..end];
            let value = match value.first() {
                Some(&quote @ (b'"' | b'\'')) => value[1..].split(|&b| b == quote).next(),
                _ => value
                    .split(|b| b.is_ascii_whitespace() || *b == b'/')
                    .next(),
            };
            if let Some(value) = value.filter(|v| !v.is_empty()) {
                sources.push(String::from_utf8_lossy(value).into_owned());
            }
        }
        at = end;
    }
    sources
}

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
    fn script_sources_are_read_from_tags() {
        let html = b"<script type=\"module\" src=\"/src/main.tsx\"></script><SCRIPT src='./a.js'></SCRIPT><script>inline()</script>";
        assert_eq!(script_sources(html), ["/src/main.tsx", "./a.js"]);
    }

    #[test]
    fn outside_data_functions_leaves_out_their_bodies() {
        let source = b"const a = 1;\nexport async function getServerSideProps() {\n  return { props: {} };\n}\nconst b = 2;\n";
        let kept: Vec<u8> = outside_data_functions(source)
            .into_iter()
            .flat_map(|r| source[r].to_vec())
            .collect();
        assert_eq!(kept, b"const a = 1;\n\nconst b = 2;\n");
    }

    #[test]
    fn no_scripts_no_ranges() {
        assert!(script_elements(b"---\nconst k = 1;\n---\n<p>hi</p>").is_empty());
    }
}
