//! A forgotten password: asking for a link by e-mail (`/forgot-password`), and choosing a new
//! password with it (`/reset-password/:token`), which logs in.

use ::api::{CompletePasswordResetRequest, ErrorCode, PasswordResetPreview, PasswordResetRequest};
use leptos::prelude::*;
use leptos::task::spawn_local;
use leptos_router::hooks::{use_navigate, use_params_map};

use crate::api::{Answer, ApiFailure, Client};
use crate::components::form::FormProblem;
use crate::components::guard::error_note;
use crate::i18n::{Text, t, tf};
use crate::state::Session;
use crate::text::{email_problem, password_problem};

/// The one field of each form.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Field {
    Email,
    Password,
}

/// The field a refusal of the request for a link concerns (the address, or asking too often
/// from it); "no e-mail here" concerns the form.
pub fn ask_field_of(code: ErrorCode) -> Option<Field> {
    match code {
        ErrorCode::InvalidEmail | ErrorCode::InvalidField | ErrorCode::TooManyRequests => {
            Some(Field::Email)
        }
        _ => None,
    }
}

/// The field a refusal of the new password concerns.
pub fn reset_field_of(code: ErrorCode) -> Option<Field> {
    match code {
        ErrorCode::WeakPassword | ErrorCode::InvalidField => Some(Field::Password),
        _ => None,
    }
}

/// The console's own words for a Stagepad that sends no e-mail: whom to ask.
pub fn in_words(mut failure: ApiFailure) -> ApiFailure {
    if failure.code == Some(ErrorCode::MailNotConfigured) {
        failure.message = t(Text::ResetAskNoMail).into();
    }
    failure
}

#[component]
pub fn ForgotPassword() -> impl IntoView {
    let client = Client::get();
    let email = RwSignal::new(String::new());
    let problem = FormProblem::new(ask_field_of);
    let pending = RwSignal::new(false);
    // The address a link was asked for, once the server took the request.
    let sent = RwSignal::new(None::<String>);
    let on_submit = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        let request = PasswordResetRequest {
            email: email.get_untracked().trim().to_string(),
        };
        let first = email_problem(&request.email).map(|message| (Field::Email, message));
        if !problem.check(first) {
            return;
        }
        pending.set(true);
        sent.set(None);
        spawn_local(async move {
            let answer = client.ask_password_reset(&request).await.map_err(in_words);
            pending.set(false);
            if problem.answered(answer).is_ok() {
                sent.set(Some(request.email));
            }
        });
    };

    view! {
        <section class="card narrow">
            <h1>{t(Text::ResetAskTitle)}</h1>
            <p class="muted">{t(Text::ResetAskIntro)}</p>
            <form class="form" on:submit=on_submit novalidate>
                <label>
                    {t(Text::FormFieldEmail)}
                    <input type="email" name="email" autocomplete="username" required bind:value=email/>
                    {problem.note(Some(Field::Email))}
                </label>
                {problem.note(None)}
                <button type="submit" disabled=move || pending.get()>
                    {move || t(if pending.get() { Text::MailSending } else { Text::ResetAskSend })}
                </button>
            </form>
            // Said the same whether or not the address has an account.
            {move || {
                sent.get()
                    .map(|email| {
                        view! {
                            <p class="notice ok" role="status" data-testid="reset-asked">
                                {tf(Text::ResetAskSent, &[("email", &email)])}
                            </p>
                        }
                    })
            }}
        </section>
    }
}

