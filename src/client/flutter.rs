//! Flutter assets: the files `pubspec.yaml` lists under `flutter: assets:`
//! are bundled into the app as they are (a `flutter_dotenv` `.env` too).
//!
//! Read with a small indentation reader rather than a YAML parser: only
//! one list of one block matters, and a malformed file lists nothing.

/// The asset entries of a `pubspec.yaml`: files (`.env`) and directories
/// (`assets/images/`, ending with `/`), relative to the project root.
pub fn listed_assets(pubspec: &[u8]) -> Vec<String> {
    let text = String::from_utf8_lossy(pubspec);
    let mut assets = Vec::new();
    let mut in_flutter = false;
    let mut assets_indent: Option<usize> = None;
    // The indent of the list's items, set by the first one.
    let mut item_indent: Option<usize> = None;
    for line in text.lines() {
        let content = strip_comment(line);
        if content.trim().is_empty() {
            continue;
        }
        let indent = content.len() - content.trim_start().len();
        let content = content.trim();
        if indent == 0 {
            in_flutter = content == "flutter:";
            assets_indent = None;
            continue;
        }
        if !in_flutter {
            continue;
        }
        if let Some(key_indent) = assets_indent {
            // Items sit deeper than `assets:`, or at its indent with `- `.
            let item = content.strip_prefix('-').map(str::trim);
            match item {
                Some(item) if indent >= key_indent && item_indent.is_none_or(|at| at == indent) => {
                    item_indent = Some(indent);
                    let value = item.strip_prefix("path:").map_or(item, str::trim);
                    let value = value.trim_matches(|c| c == '"' || c == '\'');
                    if !value.is_empty() {
                        assets.push(value.trim_start_matches("./").to_string());
                    }
                    continue;
                }
                // `flavors:` and other keys of an item map.
                _ if indent > key_indent => continue,
                _ => assets_indent = None,
            }
        }
        if content == "assets:" {
            assets_indent = Some(indent);
            item_indent = None;
        }
    }
    assets
}

/// Whether the file at `relative` (to the project root) is a listed
/// asset. A directory entry covers the files directly inside it, as
/// Flutter reads it (subdirectories need their own entry).
pub fn is_listed(assets: &[String], relative: &str) -> bool {
    assets.iter().any(|asset| match asset.strip_suffix('/') {
        Some(dir) => relative
            .strip_prefix(dir)
            .and_then(|rest| rest.strip_prefix('/'))
            .is_some_and(|name| !name.is_empty() && !name.contains('/')),
        None => asset == relative,
    })
}

fn strip_comment(line: &str) -> &str {
    match line.find(" #") {
        Some(at) => &line[..at],
        None if line.trim_start().starts_with('#') => "",
        None => line,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn assets_of_the_flutter_block_only() {
        let pubspec = b"name: shop\ndependencies:\n  flutter:\n    sdk: flutter\n  assets:\n    - not/this\nflutter:\n  uses-material-design: true\n  assets:\n    - .env # flutter_dotenv\n    - assets/images/\n    - \"assets/i18n/en.json\"\n    - path: assets/config/\n      flavors:\n        - prod\n  fonts:\n    - family: Inter\nafter:\n  - x\n";
        assert_eq!(
            listed_assets(pubspec),
            [
                ".env",
                "assets/images/",
                "assets/i18n/en.json",
                "assets/config/"
            ]
        );
    }

    #[test]
    fn items_may_sit_at_the_key_indent() {
        let pubspec = b"flutter:\n  assets:\n  - .env\n  - images/\n  fonts:\n  - family: Inter\n";
        assert_eq!(listed_assets(pubspec), [".env", "images/"]);
    }

    #[test]
    fn directory_entries_cover_their_own_files() {
        let assets = vec![".env".to_string(), "assets/images/".to_string()];
        assert!(is_listed(&assets, ".env"));
        assert!(is_listed(&assets, "assets/images/logo.png"));
        assert!(!is_listed(&assets, "assets/images/2x/logo.png"));
        assert!(!is_listed(&assets, ".env.example"));
    }
}
