//! Copying to the clipboard: the browser's call, and the read-only field with a Copy button
//! that invitation links and the Lever webhook URL are shown in.

use leptos::prelude::*;
use leptos::task::spawn_local;

use crate::i18n::{Text, t};

/// Writes `text` to the clipboard; false when the browser has no clipboard here or refuses.
pub async fn copy_to_clipboard(text: &str) -> bool {
    let clipboard = window().navigator().clipboard();
    if clipboard.is_undefined() {
        return false;
    }
    wasm_bindgen_futures::JsFuture::from(clipboard.write_text(text))
        .await
        .is_ok()
}

/// What a [`CopyRow`] holds, for the sentence that asks to copy it by hand when the browser
/// refuses (a whole sentence each, as the languages put the words in their own order).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CopyWhat {
    Link,
    Url,
}

impl CopyWhat {
    /// The sentence asking to select the value and copy it by hand.
    pub fn manual_copy(self) -> &'static str {
        t(match self {
            CopyWhat::Link => Text::CopyManualLink,
            CopyWhat::Url => Text::CopyManualUrl,
        })
    }
}

/// `value` in a read-only field with a Copy button, then whether copying worked. `label` (the
/// field's accessible name) is in the reader's language; `what` says what the value is.
#[component]
pub fn CopyRow(
    value: String,
    label: &'static str,
    testid: &'static str,
    what: CopyWhat,
    /// Select the whole value when the field gets the focus.
    #[prop(optional)]
    select_on_focus: bool,
) -> impl IntoView {
    let copied = RwSignal::new(None::<bool>);
    let to_copy = value.clone();
    let copy = move |_| {
        let text = to_copy.clone();
        spawn_local(async move { copied.set(Some(copy_to_clipboard(&text).await)) });
    };
    let on_focus = move |ev: leptos::ev::FocusEvent| {
        if select_on_focus {
            event_target::<web_sys::HtmlInputElement>(&ev).select();
        }
    };
    view! {
        <div class="copy-row">
            <input
                type="text"
                readonly
                class="link-field"
                aria-label=label
                data-testid=testid
                value=value
                on:focus=on_focus
            />
            <button type="button" class="secondary" on:click=copy>
                {t(Text::CopyCopy)}
            </button>
        </div>
        {move || match copied.get() {
            Some(true) => view! { <p class="ok">{t(Text::CopyCopied)}</p> }.into_any(),
            Some(false) => view! { <p class="warn">{what.manual_copy()}</p> }.into_any(),
            None => ().into_any(),
        }}
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_copy_by_hand_sentence_names_what_to_copy() {
        assert_eq!(
            CopyWhat::Link.manual_copy(),
            "The browser did not allow copying: select the link and copy it."
        );
        assert_eq!(
            CopyWhat::Url.manual_copy(),
            "The browser did not allow copying: select the URL and copy it."
        );
        crate::i18n::set_locale(::api::i18n::Locale::Fr);
        assert!(
            CopyWhat::Url
                .manual_copy()
                .contains("sélectionnez l'URL et copiez-la")
        );
        crate::i18n::set_locale(::api::i18n::Locale::En);
    }
}
