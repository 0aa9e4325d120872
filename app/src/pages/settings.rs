use ::api::{ChangePlanRequest, ErrorCode, Plan, RenameOrganizationRequest};
use leptos::prelude::*;

use crate::api::Client;
use crate::components::form::FormProblem;
use crate::components::guard::{AdminOnly, error_note, failure_message, load_failed};
use crate::state::Session;
use crate::text::{
    format_date, lever_notice, plan_from_value, plan_summary, plan_value, required_problem,
};

/// What the name form says, in one place (to be translated).
mod words {
    pub const NAME_TITLE: &str = "Organization name";
    pub const NAME_LABEL: &str = "Name";
    pub const NAME_HINT: &str =
        "Everyone in the organization sees it, and candidates on their pad.";
    pub const NAME_REQUIRED: &str = "the organization's name";
    pub const NAME_BUTTON: &str = "Rename";
    pub const NAME_BUSY: &str = "Renaming…";

    pub fn renamed(name: &str) -> String {
        format!("Saved: the organization is now called {name}.")
    }
}

/// The name form's one field.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum NameField {
    Name,
}

pub fn name_field_of(code: ErrorCode) -> Option<NameField> {
    (code == ErrorCode::InvalidField).then_some(NameField::Name)
}

#[component]
pub fn Settings() -> impl IntoView {
    view! {
        <AdminOnly title="Organization settings" what="change the organization's settings">
            <OrganizationSettings/>
        </AdminOnly>
    }
}

#[component]
fn OrganizationSettings() -> impl IntoView {
    let session = Session::get();
    let client = Client::get();
    // The session knows the organization already; asking again shows another admin's change.
    let fresh = LocalResource::new(move || async move {
        let answer = client.organization().await;
        if let Ok(organization) = &answer {
            session.organization_changed(organization.clone());
        }
        answer.map(|_| ())
    });
    let organization = move || session.me().map(|me| me.organization);

    view! {
        <section class="card">
            <h1>"Organization settings"</h1>
            <Transition fallback=|| view! { <p class="muted">"Loading…"</p> }>
                <ErrorBoundary fallback=load_failed>
                    {move || fresh.get()}
                    {move || {
                        organization()
                            .map(|organization| {
                                view! {
                                    <dl class="facts">
                                        <dt>"Name"</dt>
                                        <dd data-testid="organization-name">{organization.name}</dd>
                                        <dt>"Plan"</dt>
                                        <dd>
                                            <span class="badge" data-testid="current-plan">
                                                {organization.plan.label()}
                                            </span>
                                        </dd>
                                        <dt>"Created"</dt>
                                        <dd>{format_date(organization.created_at)}</dd>
                                    </dl>
                                }
                            })
                    }}
                </ErrorBoundary>
            </Transition>
        </section>
        <NameForm/>
        <PlanForm/>
    }
}

#[component]
fn NameForm() -> impl IntoView {
    let session = Session::get();
    let client = Client::get();
    let current = Memo::new(move |_| {
        session
            .me()
            .map(|me| me.organization.name)
            .unwrap_or_default()
    });
    let name = RwSignal::new(current.get_untracked());
    // Another admin's rename, seen when the page reloads the organization, shows here too.
    Effect::new(move |previous: Option<String>| {
        let now = current.get();
        if previous.is_some_and(|previous| name.with_untracked(|n| n.trim() == previous)) {
            name.set(now.clone());
        }
        now
    });
    let problem = FormProblem::new(name_field_of);
    let rename = Action::new_local(move |request: &RenameOrganizationRequest| {
        let request = request.clone();
        async move {
            let answer = problem.answered(client.rename_organization(&request).await);
            if let Ok(organization) = &answer {
                name.set(organization.name.clone());
                session.organization_changed(organization.clone());
            }
            answer.map(|_| ())
        }
    });
    let on_submit = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        let request = RenameOrganizationRequest {
            name: name.get_untracked().trim().to_string(),
        };
        let own = required_problem(&request.name, words::NAME_REQUIRED)
            .map(|message| (NameField::Name, message));
        if problem.check(own) {
            rename.dispatch_local(request);
        }
    };
    let unchanged = move || name.with(|n| n.trim() == current.get());
    let saved = move || {
        matches!(rename.value().get(), Some(Ok(()))) && !rename.pending().get() && unchanged()
    };

    view! {
        <section class="card">
            <h2>{words::NAME_TITLE}</h2>
            <form class="form" data-testid="organization-name-form" on:submit=on_submit novalidate>
                <label>
                    {words::NAME_LABEL}
                    <input type="text" name="organization_name" autocomplete="organization" required bind:value=name/>
                    <span class="hint">{words::NAME_HINT}</span>
                    {problem.note(Some(NameField::Name))}
                </label>
                {problem.note(None)}
                {move || saved().then(|| view! {
                    <p class="ok" role="status" data-testid="organization-renamed">
                        {words::renamed(&current.get())}
                    </p>
                })}
                <button type="submit" disabled=move || rename.pending().get() || unchanged()>
                    {move || if rename.pending().get() { words::NAME_BUSY } else { words::NAME_BUTTON }}
                </button>
            </form>
        </section>
    }
}