#[component]
pub fn ResetPassword() -> impl IntoView {
    let token = use_params_map().with_untracked(|p| p.get("token").unwrap_or_default());
    let client = Client::get();
    let preview = RwSignal::new(None::<Answer<PasswordResetPreview>>);
    // Also when the link stops working while the form is open (used in another tab): the page
    // then says so as when it opened.
    let to_load = token.clone();
    let load = Callback::new(move |()| {
        let token = to_load.clone();
        spawn_local(async move { preview.set(Some(client.password_reset(&token).await)) });
    });
    load.run(());
    view! {
        <section class="card narrow">
            <h1>{t(Text::ResetTitle)}</h1>
            {move || match preview.get() {
                None => view! { <p class="muted">{t(Text::ResetOpening)}</p> }.into_any(),
                Some(Ok(preview)) => new_password_form(token.clone(), preview, load).into_any(),
                Some(Err(failure)) => link_failed(failure).into_any(),
            }}
        </section>
    }
}

/// A link that does not open: used, replaced or expired (ask again), or another failure.
fn link_failed(failure: ApiFailure) -> impl IntoView {
    if failure.code != Some(ErrorCode::ResetLinkNotFound) {
        return error_note(Some(failure.message)).into_any();
    }
    view! {
        <p class="notice" data-testid="reset-gone">
            {t(Text::ResetGone)} " " <a href="/forgot-password">{t(Text::ResetAskAgain)}</a>
        </p>
    }
    .into_any()
}

/// The new password for the account `preview` names; `gone` opens the link again when it
/// stopped working meanwhile.
fn new_password_form(
    token: String,
    preview: PasswordResetPreview,
    gone: Callback<()>,
) -> impl IntoView {
    let session = Session::get();
    let client = Client::get();
    let navigate = use_navigate();
    let password = RwSignal::new(String::new());
    let problem = FormProblem::new(reset_field_of);
    let pending = RwSignal::new(false);
    let on_submit = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        let request = CompletePasswordResetRequest {
            password: password.get_untracked(),
        };
        let first = password_problem(&request.password).map(|message| (Field::Password, message));
        if !problem.check(first) {
            return;
        }
        pending.set(true);
        let token = token.clone();
        let navigate = navigate.clone();
        spawn_local(async move {
            let answer = client.reset_password(&token, &request).await;
            pending.set(false);
            match problem.answered(answer) {
                Ok(me) => {
                    session.logged_in_as(me);
                    navigate("/", Default::default());
                }
                Err(failure) if failure.code == Some(ErrorCode::ResetLinkNotFound) => gone.run(()),
                Err(_) => {}
            }
        });
    };

    view! {
        <form class="form" on:submit=on_submit novalidate>
            <p class="muted" data-testid="reset-email">
                {tf(Text::ResetNote, &[("email", &preview.email)])}
            </p>
            <label>
                {t(Text::AccountPasswordNew)}
                <input type="password" name="password" autocomplete="new-password" required bind:value=password/>
                {problem.password_hint(Field::Password, password)}
                {problem.note(Some(Field::Password))}
            </label>
            {problem.note(None)}
            <button type="submit" disabled=move || pending.get()>
                {move || t(if pending.get() { Text::FormSaving } else { Text::ResetSave })}
            </button>
        </form>
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn refusals_go_to_their_field() {
        assert_eq!(ask_field_of(ErrorCode::InvalidEmail), Some(Field::Email));
        assert_eq!(ask_field_of(ErrorCode::TooManyRequests), Some(Field::Email));
        assert_eq!(ask_field_of(ErrorCode::MailNotConfigured), None);
        assert_eq!(
            reset_field_of(ErrorCode::WeakPassword),
            Some(Field::Password)
        );
        assert_eq!(reset_field_of(ErrorCode::ResetLinkNotFound), None);
    }

    #[test]
    fn no_mail_says_whom_to_ask() {
        let no_mail = ApiFailure {
            status: 503,
            code: Some(ErrorCode::MailNotConfigured),
            message: "E-mail is not configured.".into(),
        };
        assert!(
            in_words(no_mail)
                .message
                .contains("Ask an admin of your organization")
        );
        let busy = ApiFailure {
            status: 429,
            code: Some(ErrorCode::TooManyRequests),
            message: "Wait.".into(),
        };
        assert_eq!(in_words(busy).message, "Wait.");
    }
}
