//! Copying to the clipboard: the browser's call, and the read-only field with a Copy button
//! that invitation links and the Lever webhook URL are shown in.

use leptos::prelude::*;
use leptos::task::spawn_local;

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

/// `value` in a read-only field with a Copy button, then whether copying worked. `what` names
/// the value in the sentence that asks to copy it by hand ("link", "URL").
#[component]
pub fn CopyRow(
    value: String,
    label: &'static str,
    testid: &'static str,
    what: &'static str,
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
                "Copy"
            </button>
        </div>
        {move || match copied.get() {
            Some(true) => view! { <p class="ok">"Copied to the clipboard."</p> }.into_any(),
            Some(false) => {
                view! {
                    <p class="warn">
                        {format!("The browser did not allow copying: select the {what} and copy it.")}
                    </p>
                }
                    .into_any()
            }
            None => ().into_any(),
        }}
    }
}
