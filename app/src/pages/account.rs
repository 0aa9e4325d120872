use ::api::{ChangeEmailRequest, ChangeNameRequest, ChangePasswordRequest, ErrorCode};
use leptos::prelude::*;

use crate::api::Client;
use crate::components::form::{FormProblem, first_at};
use crate::i18n::{Text, t, tf};
use crate::state::Session;
use crate::text::{email_problem, password_problem, required_problem, role_label};

/// The name form's one field.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum NameField {
    Name,
}

fn name_field_of(code: ErrorCode) -> Option<NameField> {
    (code == ErrorCode::InvalidField).then_some(NameField::Name)
}

/// The e-mail form's fields.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum EmailField {
    Email,
    Password,
}

/// The e-mail form's own check: an address, not the one in use, and the password.
pub fn email_change_problem(
    new_email: &str,
    current_email: &str,
    password: &str,
) -> Option<(EmailField, String)> {
    let same = new_email.trim().eq_ignore_ascii_case(current_email);
    first_at([
        (
            EmailField::Email,
            email_problem(new_email).or_else(|| same.then(|| t(Text::AccountEmailSame).into())),
        ),
        (
            EmailField::Password,
            required_problem(password, Text::FormCurrentPasswordMissing),
        ),
    ])
}

pub fn email_field_of(code: ErrorCode) -> Option<EmailField> {
    match code {
        ErrorCode::InvalidEmail | ErrorCode::EmailTaken => Some(EmailField::Email),
        ErrorCode::WrongPassword => Some(EmailField::Password),
        _ => None,
    }
}

/// The password form's fields.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PasswordField {
    Current,
    New,
    Confirmation,
}

/// The password form's own check: the new password is acceptable and typed the same twice.
pub fn password_change_problem(
    current: &str,
    new_password: &str,
    confirmation: &str,
) -> Option<(PasswordField, String)> {
    first_at([
        (
            PasswordField::Current,
            required_problem(current, Text::FormCurrentPasswordMissing),
        ),
        (PasswordField::New, password_problem(new_password)),
        (
            PasswordField::Confirmation,
            (new_password != confirmation).then(|| t(Text::AccountPasswordDiffer).into()),
        ),
    ])
}

pub fn password_field_of(code: ErrorCode) -> Option<PasswordField> {
    match code {
        ErrorCode::WrongPassword => Some(PasswordField::Current),
        ErrorCode::WeakPassword => Some(PasswordField::New),
        _ => None,
    }
}

#[component]
pub fn Account() -> impl IntoView {
    let session = Session::get();
    view! {
        <section class="card">
            <h1>{t(Text::AccountTitle)}</h1>
            {move || {
                session
                    .me()
                    .map(|me| {
                        view! {
                            <dl class="facts" data-testid="account-facts">
                                <dt>{t(Text::FormFieldName)}</dt>
                                <dd>{me.user.name}</dd>
                                <dt>{t(Text::FormFieldEmail)}</dt>
                                <dd>{me.user.email}</dd>
                                <dt>{t(Text::FormFieldOrganization)}</dt>
                                <dd>{me.organization.name}</dd>
                                <dt>{t(Text::FormFieldRole)}</dt>
                                <dd>{role_label(me.role)}</dd>
                            </dl>
                        }
                    })
            }}
        </section>
        <NameForm/>
        <EmailForm/>
        <PasswordForm/>
    }
}

