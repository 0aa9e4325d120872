use ::api::{LeverCredentialsRequest, LeverEnvironment};
use leptos::prelude::*;

use super::{
    SetupState, base_url_problem, environment_from_value, environment_label, environment_value,
    step_heading,
};
use crate::api::Client;
use crate::components::guard::{error_note, failure_message};
use crate::i18n::{Text, t, tf};

#[component]
pub fn StepCredentials() -> impl IntoView {
    let setup = expect_context::<SetupState>();
    let client = Client::get();
    let saved = setup.get().map(|s| s.credentials).expect("setup loaded");
    let environment = RwSignal::new(
        environment_value(saved.environment.unwrap_or(LeverEnvironment::Production)).to_string(),
    );
    let base_url = RwSignal::new(saved.base_url.clone().unwrap_or_default());
    // The key lives in this field only until it is sent; it is never shown again.
    let api_key = RwSignal::new(String::new());
    let problem = RwSignal::new(None::<String>);
    let save = Action::new_local(move |request: &LeverCredentialsRequest| {
        let request = request.clone();
        async move {
            let answer = setup.accept(client.save_lever_credentials(&request).await);
            if answer.is_ok() {
                api_key.set(String::new());
            }
            answer
        }
    });
    let on_submit = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        let key = api_key.get_untracked();
        if key.trim().is_empty() {
            problem.set(Some(t(Text::LeverCredentialsKeyMissing).into()));
            return;
        }
        let environment = environment_from_value(&environment.get_untracked());
        let base_url = (environment == LeverEnvironment::Custom).then(|| base_url.get_untracked());
        problem.set(base_url.as_deref().and_then(base_url_problem));
        if problem.get_untracked().is_some() {
            return;
        }
        save.dispatch_local(LeverCredentialsRequest {
            environment,
            base_url,
            api_key: key,
        });
    };
    let custom = move || environment.get() == "custom";
    let current = move || setup.get().map(|s| s.credentials);

    view! {
        <section class="card" data-testid="step-1">
            <h2>{step_heading(1, Text::LeverStepOne)}</h2>
            <p>{t(Text::LeverCredentialsHow)}</p>
            <p class="muted" data-testid="confidential-hint">
                {t(Text::LeverCredentialsConfidentialHint)}
            </p>
            {move || {
                current()
                    .and_then(|c| c.permission_missing)
                    .map(|message| view! { <p class="error" role="alert" data-testid="permission-missing">{message}</p> })
            }}
            {move || {
                current()
                    .filter(|c| c.done)
                    .map(|c| {
                        view! {
                            <p class="ok" data-testid="saved-key">
                                {tf(
                                    Text::LeverCredentialsSaved,
                                    &[
                                        (
                                            "environment",
                                            c.environment
                                                .map_or(t(Text::LeverEnvironmentUnknown), environment_label),
                                        ),
                                        ("last4", &c.api_key_last4.unwrap_or_default()),
                                    ],
                                )}
                            </p>
                            <p class="muted" data-testid="confidential-access">
                                {t(match c.confidential_access {
                                    Some(true) => Text::LeverCredentialsConfidentialYes,
                                    Some(false) => Text::LeverCredentialsConfidentialNo,
                                    None => Text::LeverCredentialsConfidentialUnknown,
                                })}
                            </p>
                        }
                    })
            }}
            {move || {
                current()
                    .filter(|c| c.done)
                    .map(|c| c.optional_permissions_missing)
                    .filter(|missing| !missing.is_empty())
                    .map(|missing| {
                        view! {
                            <div class="notice" data-testid="optional-permissions-missing">
                                <p>{t(Text::LeverCredentialsOptionalMissing)}</p>
                                <ul>
                                    {missing.into_iter().map(|m| view! { <li>{m}</li> }).collect_view()}
                                </ul>
                            </div>
                        }
                    })
            }}
            <form class="form" on:submit=on_submit>
                <label>
                    {t(Text::LeverCredentialsEnvironment)}
                    <select name="environment" on:change=move |ev| environment.set(event_target_value(&ev))>
                        {[LeverEnvironment::Production, LeverEnvironment::Sandbox, LeverEnvironment::Eu, LeverEnvironment::Custom]
                            .into_iter()
                            .map(|e| {
                                let value = environment_value(e);
                                view! {
                                    <option value=value selected=move || environment.get() == value>{environment_label(e)}</option>
                                }
                            })
                            .collect_view()}
                    </select>
                </label>
                {move || {
                    custom()
                        .then(|| {
                            view! {
                                <label>
                                    {t(Text::LeverCredentialsBaseUrl)}
                                    <input type="url" name="base_url" placeholder="http://127.0.0.1:8090/v1"
                                        prop:value=move || base_url.get()
                                        on:input=move |ev| base_url.set(event_target_value(&ev))/>
                                </label>
                            }
                        })
                }}
                <label>
                    {t(Text::LeverCredentialsApiKey)}
                    <input type="password" name="api_key" autocomplete="off"
                        prop:value=move || api_key.get()
                        on:input=move |ev| api_key.set(event_target_value(&ev))/>
                </label>
                {move || error_note(problem.get().or_else(|| failure_message(save.value().get())))}
                <button type="submit" disabled=move || save.pending().get()>
                    {move || {
                        t(if save.pending().get() {
                            Text::LeverCredentialsChecking
                        } else {
                            Text::LeverUpdate
                        })
                    }}
                </button>
            </form>
        </section>
    }
}
