use ::api::LeverFeedbackTemplateRequest;
use leptos::prelude::*;

use super::SetupState;
use crate::api::Client;
use crate::components::guard::{error_note, failure_message};

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
            Some(t) => format!("Feedback forms are filed with the template \"{}\".", t.name),
            None => "Feedback forms are not offered: no template is chosen.".to_string(),
        })
    };
    view! {
        <section class="card" data-testid="feedback-template">
            <h2>"Feedback forms"</h2>
            <p>
                "Members can send an ended pad's code to Lever as a feedback form, filed as \
                 themselves (their Lever user, found by e-mail). Stagepad fills the template's \
                 first code question with the final code and its first text question with the \
                 playback link."
            </p>
            <p data-testid="feedback-current">{current}</p>
            <Transition fallback=|| view! { <p class="muted">"Loading Lever's feedback templates…"</p> }>
                {move || {
                    templates.get().map(|answer| match answer {
                        None => view! { <p class="muted">"Save a Lever API key first (step 1)."</p> }.into_any(),
                        Some(Err(failure)) => view! { <p class="error" role="alert">{failure.message}</p> }.into_any(),
                        Some(Ok(live)) => {
                            let details = live.templates.clone();
                            let about = move || {
                                let id = choice.get();
                                details.iter().find(|t| t.id == id).map(|t| match &t.unusable {
                                    Some(why) => view! { <p class="warn" data-testid="feedback-unusable">{why.clone()}</p> }.into_any(),
                                    None => view! {
                                        <p class="muted" data-testid="feedback-fields">
                                            {format!(
                                                "Code goes into \"{}\"; the playback link into \"{}\".",
                                                t.code_field.clone().unwrap_or_default(),
                                                t.text_field.clone().unwrap_or_default()
                                            )}
                                        </p>
                                    }.into_any(),
                                })
                            };
                            view! {
                                <form class="form" on:submit=on_submit>
                                    <label>
                                        "Feedback template"
                                        <select name="feedback_template" prop:value=move || choice.get()
                                            on:change=move |ev| choice.set(event_target_value(&ev))>
                                            <option value="">"None: do not offer feedback forms"</option>
                                            {live.templates.into_iter().map(|t| {
                                                let label = match t.unusable {
                                                    Some(_) => format!("{} (cannot be used)", t.name),
                                                    None => t.name.clone(),
                                                };
                                                view! { <option value=t.id.clone() selected=t.selected>{label}</option> }
                                            }).collect_view()}
                                        </select>
                                    </label>
                                    {about}
                                    {move || error_note(failure_message(save.value().get()))}
                                    <button type="submit" disabled=move || save.pending().get()>"Save template"</button>
                                </form>
                            }.into_any()
                        }
                    })
                }}
            </Transition>
        </section>
    }
}
