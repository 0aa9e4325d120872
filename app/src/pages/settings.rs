use ::api::{ChangePlanRequest, ErrorCode, Plan, RenameOrganizationRequest};
use leptos::prelude::*;

use crate::api::Client;
use crate::components::form::FormProblem;
use crate::components::guard::{AdminOnly, error_note, failure_message, load_failed};
use crate::i18n::{Text, t, tf};
use crate::state::Session;
use crate::text::{
    format_date, lever_notice, plan_from_value, plan_label, plan_summary, plan_value,
    required_problem,
};

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
        <AdminOnly title=t(Text::SettingsTitle) sentence=Text::GuardAdminOnlySettings>
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
            <h1>{t(Text::SettingsTitle)}</h1>
            <Transition fallback=|| view! { <p class="muted">{t(Text::SettingsLoading)}</p> }>
                <ErrorBoundary fallback=load_failed>
                    {move || fresh.get()}
                    {move || {
                        organization()
                            .map(|organization| {
                                view! {
                                    <dl class="facts">
                                        <dt>{t(Text::FormFieldName)}</dt>
                                        <dd data-testid="organization-name">{organization.name}</dd>
                                        <dt>{t(Text::FormFieldPlan)}</dt>
                                        <dd>
                                            <span class="badge" data-testid="current-plan">
                                                {plan_label(organization.plan)}
                                            </span>
                                        </dd>
                                        <dt>{t(Text::SettingsCreated)}</dt>
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
        let own = required_problem(&request.name, Text::SettingsNameMissing)
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
            <h2>{t(Text::FormFieldOrgName)}</h2>
            <form class="form" data-testid="organization-name-form" on:submit=on_submit novalidate>
                <label>
                    {t(Text::FormFieldName)}
                    <input type="text" name="organization_name" autocomplete="organization" required bind:value=name/>
                    <span class="hint">{t(Text::SettingsNameHint)}</span>
                    {problem.note(Some(NameField::Name))}
                </label>
                {problem.note(None)}
                {move || saved().then(|| view! {
                    <p class="ok" role="status" data-testid="organization-renamed">
                        {tf(Text::SettingsRenamed, &[("name", &current.get())])}
                    </p>
                })}
                <button type="submit" disabled=move || rename.pending().get() || unchanged()>
                    {move || {
                        t(if rename.pending().get() { Text::SettingsRenaming } else { Text::SettingsRename })
                    }}
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
            <h2>{t(Text::FormFieldPlan)}</h2>
            <p class="notice" class:ok=has_lever data-testid="lever-notice">
                {move || current.get().map(|plan| lever_notice(plan, true))}
            </p>
            <form class="form" on:submit=on_submit>
                <fieldset class="plans">
                    <legend>{t(Text::SettingsChoosePlan)}</legend>
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
                                        {move || is_current().then(|| view! { " " <span class="badge">{t(Text::SettingsCurrent)}</span> })}
                                    </span>
                                </label>
                            }
                        })
                        .collect_view()}
                </fieldset>
                {move || error_note(failure_message(change.value().get()))}
                {move || confirming.get().then(|| view! {
                    <p class="notice" role="alert" data-testid="confirm-plan">
                        {t(Text::SettingsConfirmLeave)}
                    </p>
                })}
                {move || saved().then(|| view! {
                    <p class="ok" role="status" data-testid="plan-saved">
                        {current
                            .get()
                            .map(|plan| tf(Text::SettingsPlanSaved, &[("plan", plan_label(plan))]))}
                    </p>
                })}
                <span>
                    <button type="submit" disabled=move || change.pending().get() || unchanged()>
                        {move || {
                            t(if change.pending().get() {
                                Text::SettingsChangingPlan
                            } else if confirming.get() {
                                Text::SettingsLeaveEnterprise
                            } else {
                                Text::SettingsChangePlan
                            })
                        }}
                    </button>
                    {move || confirming.get().then(|| view! {
                        <button type="button" class="secondary" on:click=move |_| confirming.set(false)>
                            {t(Text::ConfirmCancel)}
                        </button>
                    })}
                </span>
            </form>
            <p class="muted">{t(Text::SettingsNoPayment)}</p>
        </section>
    }
}
