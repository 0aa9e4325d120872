//! The console's language: which one, and its texts. Texts come from the `console` catalogs
//! (`api/locales/console.<language>.txt`); `t(Text::X)` reads one in the current language.
//!
//! The language is a signal in context; the app's views are built under it, so changing it
//! builds them again in the new language. The functions read a copy kept beside it, so that
//! plain functions (and tests) need no reactive context.

use std::cell::Cell;
use std::rc::Rc;
use std::time::Duration;

pub use ::api::i18n::console::Text;
use ::api::i18n::{Locale, fill};
use leptos::prelude::*;

thread_local! {
    // Per thread, so that native tests in French do not change their neighbours' language.
    static CURRENT: Cell<Locale> = const { Cell::new(Locale::En) };
}

/// Where the browser keeps the language chosen before logging in (and for candidates).
const STORAGE_KEY: &str = "stagepad.language";

/// The language texts are read in now.
pub fn locale() -> Locale {
    CURRENT.with(Cell::get)
}

/// For tests and for [`Language::set`].
pub fn set_locale(locale: Locale) {
    CURRENT.with(|current| current.set(locale));
}

/// A text in the current language. Never inlined: it is called from hundreds of places, and
/// each inlined copy would cost the wasm more than the call.
#[inline(never)]
pub fn t(text: Text) -> &'static str {
    text.get(locale())
}

/// A text in the current language with its `{name}` placeholders filled.
#[inline(never)]
pub fn tf(text: Text, values: &[(&str, &str)]) -> String {
    fill(t(text), values)
}

/// `one` or `other` for `count`, with `{count}` filled as the language writes numbers.
pub fn tn(count: u64, one: Text, other: Text) -> String {
    let locale = locale();
    let text = if locale.is_singular(count) {
        one
    } else {
        other
    };
    fill(text.get(locale), &[("count", &locale.number(count))])
}

/// A text split around its `{name}` placeholder, so that markup (a link, code) goes where the
/// language puts it: the words before and after (all of it before, when it has none).
pub fn around(text: Text, name: &str) -> (&'static str, &'static str) {
    let words = t(text);
    words
        .split_once(format!("{{{name}}}").as_str())
        .unwrap_or((words, ""))
}

/// A number as the current language writes it.
pub fn number(value: u64) -> String {
    locale().number(value)
}

/// Whether a page would lose work if it were built again now.
type Busy = Rc<dyn Fn() -> bool>;

/// The console's language, shared through context: the one chosen, and the one the views are
/// built in, which follows it as soon as rebuilding the views loses nothing (see
/// [`Language::hold_while`]).
#[derive(Clone, Copy)]
pub struct Language {
    chosen: RwSignal<Locale>,
    built: RwSignal<Locale>,
    /// Says whether rebuilding the views now would lose work (a live pad's unacknowledged
    /// edits), while such a page is open; with the hold's number.
    busy: StoredValue<Option<(u64, Busy)>, LocalStorage>,
    holds: StoredValue<u64, LocalStorage>,
    /// A build waits for the hold to end.
    waiting: StoredValue<bool, LocalStorage>,
}

impl Language {
    /// The language saved in this browser, else the browser's own preference.
    pub fn provide() -> Self {
        let initial = saved().unwrap_or_else(browser_preference);
        set_locale(initial);
        set_document_language(initial);
        let language = Language {
            chosen: RwSignal::new(initial),
            built: RwSignal::new(initial),
            busy: StoredValue::new_local(None),
            holds: StoredValue::new_local(0),
            waiting: StoredValue::new_local(false),
        };
        provide_context(language);
        language
    }

    pub fn get_context() -> Self {
        expect_context::<Language>()
    }

    /// The language chosen, subscribing to its changes.
    pub fn get(self) -> Locale {
        self.chosen.get()
    }

    /// The language the views are built in, subscribing to its changes: the app builds its
    /// views again when it changes.
    pub fn built_in(self) -> Locale {
        self.built.get()
    }

    /// While the page that calls this is open, the views wait for `busy` to say false before
    /// they are built again in a newly chosen language (building them again closes and opens
    /// that page anew). Until [`Language::release`] with the number returned.
    pub fn hold_while(self, busy: impl Fn() -> bool + 'static) -> u64 {
        let hold = self.holds.get_value() + 1;
        self.holds.set_value(hold);
        self.busy.set_value(Some((hold, Rc::new(busy))));
        hold
    }

    /// Ends a hold, unless a newer page holds already (a page built anew may hold before the
    /// old one is cleaned up).
    pub fn release(self, hold: u64) {
        self.busy.update_value(|busy| {
            if busy.as_ref().is_some_and(|(current, _)| *current == hold) {
                *busy = None;
            }
        });
    }

