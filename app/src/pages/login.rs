use ::api::{ErrorCode, LoginRequest};
use leptos::prelude::*;
use leptos_router::NavigateOptions;
use leptos_router::components::A;
use leptos_router::hooks::{use_navigate, use_query_map};

use crate::api::Client;
use crate::components::form::{FormProblem, first_at};
use crate::i18n::{Text, t};
use crate::state::{LoginReason, Session, SessionEnd, safe_next};
use crate::text::{email_problem, required_problem};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Field {
    Email,
    Password,
}

/// The form's own check: its first problem, with its field.
pub fn first_field_problem(request: &LoginRequest) -> Option<(Field, String)> {
    first_at([
        (Field::Email, email_problem(&request.email)),
        (
            Field::Password,
            required_problem(&request.password, Text::FormPasswordMissing),
        ),
    ])
}

/// The field a refusal concerns. A wrong e-mail or password is answered alike (no hint of
/// which accounts exist), so it goes by the password: the field to type again.
pub fn field_of(code: ErrorCode) -> Option<Field> {
    match code {
        ErrorCode::InvalidCredentials => Some(Field::Password),
        _ => None,
    }
}

#[component]
pub fn Login() -> impl IntoView {
    let session = Session::get();
    let client = Client::get();
    let query = use_query_map();
    // Why this page opened: as the link says, else as this console saw the session end (a page
    // behind log-in may have sent people here before the reason was in the address).
    let ended = session.ended_untracked();
    let reason = query
        .with_untracked(|q| q.get("reason").as_deref().and_then(LoginReason::from_code))
        .or_else(|| ended.as_ref().map(SessionEnd::reason));
    // The organization a session just ended in, while this page still remembers it.
    let organization = match ended {
        Some(SessionEnd::AccessRemoved { organization }) => Some(organization),
        _ => None,
    };
    // Once logged in (now, or already): the page asked for, or home.
    let next = query.with_untracked(|q| {
        q.get("next")
            .as_deref()
            .and_then(safe_next)
            .unwrap_or("/")
            .to_string()
    });
    let navigate = use_navigate();
    Effect::new(move |_| {
        if session.logged_in() == Some(true) {
            navigate(
                &next,
                NavigateOptions {
                    replace: true,
                    ..Default::default()
                },
            );
        }
    });

    let email = RwSignal::new(String::new());
    let password = RwSignal::new(String::new());
    let problem = FormProblem::new(field_of);
    let log_in = Action::new_local(move |request: &LoginRequest| {
        let request = request.clone();
        async move {
            let answer = problem.answered(client.log_in(&request).await);
            if let Ok(me) = &answer {
                session.logged_in_as(me.clone());
            }
            answer.map(|_| ())
        }
    });
    let on_submit = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        let request = LoginRequest {
            email: email.get_untracked().trim().to_string(),
            password: password.get_untracked(),
        };
        if problem.check(first_field_problem(&request)) {
            log_in.dispatch_local(request);
        }
    };

    let (new_before, new_after) = crate::i18n::around(Text::LoginNewHere, "link");

    view! {
        <section class="card narrow">
            <h1>{t(Text::NavLogIn)}</h1>
            {reason.map(|reason| view! { <p class="notice ok" role="status" data-testid="login-notice">{reason.notice(organization.as_deref())}</p> })}
            <form class="form" on:submit=on_submit novalidate>
                <label>
                    {t(Text::FormFieldEmail)}
                    <input type="email" name="email" autocomplete="username" required bind:value=email/>
                    {problem.note(Some(Field::Email))}
                </label>
                <label>
                    {t(Text::FormFieldPassword)}
                    <input type="password" name="password" autocomplete="current-password" required bind:value=password/>
                    {problem.note(Some(Field::Password))}
                </label>
                {problem.note(None)}
                <button type="submit" disabled=move || log_in.pending().get()>
                    {move || t(if log_in.pending().get() { Text::LoginLoggingIn } else { Text::NavLogIn })}
                </button>
            </form>
            <p>
                <A href="/forgot-password">{t(Text::LoginForgotPassword)}</A>
            </p>
            <p>
                {new_before} <A href="/signup">{t(Text::SignupTitle)}</A> {new_after}
            </p>
        </section>
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_problem_belongs_to_its_field() {
        let request = |email: &str, password: &str| LoginRequest {
            email: email.into(),
            password: password.into(),
        };
        assert_eq!(
            first_field_problem(&request("ada@example.com", "secret")),
            None
        );
        assert_eq!(
            first_field_problem(&request("ada", "")).map(|p| p.0),
            Some(Field::Email)
        );
        assert_eq!(
            first_field_problem(&request("ada@example.com", "")).map(|p| p.0),
            Some(Field::Password)
        );
        assert_eq!(
            field_of(ErrorCode::InvalidCredentials),
            Some(Field::Password)
        );
        assert_eq!(field_of(ErrorCode::AccountDeactivated), None);
        assert_eq!(field_of(ErrorCode::TooManyRequests), None);
    }
}
