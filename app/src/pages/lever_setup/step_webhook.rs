use leptos::prelude::*;

use super::SetupState;
use crate::api::Client;
use crate::components::copy::CopyRow;
use crate::components::guard::{error_note, failure_message};

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
            <h2>"Step 3 · Add webhook URL to Lever"</h2>
            {move || https_warning().map(|warning| view! { <p class="warn" data-testid="https-warning">{warning}</p> })}
            {move || match url.get() {
                None => view! { <p class="muted">"The URL appears once a Lever API key is saved (step 1)."</p> }.into_any(),
                Some(link) => {
                    view! {
                        <ol>
                            <li>"In Lever, open Settings → Integrations and API → Webhooks."</li>
                            <li>"Turn on Candidate Stage Change and paste this URL:"</li>
                        </ol>
                        <p class="muted" data-testid="only-stage-change">
                            "Register only Candidate Stage Change here: each webhook entry in Lever signs with a token of its own, and Stagepad checks the one from step 4."
                        </p>
                        <CopyRow value=link label="Webhook URL" testid="webhook-url" what="URL"/>
                        <p>"Save it in Lever, generate its signature token there, and copy that token into step 4."</p>
                        {move || error_note(failure_message(rotate.value().get()))}
                        {move || {
                            if confirming.get() {
                                view! {
                                    <p class="warn">"The current URL will stop working; Lever must get the new one."</p>
                                    <button type="button" class="danger" on:click=move |_| { rotate.dispatch_local(()); }>"Replace the URL"</button>
                                    <button type="button" class="secondary" on:click=move |_| confirming.set(false)>"Cancel"</button>
                                }
                                    .into_any()
                            } else {
                                view! { <button type="button" class="secondary" on:click=move |_| confirming.set(true)>"Make a new URL"</button> }.into_any()
                            }
                        }}
                    }
                        .into_any()
                }
            }}
        </section>
    }
}
