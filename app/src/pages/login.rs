use ::api::LoginRequest;
use leptos::prelude::*;
use leptos_router::components::A;

use crate::api::Client;
use crate::components::guard::{error_note, failure_message};
use crate::pages::home_when_logged_in;
use crate::state::Session;
use crate::text::{email_problem, first_problem, required_problem};

#[component]
pub fn Login() -> impl IntoView {
    let session = Session::get();
    let client = Client::get();
    home_when_logged_in(session);

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
