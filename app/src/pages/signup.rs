use ::api::{Plan, SignupRequest};
use leptos::prelude::*;
use leptos_router::components::A;

use crate::api::Client;
use crate::components::guard::{error_note, failure_message};
use crate::pages::home_when_logged_in;
use crate::state::Session;
use crate::text::{
    email_problem, first_problem, password_hint, password_problem, plan_from_value, plan_summary,
    plan_value, required_problem,
};

/// The form's own check, before asking the server.
pub fn signup_problem(request: &SignupRequest) -> Option<String> {
    first_problem([
        required_problem(&request.org_name, "your organization's name"),
        required_problem(&request.name, "your name"),
        email_problem(&request.email),
        password_problem(&request.password),
    ])
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

    let sign_up = Action::new_local(move |request: &SignupRequest| {
        let request = request.clone();
        async move {
            let answer = client.sign_up(&request).await;
            if let Ok(me) = &answer {
                session.logged_in_as(me.clone());
            }
            answer.map(|_| ())
        }
    });
    let problem = RwSignal::new(None::<String>);
    let on_submit = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        let request = SignupRequest {
            org_name: org_name.get_untracked().trim().to_string(),
            name: name.get_untracked().trim().to_string(),
            email: email.get_untracked().trim().to_string(),
            password: password.get_untracked(),
            plan: plan_from_value(&plan.get_untracked()).unwrap_or(Plan::Team),
        };
        problem.set(signup_problem(&request));
        if problem.get_untracked().is_none() {
            sign_up.dispatch_local(request);
        }
    };
    let message = move || {
        problem
            .get()
            .or_else(|| failure_message(sign_up.value().get()))
    };

    view! {
        <section class="card narrow">
            <h1>"Sign up your organization"</h1>
            <p class="muted">
                "You become its first admin and can invite your colleagues next."
            </p>
            <form class="form" on:submit=on_submit novalidate>
                <label>
                    "Organization name"
                    <input type="text" name="org_name" autocomplete="organization" required bind:value=org_name/>
                </label>
                <label>
                    "Your name"
                    <input type="text" name="name" autocomplete="name" required bind:value=name/>
                </label>
                <label>
                    "Email"
                    <input type="email" name="email" autocomplete="email" required bind:value=email/>
                </label>
                <label>
                    "Password"
                    <input type="password" name="password" autocomplete="new-password" required bind:value=password/>
                    <span class="hint" data-testid="password-hint">
                        {move || password.with(|p| password_hint(p))}
                    </span>
                </label>
                <label>
                    "Plan"
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
                    <span class="hint">"No payment is taken; you can change the plan later."</span>
                </label>
                {move || error_note(message())}
                <button type="submit" disabled=move || sign_up.pending().get()>
                    {move || if sign_up.pending().get() { "Creating your organization…" } else { "Create organization" }}
                </button>
            </form>
            <p>"Already have an account? " <A href="/login">"Log in"</A></p>
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
    fn a_complete_form_has_no_problem() {
        assert_eq!(signup_problem(&request()), None);
    }

    #[test]
    fn problems_are_named_in_form_order() {
        let mut blank = request();
        blank.org_name = "  ".into();
        blank.password = "short".into();
        assert_eq!(
            signup_problem(&blank).as_deref(),
            Some("Enter your organization's name.")
        );
        let mut weak = request();
        weak.password = "short".into();
        assert_eq!(
            signup_problem(&weak).as_deref(),
            Some("The password needs at least 12 characters.")
        );
    }
}
