//! The inline "Are you sure? Yes / Cancel" of a row's irreversible action (remove a member,
//! end a pad), in place of its button.

use leptos::prelude::*;

use crate::i18n::{Text, t};

#[component]
pub fn InlineConfirm(
    /// The question in the reader's language, e.g. "Remove Ada?".
    question: String,
    /// The confirming button's text in the reader's language, e.g. "Yes, remove".
    yes: &'static str,
    /// While true the confirming button is disabled (the action is on its way).
    #[prop(into)]
    busy: Signal<bool>,
    on_yes: Callback<()>,
    on_cancel: Callback<()>,
    #[prop(optional)] testid: Option<&'static str>,
    /// The smaller buttons of a dense row.
    #[prop(optional)]
    small: bool,
) -> impl IntoView {
    view! {
        <span class="confirm" data-testid=testid>
            {question}
            <button
                type="button"
                class="danger"
                class:small=small
                disabled=move || busy.get()
                on:click=move |_| on_yes.run(())
            >
                {yes}
            </button>
            <button type="button" class="secondary" class:small=small on:click=move |_| on_cancel.run(())>
                {t(Text::ConfirmCancel)}
            </button>
        </span>
    }
}
