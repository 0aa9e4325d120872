use ::api::{ErrorCode, Plan, SignupRequest};
use leptos::prelude::*;
use leptos_router::components::A;

use crate::api::Client;
use crate::components::form::{FormProblem, first_at};
use crate::i18n::{Text, t};
use crate::pages::home_when_logged_in;
use crate::state::Session;
use crate::text::{
    email_problem, password_problem, plan_from_value, plan_summary, plan_value, required_problem,
};

/// The form's fields, so that a problem shows next to the field it is about.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Field {
    OrgName,
    Name,
    Email,
    Password,
}

/// The form's own check, before asking the server: its first problem, with the field it is
/// about.
pub fn first_field_problem(request: &SignupRequest) -> Option<(Field, String)> {
    first_at([
        (
            Field::OrgName,
            required_problem(&request.org_name, Text::SignupOrgNameMissing),
        ),
        (
            Field::Name,
            required_problem(&request.name, Text::FormNameMissing),
        ),
        (Field::Email, email_problem(&request.email)),
        (Field::Password, password_problem(&request.password)),
    ])
}

/// The field a refusal from the server is about, if it is about one.
pub fn field_of(code: ErrorCode) -> Option<Field> {
    match code {
        ErrorCode::WeakPassword => Some(Field::Password),
        ErrorCode::InvalidEmail | ErrorCode::EmailTaken => Some(Field::Email),
        _ => None,
    }
}

#[component]
pub fn Signup() -> impl IntoView {
    let session = Session::get();
    let client = Client::get();
    home_when_logged_in(session);

    let org_name = RwSignal::new(String::new());
    let name = RwSignal::new(String::new());
    let email = RwSignal::new(String::new());
    let password = RwSignal::new(String::new());
    let plan = RwSignal::new(plan_value(Plan::Team).to_string());

    let problem = FormProblem::new(field_of);
    let sign_up = Action::new_local(move |request: &SignupRequest| {
        let request = request.clone();
        async move {
            let answer = problem.answered(client.sign_up(&request).await);
            if let Ok(me) = &answer {
                session.logged_in_as(me.clone());
            }
            answer.map(|_| ())
        }
    });
    let on_submit = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        let request = SignupRequest {
            org_name: org_name.get_untracked().trim().to_string(),
            name: name.get_untracked().trim().to_string(),
            email: email.get_untracked().trim().to_string(),
            password: password.get_untracked(),
            plan: plan_from_value(&plan.get_untracked()).unwrap_or(Plan::Team),
        };
        if problem.check(first_field_problem(&request)) {
            sign_up.dispatch_local(request);
        }
    };

    let (have_before, have_after) = crate::i18n::around(Text::SignupHaveAccount, "link");

    view! {
        <section class="card narrow">
            <h1>{t(Text::SignupTitle)}</h1>
            <p class="muted">{t(Text::SignupIntro)}</p>
            <form class="form" on:submit=on_submit novalidate>
                <label>
                    {t(Text::FormFieldOrgName)}
                    <input type="text" name="org_name" autocomplete="organization" required bind:value=org_name/>
                    {problem.note(Some(Field::OrgName))}
                </label>
                <label>
                    {t(Text::FormFieldYourName)}
                    <input type="text" name="name" autocomplete="name" required bind:value=name/>
                    {problem.note(Some(Field::Name))}
                </label>
                <label>
                    {t(Text::FormFieldEmail)}
                    <input type="email" name="email" autocomplete="email" required bind:value=email/>
                    {problem.note(Some(Field::Email))}
                </label>
                <label>
                    {t(Text::FormFieldPassword)}
                    <input type="password" name="password" autocomplete="new-password" required bind:value=password/>
                    {problem.password_hint(Field::Password, password)}
                    {problem.note(Some(Field::Password))}
                </label>
                <label>
                    {t(Text::FormFieldPlan)}
                    <select name="plan" bind:value=plan>
                        {Plan::ALL
                            .iter()
                            .copied()
                            .map(|p| {
                                view! {
                                    <option value=plan_value(p) selected=move || plan.get() == plan_value(p)>
                                        {plan_summary(p)}
                                    </option>
                                }
                            })
                            .collect_view()}
                    </select>
                    <span class="hint">{t(Text::SignupPlanHint)}</span>
                </label>
                {problem.note(None)}
                <button type="submit" disabled=move || sign_up.pending().get()>
                    {move || {
                        t(if sign_up.pending().get() { Text::SignupCreating } else { Text::SignupCreate })
                    }}
                </button>
            </form>
            <p>{have_before} <A href="/login">{t(Text::NavLogIn)}</A> {have_after}</p>
        </section>
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn request() -> SignupRequest {
        SignupRequest {
            org_name: "Acme".into(),
            name: "Ada Lovelace".into(),
            email: "ada@example.com".into(),
            password: "correct horse staple".into(),
            plan: Plan::Team,
        }
    }

    #[test]
    fn each_problem_belongs_to_its_field() {
        let mut weak = request();
        weak.password = "short".into();
        assert_eq!(
            first_field_problem(&weak).map(|p| p.0),
            Some(Field::Password)
        );
        let mut nameless = request();
        nameless.name = " ".into();
        assert_eq!(
            first_field_problem(&nameless).map(|p| p.0),
            Some(Field::Name)
        );
        assert_eq!(field_of(ErrorCode::WeakPassword), Some(Field::Password));
        assert_eq!(field_of(ErrorCode::EmailTaken), Some(Field::Email));
        assert_eq!(field_of(ErrorCode::TooManyRequests), None);
    }

    #[test]
    fn a_complete_form_has_no_problem() {
        assert_eq!(first_field_problem(&request()), None);
    }

    #[test]
    fn problems_are_named_in_form_order() {
        let mut blank = request();
        blank.org_name = "  ".into();
        blank.password = "short".into();
        assert_eq!(
            first_field_problem(&blank).map(|p| p.1).as_deref(),
            Some("Enter your organization's name.")
        );
        let mut weak = request();
        weak.password = "short".into();
        assert_eq!(
            first_field_problem(&weak).map(|p| p.1).as_deref(),
            Some("The password needs at least 12 characters.")
        );
    }
}
