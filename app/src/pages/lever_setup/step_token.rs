use ::api::UserId;
use ::api::{LeverTokenRequest, MemberStatus};
use leptos::prelude::*;

use super::{SetupState, step_heading, token_problem};
use crate::api::Client;
use crate::components::guard::{error_note, failure_message};
use crate::components::pager::ListPlace;
use crate::i18n::{Text, t, tf};
use crate::state::Session;

#[component]
pub fn StepToken() -> impl IntoView {
    let setup = expect_context::<SetupState>();
    let session = Session::get();
    let client = Client::get();
    let token = RwSignal::new(String::new());
    let owner = RwSignal::new(
        setup
            .get()
            .and_then(|s| s.token.pad_owner.map(|o| o.id))
            .or_else(|| session.user_id_untracked())
            .map(|id| id.to_string())
            .unwrap_or_default(),
    );
    let problem = RwSignal::new(None::<String>);
    let members = LocalResource::new(move || client.members(ListPlace::default()));
    let save = Action::new_local(move |request: &LeverTokenRequest| {
        let request = request.clone();
        async move {
            let answer = setup.accept(client.save_lever_token(&request).await);
            if answer.is_ok() {
                token.set(String::new());
            }
            answer
        }
    });
    let on_submit = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        let signature_token = token.get_untracked();
        let Ok(pad_owner_id) = owner.get_untracked().parse::<UserId>() else {
            problem.set(Some(t(Text::LeverTokenNoOwner).into()));
            return;
        };
        problem.set(token_problem(&signature_token));
        if problem.get_untracked().is_some() {
            return;
        }
        save.dispatch_local(LeverTokenRequest {
            signature_token,
            pad_owner_id,
        });
    };
    let ready = move || setup.get().is_some_and(|s| s.credentials.done);

    view! {
        <section class="card" data-testid="step-4">
            <h2>{step_heading(4, Text::LeverStepFour)}</h2>
            {move || {
                setup
                    .get()
                    .filter(|s| s.token.done)
                    .map(|s| {
                        let owner = s.token.pad_owner.map(|o| o.name).unwrap_or_default();
                        let author = match s.token.lever_author {
                            Some(name) => tf(Text::LeverTokenAuthor, &[("name", &name)]),
                            None if s.token.lever_author_deactivated => {
                                tf(Text::LeverTokenAuthorDeactivated, &[("owner", &owner)])
                            }
                            None => tf(Text::LeverTokenAuthorUnknown, &[("owner", &owner)]),
                        };
                        view! {
                            <p class="ok" data-testid="saved-token">
                                {tf(Text::LeverTokenSaved, &[("owner", &owner)])}
                            </p>
                            <p class="muted" data-testid="lever-author">{author}</p>
                        }
                    })
            }}
            <form class="form" on:submit=on_submit>
                <label>
                    {t(Text::LeverTokenLabel)}
                    <input type="password" name="signature_token" autocomplete="off" disabled=move || !ready()
                        prop:value=move || token.get()
                        on:input=move |ev| token.set(event_target_value(&ev))/>
                </label>
                <label>
                    {t(Text::LeverTokenOwner)}
                    <select name="pad_owner" on:change=move |ev| owner.set(event_target_value(&ev)) disabled=move || !ready()>
                        <Transition fallback=|| ()>
                            {move || {
                                members
                                    .get()
                                    .and_then(Result::ok)
                                    .map(|list| {
                                        list.members
                                            .into_iter()
                                            .filter(|m| m.status == MemberStatus::Active)
                                            .map(|m| {
                                                let id = m.id.to_string();
                                                let selected_id = id.clone();
                                                view! {
                                                    <option value=id selected=move || owner.get() == selected_id>
                                                        {format!("{} ({})", m.name, m.email)}
                                                    </option>
                                                }
                                            })
                                            .collect_view()
                                    })
                            }}
                        </Transition>
                    </select>
                </label>
                {move || error_note(problem.get().or_else(|| failure_message(save.value().get())))}
                <button type="submit" disabled=move || !ready() || save.pending().get()>
                    {move || t(if save.pending().get() { Text::FormSaving } else { Text::LeverUpdate })}
                </button>
            </form>
        </section>
    }
}
