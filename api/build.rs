//! Turns each catalog set (`locales/<set>.<language>.txt`) into a Rust module: an enum with a
//! variant per key and one array of texts per language, so a missing key is a compile error
//! where it is used, and the languages can't drift apart (a key or placeholder in one catalog
//! and not the other fails the build, naming both).

use std::fmt::Write as _;
use std::path::Path;

#[path = "src/catalog_file.rs"]
mod catalog_file;

const SETS: [&str; 2] = ["console", "server"];
/// The languages in `Locale`'s order.
const LANGUAGES: [&str; 2] = ["en", "fr"];

fn main() {
    // A new area file is picked up too.
    println!("cargo::rerun-if-changed=locales");
    let out_dir = std::env::var("OUT_DIR").expect("cargo sets OUT_DIR");
    for set in SETS {
        let catalogs: Vec<(String, Vec<catalog_file::Entry>)> = LANGUAGES
            .iter()
            .map(|language| {
                for path in catalog_file::files(Path::new("locales"), set, language) {
                    println!("cargo::rerun-if-changed={}", path.display());
                }
                let entries = catalog_file::load(Path::new("locales"), set, language)
                    .unwrap_or_else(|error| panic!("{error}"));
                (format!("the {language} catalog of {set}"), entries)
            })
            .collect();
        let (first_path, first) = &catalogs[0];
        for (path, entries) in &catalogs[1..] {
            let problems = catalog_file::differences((first_path, first), (path.as_str(), entries));
            assert!(problems.is_empty(), "{}", problems.join("\n"));
        }
        let code = module(first, &catalogs);
        std::fs::write(Path::new(&out_dir).join(format!("{set}.rs")), code)
            .expect("OUT_DIR is writable");
    }
}

fn module(keys: &[catalog_file::Entry], catalogs: &[(String, Vec<catalog_file::Entry>)]) -> String {
    let mut names = std::collections::BTreeMap::new();
    for entry in keys {
        let name = catalog_file::variant_name(&entry.key);
        if let Some(other) = names.insert(name.clone(), entry.key.clone()) {
            panic!("`{other}` and `{}` are both `{name}` in Rust", entry.key);
        }
    }
    let mut code = String::from(
        "/// A text of this catalog set; its words are in each language's catalog.\n\
         #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]\npub enum Text {\n",
    );
    for entry in keys {
        let _ = writeln!(code, "    {},", catalog_file::variant_name(&entry.key));
    }
    code.push_str("}\n\nconst KEYS: [&str; ");
    let _ = write!(code, "{}] = [", keys.len());
    for entry in keys {
        let _ = write!(code, "{:?}, ", entry.key);
    }
    code.push_str("];\n\n");
    for (index, (_, entries)) in catalogs.iter().enumerate() {
        let _ = write!(code, "const TEXTS_{index}: [&str; {}] = [", keys.len());
        for key in keys {
            let text = &entries
                .iter()
                .find(|entry| entry.key == key.key)
                .expect("checked above")
                .text;
            let _ = write!(code, "{text:?}, ");
        }
        code.push_str("];\n");
    }
    code.push_str("\nimpl Text {\n    /// Every text, in catalog order.\n    pub const ALL: &'static [Text] = &[");
    for entry in keys {
        let _ = write!(code, "Text::{}, ", catalog_file::variant_name(&entry.key));
    }
    code.push_str(
        "];\n\n    /// The key as the catalogs spell it.\n    pub const fn key(self) -> &'static str {\n        KEYS[self as usize]\n    }\n\n    /// The text in `locale`, placeholders unfilled.\n    pub const fn get(self, locale: crate::i18n::Locale) -> &'static str {\n        match locale {\n",
    );
    for (index, language) in LANGUAGES.iter().enumerate() {
        let variant = catalog_file::variant_name(language);
        let _ = writeln!(
            code,
            "            crate::i18n::Locale::{variant} => TEXTS_{index}[self as usize],"
        );
    }
    code.push_str("        }\n    }\n}\n");
    code
}
