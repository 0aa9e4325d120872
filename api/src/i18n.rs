//! The languages Stagepad speaks and their catalogs. Each set of texts (`console`: what the web
//! console shows; `server`: the messages in the API's error bodies) is one catalog a language
//! under `api/locales/`, turned into Rust by the build script: `console::Text::X.get(locale)`.
//! Placeholders are `{name}`, filled by [`fill`].

#[path = "catalog_file.rs"]
#[cfg(test)]
mod catalog_file;

text_enum! {
    /// A language of the console and of the API's messages.
    #[derive(Default)]
    pub enum Locale {
        #[default]
        En = "en",
        Fr = "fr",
    }
}

impl Locale {
    /// The language's name in itself, for the language picker.
    pub const fn native_name(self) -> &'static str {
        match self {
            Locale::En => "English",
            Locale::Fr => "Français",
        }
    }

    /// The language a reader prefers, from an `Accept-Language` header (or the browser's list
    /// of languages joined by commas): the highest `q` this product speaks wins, ties going to
    /// the earlier; English when none is spoken here.
    pub fn negotiate(accept_language: &str) -> Locale {
        let mut best: Option<(Locale, u16)> = None;
        for item in accept_language.split(',') {
            let mut parts = item.split(';');
            let tag = parts.next().unwrap_or("").trim();
            let quality = parts
                .find_map(|param| {
                    let (name, value) = param.trim().split_once('=')?;
                    // An unreadable weight counts as 0: the element is not asked for.
                    name.trim()
                        .eq_ignore_ascii_case("q")
                        .then(|| quality_thousandths(value.trim()).unwrap_or(0))
                })
                .unwrap_or(1_000);
            if quality == 0 {
                continue;
            }
            let primary = tag.split(['-', '_']).next().unwrap_or("");
            let Some(locale) = Locale::ALL
                .iter()
                .copied()
                .find(|locale| locale.as_str().eq_ignore_ascii_case(primary))
            else {
                continue;
            };
            if best.is_none_or(|(_, best_quality)| quality > best_quality) {
                best = Some((locale, quality));
            }
        }
        best.map_or(Locale::En, |(locale, _)| locale)
    }

    /// Whether `count` takes the singular: French says "0 membre", "1 membre"; English "1 member".
    pub const fn is_singular(self, count: u64) -> bool {
        match self {
            Locale::En => count == 1,
            Locale::Fr => count < 2,
        }
    }

    /// A whole number as the language writes it: `12,345` or `12 345` (narrow no-break space).
    pub fn number(self, value: u64) -> String {
        let separator = match self {
            Locale::En => ",",
            Locale::Fr => "\u{202f}",
        };
        let digits = value.to_string();
        let mut out = String::with_capacity(digits.len() + digits.len() / 3 * 3);
        for (index, digit) in digits.chars().enumerate() {
            if index > 0 && (digits.len() - index).is_multiple_of(3) {
                out.push_str(separator);
            }
            out.push(digit);
        }
        out
    }
}

/// A `q` value (`0`, `0.8`, `1.000`) in thousandths; `None` when it is not one. Parsed by hand:
/// float parsing would add kilobytes to the console's wasm for three digits.
fn quality_thousandths(value: &str) -> Option<u16> {
    let (whole, fraction) = value.split_once('.').unwrap_or((value, ""));
    if fraction.len() > 3 || !fraction.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    let whole: u16 = match whole {
        "0" => 0,
        "1" => 1,
        _ => return None,
    };
    let mut thousandths = whole * 1_000;
    for (index, digit) in fraction.bytes().enumerate() {
        thousandths += u16::from(digit - b'0') * [100, 10, 1][index];
    }
    (thousandths <= 1_000).then_some(thousandths)
}

/// `template` with each `{name}` replaced by its value; a placeholder without a value stays as
/// it is (the catalog tests keep that from happening).
pub fn fill(template: &str, values: &[(&str, &str)]) -> String {
    let mut out = String::with_capacity(template.len() + 16);
    let mut rest = template;
    while let Some(open) = rest.find('{') {
        out.push_str(&rest[..open]);
        let after = &rest[open + 1..];
        match after.find('}') {
            Some(close) => {
                let name = &after[..close];
                match values.iter().find(|(key, _)| *key == name) {
                    Some((_, value)) => out.push_str(value),
                    None => out.push_str(&rest[open..open + close + 2]),
                }
                rest = &after[close + 1..];
            }
            None => {
                out.push_str(&rest[open..]);
                rest = "";
            }
        }
    }
    out.push_str(rest);
    out
}

/// For the tests that keep a catalog free of texts nobody keeps up to date: the keys of the
/// texts (each given as its variant's name and its key) that no `.rs` file under `src_dir`
/// names as `Text::<variant>`.
pub fn unused_texts<'a>(
    src_dir: &std::path::Path,
    texts: impl IntoIterator<Item = (String, &'a str)>,
) -> Vec<&'a str> {
    fn sources(dir: &std::path::Path, into: &mut String) {
        for entry in std::fs::read_dir(dir).expect("a source folder") {
            let path = entry.expect("a source file").path();
            if path.is_dir() {
                sources(&path, into);
            } else if path.extension().is_some_and(|e| e == "rs") {
                into.push_str(&std::fs::read_to_string(&path).expect("a readable source"));
            }
        }
    }
    let mut code = String::new();
    sources(src_dir, &mut code);
    texts
        .into_iter()
        .filter(|(variant, _)| !code.contains(&format!("Text::{variant}")))
        .map(|(_, key)| key)
        .collect()
}

/// What the web console says.
pub mod console {
    include!(concat!(env!("OUT_DIR"), "/console.rs"));
}