    /// Switches the console to `locale` and remembers it in this browser (the user's saved
    /// choice after log-in too, so that the next visit starts in it). Saving it for the user
    /// is [`LanguageSaver`]'s part.
    pub fn adopt(self, locale: Locale) {
        if let Some(storage) = local_storage() {
            let _ = storage.set_item(STORAGE_KEY, locale.as_str());
        }
        if self.chosen.get_untracked() == locale {
            return;
        }
        self.chosen.set(locale);
        self.build_in();
    }

    /// Builds the views in the chosen language once nothing holds them back: at once, or by
    /// one waiting loop that builds in whatever is chosen when the hold ends.
    fn build_in(self) {
        if self.waiting.get_value() {
            return; // the loop on its way builds in the latest choice
        }
        let busy = self
            .busy
            .with_value(|busy| busy.as_ref().is_some_and(|(_, busy)| busy()));
        if busy {
            self.waiting.set_value(true);
            set_timeout(
                move || {
                    self.waiting.set_value(false);
                    self.build_in();
                },
                Duration::from_millis(100),
            );
            return;
        }
        let locale = self.chosen.get_untracked();
        if self.built.get_untracked() == locale {
            return;
        }
        set_locale(locale);
        set_document_language(locale);
        self.built.set(locale);
    }
}

/// Saves the language people pick for their account, one request at a time and the latest
/// choice last, whatever order the server would answer concurrent ones in. Lives above the
/// views that the language rebuilds.
#[derive(Clone, Copy)]
pub struct LanguageSaver {
    client: crate::api::Client,
    wanted: StoredValue<Option<Locale>, LocalStorage>,
    saving: StoredValue<bool, LocalStorage>,
    /// Why the last save failed, until one succeeds: the picker says so (the choice stays in
    /// this browser, and the account keeps its previous one).
    failed: RwSignal<Option<String>>,
}

impl LanguageSaver {
    pub fn provide(client: crate::api::Client) -> Self {
        let saver = LanguageSaver {
            client,
            wanted: StoredValue::new_local(None),
            saving: StoredValue::new_local(false),
            failed: RwSignal::new(None),
        };
        provide_context(saver);
        saver
    }

    pub fn get_context() -> Self {
        expect_context::<LanguageSaver>()
    }

    /// Why the language could not be saved with the account, while it could not.
    pub fn failure(self) -> Option<String> {
        self.failed.get()
    }

    pub fn save(self, locale: Locale) {
        self.wanted.set_value(Some(locale));
        if self.saving.get_value() {
            return; // the request on its way sends this one after it
        }
        self.saving.set_value(true);
        leptos::task::spawn_local(async move {
            while let Some(locale) = self.wanted.try_update_value(Option::take).flatten() {
                let saved = self.client.save_language(locale).await;
                self.failed.set(saved.err().map(|failure| failure.message));
            }
            self.saving.set_value(false);
        });
    }
}

fn local_storage() -> Option<web_sys::Storage> {
    web_sys::window()?.local_storage().ok().flatten()
}

fn saved() -> Option<Locale> {
    Locale::from_code(&local_storage()?.get_item(STORAGE_KEY).ok().flatten()?)
}

/// The browser's languages in order of preference, as `Accept-Language` sends them.
fn browser_preference() -> Locale {
    let Some(window) = web_sys::window() else {
        return Locale::En;
    };
    let languages: Vec<String> = window
        .navigator()
        .languages()
        .iter()
        .filter_map(|value| value.as_string())
        .collect();
    Locale::negotiate(&languages.join(","))
}

/// `<html lang>`, for screen readers, hyphenation and the browser's own controls.
fn set_document_language(locale: Locale) {
    if let Some(root) = web_sys::window()
        .and_then(|window| window.document())
        .and_then(|document| document.document_element())
    {
        let _ = root.set_attribute("lang", locale.as_str());
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A text no page uses is a text nobody keeps up to date: the catalogs hold only used ones.
    #[test]
    fn every_catalog_text_is_used_by_the_console() {
        let unused = ::api::i18n::unused_texts(
            &std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("src"),
            Text::ALL
                .iter()
                .map(|text| (format!("{text:?}"), text.key())),
        );
        assert!(unused.is_empty(), "unused texts: {unused:?}");
    }

    #[test]
    fn plurals_and_numbers_follow_the_current_language() {
        set_locale(Locale::Fr);
        assert_eq!(locale(), Locale::Fr);
        assert_eq!(number(12_345), "12\u{202f}345");
        assert_eq!(
            tn(1, Text::PlaybackRunsOne, Text::PlaybackRunsOther),
            "1 exécution"
        );
        set_locale(Locale::En);
        assert_eq!(
            tn(0, Text::PlaybackRunsOne, Text::PlaybackRunsOther),
            "0 runs"
        );
        assert_eq!(t(Text::NavHome), "Home");
    }
}
