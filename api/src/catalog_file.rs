//! Reads a catalog file: one `key = text` a line, `#` comments, blank lines ignored, `{name}`
//! placeholders. Shared by the build script (which turns the catalogs into Rust) and the
//! tests (which hold the languages' catalogs to the same keys and placeholders).

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Entry {
    pub key: String,
    pub text: String,
    pub line: usize,
}

/// The files of one language's catalog of `set`, in name order: `<set>.<language>.txt`, and
/// while work on an area is under way, `<set>-<area>.<language>.txt` beside it.
pub fn files(dir: &Path, set: &str, language: &str) -> Vec<PathBuf> {
    let main = format!("{set}.{language}.txt");
    let area_prefix = format!("{set}-");
    let area_suffix = format!(".{language}.txt");
    let mut found: Vec<PathBuf> = std::fs::read_dir(dir)
        .map(|entries| {
            entries
                .filter_map(|entry| entry.ok().map(|entry| entry.path()))
                .filter(|path| {
                    let name = path.file_name().and_then(|n| n.to_str()).unwrap_or("");
                    name == main
                        || (name.starts_with(&area_prefix)
                            && name.ends_with(&area_suffix)
                            && !name[area_prefix.len()..name.len() - area_suffix.len()]
                                .contains('.'))
                })
                .collect()
        })
        .unwrap_or_default();
    found.sort();
    found
}

/// One language's whole catalog of `set` (see [`files`]); a key may be in only one file.
pub fn load(dir: &Path, set: &str, language: &str) -> Result<Vec<Entry>, String> {
    let files = files(dir, set, language);
    if files.is_empty() {
        return Err(format!("no {set}.{language}.txt in {}", dir.display()));
    }
    let mut all: Vec<Entry> = Vec::new();
    for path in files {
        let source = std::fs::read_to_string(&path)
            .map_err(|error| format!("{}: {error}", path.display()))?;
        let entries = parse(&source).map_err(|error| format!("{}: {error}", path.display()))?;
        for entry in entries {
            if all.iter().any(|other| other.key == entry.key) {
                return Err(format!(
                    "{}: `{}` is in another file too",
                    path.display(),
                    entry.key
                ));
            }
            all.push(entry);
        }
    }
    Ok(all)
}

/// The entries in file order, or the first line that is not `key = text`.
pub fn parse(source: &str) -> Result<Vec<Entry>, String> {
    let mut entries: Vec<Entry> = Vec::new();
    let mut seen = BTreeSet::new();
    for (index, raw) in source.lines().enumerate() {
        let line = index + 1;
        let trimmed = raw.trim();
        if trimmed.is_empty() || trimmed.starts_with('#') {
            continue;
        }
        let Some((key, text)) = trimmed.split_once(" = ") else {
            return Err(format!("line {line}: expected `key = text`"));
        };
        let key = key.trim();
        let valid_key = !key.is_empty()
            && key.starts_with(|c: char| c.is_ascii_lowercase())
            && key
                .chars()
                .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_' || c == '.');
        if !valid_key {
            return Err(format!(
                "line {line}: `{key}` is not a key (a-z, 0-9, `_` and `.`)"
            ));
        }
        if !seen.insert(key.to_owned()) {
            return Err(format!("line {line}: `{key}` is there twice"));
        }
        entries.push(Entry {
            key: key.to_owned(),
            text: text.trim().replace("\\n", "\n"),
            line,
        });
    }
    Ok(entries)
}

/// The `{name}` placeholders a text fills.
pub fn placeholders(text: &str) -> BTreeSet<&str> {
    let mut names = BTreeSet::new();
    let mut rest = text;
    while let Some(open) = rest.find('{') {
        let after = &rest[open + 1..];
        match after.find('}') {
            Some(close) => {
                names.insert(&after[..close]);
                rest = &after[close + 1..];
            }
            None => break,
        }
    }
    names
}

/// Every way two catalogs of one set disagree: a key only in one, or a text whose placeholders
/// differ from the other's. Empty when they match.
pub fn differences(
    (first_name, first): (&str, &[Entry]),
    (second_name, second): (&str, &[Entry]),
) -> Vec<String> {
    let mut problems = Vec::new();
    for entry in first {
        match second.iter().find(|other| other.key == entry.key) {
            None => problems.push(format!(
                "`{}` is in {first_name} (line {}) but not in {second_name}",
                entry.key, entry.line
            )),
            Some(other) if placeholders(&entry.text) != placeholders(&other.text) => {
                problems.push(format!(
                    "`{}` fills {:?} in {first_name} but {:?} in {second_name}",
                    entry.key,
                    placeholders(&entry.text),
                    placeholders(&other.text)
                ))
            }
            Some(_) => {}
        }
    }
    for entry in second {
        if !first.iter().any(|other| other.key == entry.key) {
            problems.push(format!(
                "`{}` is in {second_name} (line {}) but not in {first_name}",
                entry.key, entry.line
            ));
        }
    }
    problems
}

/// `lever.setup.step_one` → `LeverSetupStepOne`: the key's name in Rust.
pub fn variant_name(key: &str) -> String {
    key.split(['.', '_'])
        .filter(|part| !part.is_empty())
        .map(|part| {
            let mut chars = part.chars();
            match chars.next() {
                Some(first) => first.to_ascii_uppercase().to_string() + chars.as_str(),
                None => String::new(),
            }
        })
        .collect()
}