/// What the server's error bodies say.
pub mod server {
    include!(concat!(env!("OUT_DIR"), "/server.rs"));
}

#[cfg(test)]
mod tests {
    use super::catalog_file::{Entry, differences, load, parse, placeholders, variant_name};
    use super::*;

    /// `locales/<set>.<language>.txt`, named as `<set>.<language>`.
    fn catalog(name: &str) -> Vec<Entry> {
        let (set, language) = name.split_once('.').expect("set.language");
        let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("locales");
        load(&dir, set, language).unwrap_or_else(|error| panic!("{error}"))
    }

    #[test]
    fn every_key_is_in_every_language_with_the_same_placeholders() {
        for set in ["console", "server"] {
            let english = format!("{set}.en");
            let french = format!("{set}.fr");
            let problems =
                differences((&english, &catalog(&english)), (&french, &catalog(&french)));
            assert!(problems.is_empty(), "{}", problems.join("\n"));
        }
    }

    #[test]
    fn no_text_is_left_empty_or_untranslated_by_mistake() {
        for set in ["console", "server"] {
            for language in ["en", "fr"] {
                for entry in catalog(&format!("{set}.{language}")) {
                    assert!(
                        !entry.text.trim().is_empty(),
                        "{set}.{language}: `{}` is empty",
                        entry.key
                    );
                }
            }
        }
    }

    #[test]
    fn the_parity_check_names_what_is_missing_or_different() {
        let english = parse("a.one = One\na.two = Two {count}\n").unwrap();
        let french = parse("a.two = Deux {nombre}\na.three = Trois\n").unwrap();
        let problems = differences(("en", &english), ("fr", &french));
        assert_eq!(problems.len(), 3, "{problems:?}");
        assert!(problems[0].contains("`a.one` is in en"));
        assert!(problems[1].contains("`a.two` fills"));
        assert!(problems[2].contains("`a.three` is in fr"));
        assert!(differences(("en", &english), ("en", &english)).is_empty());
    }

    #[test]
    fn catalog_lines_are_checked() {
        assert!(parse("# comment\n\nok.key = Text\n").is_ok());
        assert!(parse("no equals sign").unwrap_err().contains("line 1"));
        assert!(parse("Bad.Key = x").unwrap_err().contains("not a key"));
        assert!(parse("a = x\na = y").unwrap_err().contains("twice"));
        assert_eq!(parse("a = one\\ntwo").unwrap()[0].text, "one\ntwo");
        assert_eq!(
            placeholders("{a} and {b}, {a}")
                .into_iter()
                .collect::<Vec<_>>(),
            ["a", "b"]
        );
        assert_eq!(variant_name("lever.setup_step.one"), "LeverSetupStepOne");
    }

    #[test]
    fn the_generated_texts_follow_the_catalogs() {
        for text in console::Text::ALL {
            assert!(!text.get(Locale::En).is_empty(), "{}", text.key());
        }
        let english = catalog("console.en");
        assert_eq!(console::Text::ALL.len(), english.len());
        assert_eq!(console::Text::ALL[0].key(), english[0].key);
        assert_eq!(console::Text::ALL[0].get(Locale::En), english[0].text);
    }

    #[test]
    fn the_reader_s_language_comes_from_accept_language() {
        assert_eq!(Locale::negotiate("fr-FR,fr;q=0.9,en;q=0.8"), Locale::Fr);
        assert_eq!(Locale::negotiate("en-GB,fr;q=0.5"), Locale::En);
        assert_eq!(Locale::negotiate("de-DE,fr;q=0.7,en;q=0.3"), Locale::Fr);
        assert_eq!(Locale::negotiate("en;q=0.2, FR-ca;q=0.8"), Locale::Fr);
        assert_eq!(Locale::negotiate("fr;q=0, en"), Locale::En);
        assert_eq!(Locale::negotiate("de, es"), Locale::En);
        assert_eq!(Locale::negotiate(""), Locale::En);
        assert_eq!(Locale::negotiate("*"), Locale::En);
        assert_eq!(Locale::negotiate("fr;q=nonsense, en;q=0.1"), Locale::En);
        assert_eq!(Locale::negotiate("fr;Q=0, en;q=0.1"), Locale::En);
        assert_eq!(Locale::negotiate("fr;q=0.002, en;q=0.001"), Locale::Fr);
        assert_eq!(Locale::negotiate("en;q=0.999, fr;q=1.000"), Locale::Fr);
        assert_eq!(Locale::negotiate("en;q=0.5, fr;q=1.5"), Locale::En);
        assert_eq!(quality_thousandths("0.8"), Some(800));
        assert_eq!(quality_thousandths("1"), Some(1_000));
        assert_eq!(quality_thousandths("1.001"), None);
        assert_eq!(quality_thousandths("-1"), None);
    }

    #[test]
    fn placeholders_are_filled_and_numbers_and_plurals_follow_the_language() {
        assert_eq!(
            fill(
                "{who} invited {count} people",
                &[("who", "Ada"), ("count", "3")]
            ),
            "Ada invited 3 people"
        );
        assert_eq!(fill("{missing} stays", &[]), "{missing} stays");
        assert_eq!(fill("a { b", &[]), "a { b");
        assert_eq!(Locale::En.number(1234567), "1,234,567");
        assert_eq!(Locale::Fr.number(1234567), "1\u{202f}234\u{202f}567");
        assert_eq!(Locale::En.number(999), "999");
        assert!(Locale::Fr.is_singular(0) && !Locale::En.is_singular(0));
        assert!(Locale::En.is_singular(1) && !Locale::Fr.is_singular(2));
    }
}