#[component]
fn NameForm() -> impl IntoView {
    let session = Session::get();
    let client = Client::get();
    let current = Memo::new(move |_| session.me().map(|me| me.user.name).unwrap_or_default());
    let name = RwSignal::new(current.get_untracked());
    let problem = FormProblem::new(name_field_of);
    let save = Action::new_local(move |request: &ChangeNameRequest| {
        let request = request.clone();
        async move {
            let answer = problem.answered(client.change_name(&request).await);
            if let Ok(me) = &answer {
                name.set(me.user.name.clone());
                session.logged_in_as(me.clone());
            }
            answer.map(|_| ())
        }
    });
    let on_submit = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        let request = ChangeNameRequest {
            name: name.get_untracked().trim().to_string(),
        };
        let own =
            required_problem(&request.name, Text::FormNameMissing).map(|m| (NameField::Name, m));
        if problem.check(own) {
            save.dispatch_local(request);
        }
    };
    let unchanged = move || name.with(|n| n.trim() == current.get());
    // "Saved" until the next edit.
    let saved =
        move || matches!(save.value().get(), Some(Ok(()))) && !save.pending().get() && unchanged();

    view! {
        <section class="card">
            <h2>{t(Text::FormFieldYourName)}</h2>
            <form class="form" data-testid="name-form" on:submit=on_submit novalidate>
                <label>
                    {t(Text::FormFieldName)}
                    <input type="text" name="name" autocomplete="name" required bind:value=name/>
                    <span class="hint">{t(Text::AccountNameHint)}</span>
                    {problem.note(Some(NameField::Name))}
                </label>
                {problem.note(None)}
                {move || saved().then(|| view! {
                    <p class="ok" role="status" data-testid="name-saved">
                        {tf(Text::AccountNameSaved, &[("name", &current.get())])}
                    </p>
                })}
                <button type="submit" disabled=move || save.pending().get() || unchanged()>
                    {move || {
                        t(if save.pending().get() { Text::FormSaving } else { Text::AccountNameSave })
                    }}
                </button>
            </form>
        </section>
    }
}

#[component]
fn EmailForm() -> impl IntoView {
    let session = Session::get();
    let client = Client::get();
    let current = Memo::new(move |_| session.me().map(|me| me.user.email).unwrap_or_default());
    let email = RwSignal::new(current.get_untracked());
    let password = RwSignal::new(String::new());
    let problem = FormProblem::new(email_field_of);
    let change = Action::new_local(move |request: &ChangeEmailRequest| {
        let request = request.clone();
        async move {
            let answer = problem.answered(client.change_email(&request).await);
            if let Ok(me) = &answer {
                email.set(me.user.email.clone());
                password.set(String::new());
                session.logged_in_as(me.clone());
            }
            answer.map(|_| ())
        }
    });
    let on_submit = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        let request = ChangeEmailRequest {
            new_email: email.get_untracked().trim().to_string(),
            current_password: password.get_untracked(),
        };
        let own = email_change_problem(
            &request.new_email,
            &current.get_untracked(),
            &request.current_password,
        );
        if problem.check(own) {
            change.dispatch_local(request);
        }
    };
    let saved = move || {
        matches!(change.value().get(), Some(Ok(())))
            && !change.pending().get()
            && email.with(|e| e.trim().eq_ignore_ascii_case(&current.get()))
    };

    view! {
        <section class="card">
            <h2>{t(Text::AccountEmailTitle)}</h2>
            <form class="form" data-testid="email-form" on:submit=on_submit novalidate>
                <label>
                    {t(Text::FormFieldEmail)}
                    <input type="email" name="email" autocomplete="email" required bind:value=email/>
                    <span class="hint">{t(Text::AccountEmailHint)}</span>
                    {problem.note(Some(EmailField::Email))}
                </label>
                <label>
                    {t(Text::FormFieldCurrentPassword)}
                    <input type="password" name="password" autocomplete="current-password" required bind:value=password/>
                    {problem.note(Some(EmailField::Password))}
                </label>
                {problem.note(None)}
                {move || saved().then(|| view! {
                    <p class="ok" role="status" data-testid="email-saved">
                        {tf(Text::AccountEmailSaved, &[("email", &current.get())])}
                    </p>
                })}
                <button type="submit" disabled=move || change.pending().get()>
                    {move || {
                        t(if change.pending().get() { Text::AccountChanging } else { Text::AccountEmailChange })
                    }}
                </button>
            </form>
        </section>
    }
}

