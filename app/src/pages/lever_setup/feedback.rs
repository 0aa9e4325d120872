use ::api::LeverFeedbackTemplateRequest;
use leptos::prelude::*;

use super::SetupState;
use crate::api::Client;
use crate::components::guard::{error_note, failure_message};
use crate::i18n::{Text, t, tf};

/// Options: which Lever feedback template "Send as feedback" files (or none).
#[component]
pub fn FeedbackTemplate() -> impl IntoView {
    let setup = expect_context::<SetupState>();
    let client = Client::get();
    // Asked again whenever another key is saved.
    let key_marker = setup.saved_key();
    let choice = RwSignal::new(String::new());
    let templates = LocalResource::new(move || {
        let marker = key_marker.get();
        async move {
            marker?;
            let answer = client.lever_feedback_templates().await;
            if let Ok(live) = &answer {
                let selected = live.templates.iter().find(|t| t.selected);
                choice.set(selected.map(|t| t.id.clone()).unwrap_or_default());
            }
            Some(answer)
        }
    });
    let save = Action::new_local(move |request: &LeverFeedbackTemplateRequest| {
        let request = request.clone();
        async move { setup.accept(client.choose_lever_feedback_template(&request).await) }
    });
    let on_submit = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        let id = choice.get_untracked();
        save.dispatch_local(LeverFeedbackTemplateRequest {
            template_id: (!id.is_empty()).then_some(id),
        });
    };
    let current = move || {
        setup.get().map(|s| match s.feedback_template {
            Some(template) => tf(Text::LeverFeedbackCurrent, &[("name", &template.name)]),
            None => t(Text::LeverFeedbackNoneChosen).to_string(),
        })
    };
    view! {
        <section class="card" data-testid="feedback-template">
            <h2>{t(Text::LeverFeedbackTitle)}</h2>
            <p>{t(Text::LeverFeedbackAbout)}</p>
            <p data-testid="feedback-current">{current}</p>
            <Transition fallback=|| view! { <p class="muted">{t(Text::LeverFeedbackLoading)}</p> }>
                {move || {
                    templates.get().map(|answer| match answer {
                        None => view! { <p class="muted">{t(Text::LeverNeedKey)}</p> }.into_any(),
                        Some(Err(failure)) => view! { <p class="error" role="alert">{failure.message}</p> }.into_any(),
                        Some(Ok(live)) => {
                            let details = live.templates.clone();
                            let about = move || {
                                let id = choice.get();
                                details.iter().find(|template| template.id == id).map(|template| match &template.unusable {
                                    Some(why) => view! { <p class="warn" data-testid="feedback-unusable">{why.clone()}</p> }.into_any(),
                                    None => view! {
                                        <p class="muted" data-testid="feedback-fields">
                                            {tf(
                                                Text::LeverFeedbackFields,
                                                &[
                                                    ("code", &template.code_field.clone().unwrap_or_default()),
                                                    ("text", &template.text_field.clone().unwrap_or_default()),
                                                ],
                                            )}
                                        </p>
                                    }.into_any(),
                                })
                            };
                            view! {
                                <form class="form" on:submit=on_submit>
                                    <label>
                                        {t(Text::LeverFeedbackLabel)}
                                        <select name="feedback_template" prop:value=move || choice.get()
                                            on:change=move |ev| choice.set(event_target_value(&ev))>
                                            <option value="">{t(Text::LeverFeedbackNone)}</option>
                                            {live.templates.into_iter().map(|template| {
                                                let label = match template.unusable {
                                                    Some(_) => tf(Text::LeverFeedbackUnusable, &[("name", &template.name)]),
                                                    None => template.name.clone(),
                                                };
                                                view! { <option value=template.id.clone() selected=template.selected>{label}</option> }
                                            }).collect_view()}
                                        </select>
                                    </label>
                                    {about}
                                    {move || error_note(failure_message(save.value().get()))}
                                    <button type="submit" disabled=move || save.pending().get()>{t(Text::LeverFeedbackSave)}</button>
                                </form>
                            }.into_any()
                        }
                    })
                }}
            </Transition>
        </section>
    }
}
