use ::api::LoginRequest;
use leptos::prelude::*;
use leptos_router::NavigateOptions;
use leptos_router::components::A;
use leptos_router::hooks::{use_navigate, use_query_map};

use crate::api::Client;
use crate::components::guard::{error_note, failure_message};
use crate::state::{LoginReason, Session, safe_next};
use crate::text::{email_problem, first_problem, required_problem};

#[component]
pub fn Login() -> impl IntoView {
    let session = Session::get();
    let client = Client::get();
    let query = use_query_map();
    let reason =
        query.with_untracked(|q| q.get("reason").as_deref().and_then(LoginReason::from_code));
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
    let log_in = Action::new_local(move |request: &LoginRequest| {
        let request = request.clone();
        async move {
            let answer = client.log_in(&request).await;
            if let Ok(me) = &answer {
                session.logged_in_as(me.clone());
            }
            answer.map(|_| ())
        }
    });
    let problem = RwSignal::new(None::<String>);
    let on_submit = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        let request = LoginRequest {
            email: email.get_untracked().trim().to_string(),
            password: password.get_untracked(),
        };
        problem.set(first_problem([
            email_problem(&request.email),
            required_problem(&request.password, "your password"),
        ]));
        if problem.get_untracked().is_none() {
            log_in.dispatch_local(request);
        }
    };
    let message = move || {
        problem
            .get()
            .or_else(|| failure_message(log_in.value().get()))
    };

    view! {
        <section class="card narrow">
            <h1>"Log in"</h1>
            {reason.map(|reason| view! { <p class="notice ok" role="status" data-testid="login-notice">{reason.notice()}</p> })}
            <form class="form" on:submit=on_submit novalidate>
                <label>
                    "Email"
                    <input type="email" name="email" autocomplete="username" required bind:value=email/>
                </label>
                <label>
                    "Password"
                    <input type="password" name="password" autocomplete="current-password" required bind:value=password/>
                </label>
                {move || error_note(message())}
                <button type="submit" disabled=move || log_in.pending().get()>
                    {move || if log_in.pending().get() { "Logging in…" } else { "Log in" }}
                </button>
            </form>
            <p>
                "New to Stagepad? " <A href="/signup">"Sign up your organization"</A>
                ". Joining a colleague's organization? Open the invitation link they sent you."
            </p>
        </section>
    }
}