#[component]
fn PlanForm() -> impl IntoView {
    let session = Session::get();
    let client = Client::get();
    let current = Memo::new(move |_| session.me().map(|me| me.organization.plan));
    let chosen = RwSignal::new(
        current
            .get_untracked()
            .map(plan_value)
            .unwrap_or_default()
            .to_string(),
    );
    let change = Action::new_local(move |request: &ChangePlanRequest| {
        let request = request.clone();
        async move {
            let answer = client.change_plan(&request).await;
            if let Ok(organization) = &answer {
                session.organization_changed(organization.clone());
            }
            answer.map(|_| ())
        }
    });
    // Leaving Enterprise stops Lever at once: ask first.
    let confirming = RwSignal::new(false);
    let on_submit = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        let Some(plan) = plan_from_value(&chosen.get_untracked()) else {
            return;
        };
        let leaves_lever =
            current.get_untracked().is_some_and(Plan::includes_lever) && !plan.includes_lever();
        if leaves_lever && !confirming.get_untracked() {
            confirming.set(true);
            return;
        }
        confirming.set(false);
        change.dispatch_local(ChangePlanRequest { plan });
    };
    let unchanged = move || plan_from_value(&chosen.get()) == current.get();
    let has_lever = move || current.get().is_some_and(Plan::includes_lever);
    // "Saved" until the next choice.
    let saved = move || {
        matches!(change.value().get(), Some(Ok(()))) && !change.pending().get() && unchanged()
    };

    view! {
        <section class="card">
            <h2>"Plan"</h2>
            <p class="notice" class:ok=has_lever data-testid="lever-notice">
                {move || current.get().map(|plan| lever_notice(plan, true))}
            </p>
            <form class="form" on:submit=on_submit>
                <fieldset class="plans">
                    <legend>"Choose a plan"</legend>
                    {Plan::ALL
                        .iter()
                        .copied()
                        .map(|plan| {
                            let is_current = move || current.get() == Some(plan);
                            view! {
                                <label class="choice">
                                    <input
                                        type="radio"
                                        name="plan"
                                        value=plan_value(plan)
                                        prop:checked=move || chosen.get() == plan_value(plan)
                                        on:change=move |_| {
                                            confirming.set(false);
                                            chosen.set(plan_value(plan).to_string());
                                        }
                                    />
                                    <span>
                                        {plan_summary(plan)}
                                        {move || is_current().then(|| view! { " " <span class="badge">"current"</span> })}
                                    </span>
                                </label>
                            }
                        })
                        .collect_view()}
                </fieldset>
                {move || error_note(failure_message(change.value().get()))}
                {move || confirming.get().then(|| view! {
                    <p class="notice" role="alert" data-testid="confirm-plan">
                        "Without Enterprise, Lever stops creating pads and receiving code for this organization; its setup is kept for when you come back."
                    </p>
                })}
                {move || saved().then(|| view! {
                    <p class="ok" role="status" data-testid="plan-saved">
                        {current.get().map(|plan| format!("Saved: the plan is now {}.", plan.label()))}
                    </p>
                })}
                <span>
                    <button type="submit" disabled=move || change.pending().get() || unchanged()>
                        {move || {
                            if change.pending().get() {
                                "Changing the plan…"
                            } else if confirming.get() {
                                "Yes, leave Enterprise"
                            } else {
                                "Change plan"
                            }
                        }}
                    </button>
                    {move || confirming.get().then(|| view! {
                        <button type="button" class="secondary" on:click=move |_| confirming.set(false)>
                            "Cancel"
                        </button>
                    })}
                </span>
            </form>
            <p class="muted">"No payment is taken: the plan decides what your organization may use."</p>
        </section>
    }
}
