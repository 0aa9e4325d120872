use leptos::prelude::*;

use super::{SetupState, step_heading};
use crate::api::Client;
use crate::components::copy::{CopyRow, CopyWhat};
use crate::components::guard::{error_note, failure_message};
use crate::i18n::{Text, t};

#[component]
pub fn StepWebhook() -> impl IntoView {
    let setup = expect_context::<SetupState>();
    let client = Client::get();
    let confirming = RwSignal::new(false);
    // A memo: the step below is built again only when the URL changes, not at every poll.
    let url = Memo::new(move |_| setup.get().and_then(|s| s.webhook.url));
    let https_warning = move || setup.get().and_then(|s| s.webhook.https_warning);
    let rotate = Action::new_local(move |_: &()| async move {
        let answer = client.rotate_lever_webhook().await;
        if answer.is_ok() {
            confirming.set(false);
            return setup.accept(client.lever_setup().await);
        }
        answer.map(|_| ())
    });

    view! {
        <section class="card" data-testid="step-3">
            <h2>{step_heading(3, Text::LeverStepThree)}</h2>
            {move || https_warning().map(|warning| view! { <p class="warn" data-testid="https-warning">{warning}</p> })}
            {move || match url.get() {
                None => view! { <p class="muted">{t(Text::LeverWebhookNoUrlYet)}</p> }.into_any(),
                Some(link) => {
                    view! {
                        <ol>
                            <li>{t(Text::LeverWebhookOpenSettings)}</li>
                            <li>{t(Text::LeverWebhookTurnOn)}</li>
                        </ol>
                        <p class="muted" data-testid="only-stage-change">
                            {t(Text::LeverWebhookOnlyStageChange)}
                        </p>
                        <CopyRow
                            value=link
                            label=t(Text::LeverWebhookUrlLabel)
                            testid="webhook-url"
                            what=CopyWhat::Url
                        />
                        <p>{t(Text::LeverWebhookThen)}</p>
                        {move || error_note(failure_message(rotate.value().get()))}
                        {move || {
                            if confirming.get() {
                                view! {
                                    <p class="warn">{t(Text::LeverWebhookReplaceWarning)}</p>
                                    <button type="button" class="danger" disabled=move || rotate.pending().get() on:click=move |_| { rotate.dispatch_local(()); }>
                                        {move || t(if rotate.pending().get() { Text::LeverWebhookReplacing } else { Text::LeverWebhookReplace })}
                                    </button>
                                    <button type="button" class="secondary" on:click=move |_| confirming.set(false)>{t(Text::LeverCancel)}</button>
                                }
                                    .into_any()
                            } else {
                                view! { <button type="button" class="secondary" on:click=move |_| confirming.set(true)>{t(Text::LeverWebhookNewUrl)}</button> }.into_any()
                            }
                        }}
                    }
                        .into_any()
                }
            }}
        </section>
    }
}
