//! What pages share: the admin gate, the way back to log in, the way failures are shown, and
//! links inside translated sentences.

use ::api::Role;
use leptos::prelude::*;
use leptos_router::hooks::use_navigate;

use crate::api::ApiFailure;
use crate::i18n::{Text, t};
use crate::state::Session;

/// Shows `children` to admins only; members get a plain sentence instead of the data (the
/// server refuses them anyway). `sentence` is the page's own "Only admins can …" text
/// (`Text::GuardAdminOnlyMembers`, …).
#[component]
pub fn AdminOnly(title: &'static str, sentence: Text, children: ChildrenFn) -> impl IntoView {
    let session = Session::get();
    move || match session.role() {
        Some(Role::Admin) => children().into_any(),
        Some(Role::Member) => view! {
            <section class="card">
                <h1>{title}</h1>
                <p class="notice" data-testid="admin-only">
                    {t(sentence)} " " {t(Text::GuardAskAnAdmin)}
                </p>
            </section>
        }
        .into_any(),
        None => ().into_any(),
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_link_goes_where_the_language_puts_it() {
        assert_eq!(
            crate::i18n::around(Text::SignupHaveAccount, "link"),
            ("Already have an account? ", "")
        );
        let (before, after) = crate::i18n::around(Text::LoginNewHere, "link");
        assert_eq!(before, "New to Stagepad? ");
        assert!(
            after.starts_with(". Joining a colleague's organization?"),
            "{after}"
        );
        crate::i18n::set_locale(::api::i18n::Locale::Fr);
        assert_eq!(
            crate::i18n::around(Text::SignupHaveAccount, "link"),
            ("Vous avez déjà un compte ? ", "")
        );
        assert_eq!(crate::i18n::around(Text::GuardAskAnAdmin, "link").1, "");
        crate::i18n::set_locale(::api::i18n::Locale::En);
    }
}