#[component]
fn PasswordForm() -> impl IntoView {
    let client = Client::get();
    let current = RwSignal::new(String::new());
    let new_password = RwSignal::new(String::new());
    let confirmation = RwSignal::new(String::new());
    let problem = FormProblem::new(password_field_of);
    let change = Action::new_local(move |request: &ChangePasswordRequest| {
        let request = request.clone();
        async move {
            let answer = problem.answered(client.change_password(&request).await);
            if answer.is_ok() {
                current.set(String::new());
                new_password.set(String::new());
                confirmation.set(String::new());
            }
            answer
        }
    });
    let on_submit = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        let request = ChangePasswordRequest {
            current_password: current.get_untracked(),
            new_password: new_password.get_untracked(),
        };
        let own = password_change_problem(
            &request.current_password,
            &request.new_password,
            &confirmation.get_untracked(),
        );
        if problem.check(own) {
            change.dispatch_local(request);
        }
    };
    let changed = move || problem.is_empty() && matches!(change.value().get(), Some(Ok(())));

    view! {
        <section class="card">
            <h2>{t(Text::AccountPasswordTitle)}</h2>
            <form class="form" data-testid="password-form" on:submit=on_submit novalidate>
                <label>
                    {t(Text::FormFieldCurrentPassword)}
                    <input type="password" name="current_password" autocomplete="current-password" required bind:value=current/>
                    {problem.note(Some(PasswordField::Current))}
                </label>
                <label>
                    {t(Text::AccountPasswordNew)}
                    <input type="password" name="new_password" autocomplete="new-password" required bind:value=new_password/>
                    {problem.password_hint(PasswordField::New, new_password)}
                    {problem.note(Some(PasswordField::New))}
                </label>
                <label>
                    {t(Text::AccountPasswordAgain)}
                    <input type="password" name="confirm_password" autocomplete="new-password" required bind:value=confirmation/>
                    {problem.note(Some(PasswordField::Confirmation))}
                </label>
                {problem.note(None)}
                {move || {
                    changed()
                        .then(|| {
                            view! {
                                <p class="ok" role="status">
                                    {t(Text::AccountPasswordChanged)}
                                </p>
                            }
                        })
                }}
                <button type="submit" disabled=move || change.pending().get()>
                    {move || {
                        t(if change.pending().get() { Text::AccountChanging } else { Text::AccountPasswordChange })
                    }}
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
            password_change_problem("", "a new long secret", "a new long secret"),
            Some((
                PasswordField::Current,
                "Enter your current password.".into()
            ))
        );
        assert_eq!(
            password_change_problem("old secret", "short", "short"),
            Some((
                PasswordField::New,
                "The password needs at least 12 characters.".into()
            ))
        );
        assert_eq!(
            password_change_problem("old secret", "a new long secret", "a new long secreT"),
            Some((
                PasswordField::Confirmation,
                "The new passwords do not match.".into()
            ))
        );
        assert_eq!(
            password_field_of(ErrorCode::WrongPassword),
            Some(PasswordField::Current)
        );
        assert_eq!(
            password_field_of(ErrorCode::WeakPassword),
            Some(PasswordField::New)
        );
        assert_eq!(password_field_of(ErrorCode::TooManyRequests), None);
    }

    #[test]
    fn a_new_email_is_an_address_other_than_this_one_with_the_password() {
        let current = "ada@example.com";
        assert_eq!(
            email_change_problem("ada.king@example.com", current, "secret"),
            None
        );
        assert_eq!(
            email_change_problem("ada", current, "secret").map(|p| p.0),
            Some(EmailField::Email)
        );
        assert_eq!(
            email_change_problem(" ADA@example.com ", current, "secret"),
            Some((EmailField::Email, "This is your email already.".into()))
        );
        assert_eq!(
            email_change_problem("ada.king@example.com", current, "").map(|p| p.0),
            Some(EmailField::Password)
        );
        assert_eq!(
            email_field_of(ErrorCode::EmailTaken),
            Some(EmailField::Email)
        );
        assert_eq!(
            email_field_of(ErrorCode::WrongPassword),
            Some(EmailField::Password)
        );
        assert_eq!(email_field_of(ErrorCode::TooManyRequests), None);
        assert_eq!(
            name_field_of(ErrorCode::InvalidField),
            Some(NameField::Name)
        );
    }

    #[test]
    fn the_checks_speak_the_reader_s_language() {
        crate::i18n::set_locale(::api::i18n::Locale::Fr);
        assert_eq!(
            password_change_problem("", "a new long secret", "a new long secret"),
            Some((
                PasswordField::Current,
                "Saisissez votre mot de passe actuel.".into()
            ))
        );
        assert_eq!(
            email_change_problem("ada@example.com", "ada@example.com", "secret"),
            Some((EmailField::Email, "C'est déjà votre e-mail.".into()))
        );
        crate::i18n::set_locale(::api::i18n::Locale::En);
    }
}
