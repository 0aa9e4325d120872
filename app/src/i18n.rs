//! The console's language: which one, and its texts. Texts come from the `console` catalogs
//! (`api/locales/console.<language>.txt`); `t(Text::X)` reads one in the current language.
//!
//! The language is a signal in context; the app's views are built under it, so changing it
//! builds them again in the new language. The functions read a copy kept beside it, so that
//! plain functions (and tests) need no reactive context.

use std::cell::Cell;

pub use ::api::i18n::console::Text;
use ::api::i18n::{Locale, fill};
use leptos::prelude::*;

thread_local! {
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

/// A text in the current language.
pub fn t(text: Text) -> &'static str {
    text.get(locale())
}

/// A text in the current language with its `{name}` placeholders filled.
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

/// A number as the current language writes it.
pub fn number(value: u64) -> String {
    locale().number(value)
}

/// The console's language, shared through context.
#[derive(Debug, Clone, Copy)]
pub struct Language(RwSignal<Locale>);

impl Language {
    /// The language saved in this browser, else the browser's own preference.
    pub fn provide() -> Self {
        let initial = saved().unwrap_or_else(browser_preference);
        set_locale(initial);
        set_document_language(initial);
        let language = Language(RwSignal::new(initial));
        provide_context(language);
        language
    }

    pub fn get_context() -> Self {
        expect_context::<Language>()
    }

    /// The language, subscribing to its changes.
    pub fn get(self) -> Locale {
        self.0.get()
    }

    /// Switches the console to `locale` and remembers it in this browser. Saving it for the
    /// user is the caller's part (the header does it when someone is logged in).
    pub fn set(self, locale: Locale) {
        if let Some(storage) = local_storage() {
            let _ = storage.set_item(STORAGE_KEY, locale.as_str());
        }
        self.adopt(locale);
    }

    /// Switches to a language chosen elsewhere (the user's saved choice, after log-in).
    pub fn adopt(self, locale: Locale) {
        if self.0.get_untracked() == locale {
            return;
        }
        set_locale(locale);
        set_document_language(locale);
        self.0.set(locale);
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
