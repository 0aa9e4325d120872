use ::api::ChangePasswordRequest;
use leptos::prelude::*;

use crate::api::Client;
use crate::components::guard::{error_note, failure_message};
use crate::state::Session;
use crate::text::{first_problem, password_hint, password_problem, required_problem};

/// The form's own check: the new password is acceptable and typed the same twice.
pub fn password_change_problem(
    current: &str,
    new_password: &str,
    confirmation: &str,
) -> Option<String> {
    first_problem([
        required_problem(current, "your current password"),
        password_problem(new_password),
        (new_password != confirmation).then(|| "The new passwords do not match.".to_string()),
    ])
}

#[component]
pub fn Account() -> impl IntoView {
    let session = Session::get();
    let client = Client::get();
    let current = RwSignal::new(String::new());
    let new_password = RwSignal::new(String::new());
    let confirmation = RwSignal::new(String::new());
    let change = Action::new_local(move |request: &ChangePasswordRequest| {
        let request = request.clone();
        async move {
            let answer = client.change_password(&request).await;
            if answer.is_ok() {
                current.set(String::new());
                new_password.set(String::new());
                confirmation.set(String::new());
            }
            answer
        }
    });
    let problem = RwSignal::new(None::<String>);
    let on_submit = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        let request = ChangePasswordRequest {
            current_password: current.get_untracked(),
            new_password: new_password.get_untracked(),
        };
        problem.set(password_change_problem(
            &request.current_password,
            &request.new_password,
            &confirmation.get_untracked(),
        ));
        if problem.get_untracked().is_none() {
            change.dispatch_local(request);
        }
    };
    let message = move || {
        problem
            .get()
            .or_else(|| failure_message(change.value().get()))
    };
    let changed = move || problem.get().is_none() && matches!(change.value().get(), Some(Ok(())));

    view! {
        <section class="card">
            <h1>"Your account"</h1>
            {move || {
                session
                    .me()
                    .map(|me| {
                        view! {
                            <dl class="facts">
                                <dt>"Name"</dt>
                                <dd>{me.user.name}</dd>
                                <dt>"Email"</dt>
                                <dd>{me.user.email}</dd>
                                <dt>"Organization"</dt>
                                <dd>{me.organization.name}</dd>
                                <dt>"Role"</dt>
                                <dd>{me.role.label()}</dd>
                            </dl>
                        }
                    })
            }}
        </section>
        <section class="card">
            <h2>"Change your password"</h2>
            <form class="form" on:submit=on_submit novalidate>
                <label>
                    "Current password"
                    <input type="password" name="current_password" autocomplete="current-password" required bind:value=current/>
                </label>
                <label>
                    "New password"
                    <input type="password" name="new_password" autocomplete="new-password" required bind:value=new_password/>
                    <span class="hint">{move || new_password.with(|p| password_hint(p))}</span>
                </label>
                <label>
                    "New password again"
                    <input type="password" name="confirm_password" autocomplete="new-password" required bind:value=confirmation/>
                </label>
                {move || error_note(message())}
                {move || {
                    changed()
                        .then(|| {
                            view! {
                                <p class="ok" role="status">
                                    "Password changed. Your other sessions have been logged out."
                                </p>
                            }
                        })
                }}
                <button type="submit" disabled=move || change.pending().get()>
                    {move || if change.pending().get() { "Changing…" } else { "Change password" }}
                </button>
            </form>
        </section>
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_new_password_is_checked_and_confirmed() {
        assert_eq!(
            password_change_problem("old secret", "a new long secret", "a new long secret"),
            None
        );
        assert_eq!(
            password_change_problem("", "a new long secret", "a new long secret").as_deref(),
            Some("Enter your current password.")
        );
        assert_eq!(
            password_change_problem("old secret", "short", "short").as_deref(),
            Some("The password needs at least 12 characters.")
        );
        assert_eq!(
            password_change_problem("old secret", "a new long secret", "a new long secreT")
                .as_deref(),
            Some("The new passwords do not match.")
        );
    }
}
