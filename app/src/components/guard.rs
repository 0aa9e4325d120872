//! What pages share: the admin gate, the way back to log in, and the way failures are shown.

use ::api::Role;
use leptos::prelude::*;
use leptos_router::hooks::use_navigate;

use crate::api::ApiFailure;
use crate::state::Session;

/// Shows `children` to admins only; members get a plain sentence instead of the data (the
/// server refuses them anyway). `what` completes "Only admins can …".
#[component]
pub fn AdminOnly(title: &'static str, what: &'static str, children: ChildrenFn) -> impl IntoView {
    let session = Session::get();
    move || {
        match session.role() {
        Some(Role::Admin) => children().into_any(),
        Some(Role::Member) => view! {
            <section class="card">
                <h1>{title}</h1>
                <p class="notice" data-testid="admin-only">
                    {format!("Only admins can {what}. Ask an admin of your organization if you need this.")}
                </p>
            </section>
        }
        .into_any(),
        None => ().into_any(),
    }
    }
}

/// Goes back to the log-in page when a call finds the session ended on the server (logged out
/// elsewhere, password changed, deactivated). Pages behind log-in would also be redirected by
/// their route; this covers the pad page too, which guests may open.
#[component]
pub fn BackToLoginWhenExpired() -> impl IntoView {
    let session = Session::get();
    let navigate = use_navigate();
    Effect::new(move |_| {
        if let Some(ended) = session.ended() {
            navigate(
                &crate::state::login_path(Some(ended.reason())),
                Default::default(),
            );
        }
    });
}

/// A form's problem (its own check or the server's message), in the element people and tests
/// look for.
pub fn error_note(message: Option<String>) -> impl IntoView {
    message.map(|message| {
        view! {
            <p class="error" role="alert">
                {message}
            </p>
        }
    })
}

/// The message of an action's last answer, if it failed.
pub fn failure_message<T>(answer: Option<Result<T, ApiFailure>>) -> Option<String> {
    answer.and_then(Result::err).map(|failure| failure.message)
}

/// For `<ErrorBoundary>`: the messages of what failed to load.
pub fn load_failed(errors: ArcRwSignal<Errors>) -> impl IntoView {
    view! {
        <div class="error" role="alert">
            {move || {
                errors
                    .get()
                    .into_iter()
                    .map(|(_, error)| view! { <p>{error.to_string()}</p> })
                    .collect_view()
            }}
        </div>
    }
}
