use std::collections::BTreeSet;

use ::api::LeverStagesRequest;
use leptos::prelude::*;

use super::{SetupState, step_heading};
use crate::api::Client;
use crate::components::guard::{error_note, failure_message};
use crate::i18n::{Text, t, tf, tn};

#[component]
pub fn StepStages() -> impl IntoView {
    let setup = expect_context::<SetupState>();
    let client = Client::get();
    // Asked again whenever another key is saved.
    let key_marker = setup.saved_key();
    let chosen = RwSignal::new(BTreeSet::<String>::new());
    let stages = LocalResource::new(move || {
        let marker = key_marker.get();
        async move {
            marker?;
            let answer = client.lever_stages().await;
            if let Ok(live) = &answer {
                chosen.set(
                    live.stages
                        .iter()
                        .filter(|s| s.selected)
                        .map(|s| s.id.clone())
                        .collect(),
                );
            }
            Some(answer)
        }
    });
    // "Saved" until the choice changes again.
    let saved = RwSignal::new(false);
    let save = Action::new_local(move |request: &LeverStagesRequest| {
        let request = request.clone();
        async move {
            let answer = setup.accept(client.save_lever_stages(&request).await);
            saved.set(answer.is_ok());
            answer
        }
    });
    let problem = RwSignal::new(None::<String>);
    let on_submit = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        let stage_ids: Vec<String> = chosen.get_untracked().into_iter().collect();
        problem.set(
            stage_ids
                .is_empty()
                .then(|| t(Text::LeverStagesNonePicked).to_string()),
        );
        if !stage_ids.is_empty() {
            save.dispatch_local(LeverStagesRequest { stage_ids });
        }
    };
    let missing = move || {
        setup
            .get()
            .map(|s| {
                s.stages
                    .selected
                    .into_iter()
                    .filter(|stage| stage.missing)
                    .map(|stage| stage.name)
                    .collect::<Vec<_>>()
            })
            .unwrap_or_default()
    };

    view! {
        <section class="card" data-testid="step-2">
            <h2>{step_heading(2, Text::LeverStepTwo)}</h2>
            <p>{t(Text::LeverStagesAbout)}</p>
            {move || {
                let gone = missing();
                (!gone.is_empty())
                    .then(|| {
                        view! {
                            <p class="warn" data-testid="missing-stages">
                                {tf(Text::LeverStagesMissing, &[("stages", &gone.join(", "))])}
                            </p>
                        }
                    })
            }}
            <Transition fallback=|| view! { <p class="muted">{t(Text::LeverStagesLoading)}</p> }>
                {move || {
                    stages
                        .get()
                        .map(|answer| match answer {
                            None => view! { <p class="muted">{t(Text::LeverNeedKey)}</p> }.into_any(),
                            Some(Err(failure)) => view! { <p class="error" role="alert">{failure.message}</p> }.into_any(),
                            Some(Ok(live)) => {
                                view! {
                                    <form class="form" on:submit=on_submit>
                                        <fieldset class="stage-choices">
                                            <legend>{t(Text::LeverStagesLegend)}</legend>
                                            {live
                                                .stages
                                                .into_iter()
                                                .map(|stage| {
                                                    let id = stage.id.clone();
                                                    let checked_id = id.clone();
                                                    view! {
                                                        <label class="choice">
                                                            <input type="checkbox" name="stage" value=id.clone()
                                                                prop:checked=move || chosen.with(|c| c.contains(&checked_id))
                                                                on:change=move |ev| {
                                                                    let on = event_target_checked(&ev);
                                                                    let id = id.clone();
                                                                    saved.set(false);
                                                                    chosen.update(|c| { if on { c.insert(id); } else { c.remove(&id); } });
                                                                }/>
                                                            <span>{stage.name}</span>
                                                        </label>
                                                    }
                                                })
                                                .collect_view()}
                                        </fieldset>
                                        {move || error_note(problem.get().or_else(|| failure_message(save.value().get())))}
                                        {move || saved.get().then(|| view! {
                                            <p class="ok" role="status" data-testid="stages-saved">
                                                {chosen.with(|c| {
                                                    tn(
                                                        c.len() as u64,
                                                        Text::LeverStagesSavedOne,
                                                        Text::LeverStagesSavedOther,
                                                    )
                                                })}
                                            </p>
                                        })}
                                        <button type="submit" disabled=move || save.pending().get()>
                                            {move || {
                                                t(if save.pending().get() {
                                                    Text::FormSaving
                                                } else {
                                                    Text::LeverUpdate
                                                })
                                            }}
                                        </button>
                                    </form>
                                }
                                    .into_any()
                            }
                        })
                }}
            </Transition>
        </section>
    }
}
