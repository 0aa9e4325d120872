use ::api::{AcceptInvitationRequest, ErrorCode, InvitationPreview};
use leptos::prelude::*;
use leptos_router::hooks::{use_navigate, use_params_map};

use crate::api::Client;
use crate::components::form::{FormProblem, first_at};
use crate::components::guard::load_failed;
use crate::i18n::{Text, t, tf};
use crate::state::Session;
use crate::text::{format_date, password_problem, required_problem, role_label, role_summary};

/// The join form's fields.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Field {
    Name,
    Password,
}

/// The form's own check: its first problem, with its field.
pub fn first_field_problem(request: &AcceptInvitationRequest) -> Option<(Field, String)> {
    first_at([
        (
            Field::Name,
            required_problem(&request.name, Text::FormNameMissing),
        ),
        (Field::Password, password_problem(&request.password)),
    ])
}

/// The field a refusal concerns: the name is the one field the server checks as a plain field.
pub fn field_of(code: ErrorCode) -> Option<Field> {
    match code {
        ErrorCode::WeakPassword => Some(Field::Password),
        ErrorCode::InvalidField => Some(Field::Name),
        _ => None,
    }
}

#[component]
pub fn AcceptInvitation() -> impl IntoView {
    let params = use_params_map();
    let token = move || params.with(|p| p.get("token").unwrap_or_default());
    let client = Client::get();
    let preview = LocalResource::new(move || {
        let token = token();
        async move { client.invitation(&token).await }
    });
    view! {
        <section class="card narrow">
            <h1>{t(Text::InviteTitle)}</h1>
            <Transition fallback=|| view! { <p class="muted">{t(Text::InviteOpening)}</p> }>
                <ErrorBoundary fallback=load_failed>
                    {move || {
                        preview
                            .get()
                            .map(|answer| {
                                answer.map(|preview| view! { <JoinForm token=token() preview/> })
                            })
                    }}
                </ErrorBoundary>
            </Transition>
        </section>
    }
}

#[component]
fn JoinForm(token: String, preview: InvitationPreview) -> impl IntoView {
    let session = Session::get();
    let client = Client::get();
    let navigate = use_navigate();
    let name = RwSignal::new(String::new());
    let password = RwSignal::new(String::new());
    let problem = FormProblem::new(field_of);
    let join = Action::new_local(move |request: &AcceptInvitationRequest| {
        let request = request.clone();
        let token = token.clone();
        let navigate = navigate.clone();
        async move {
            let answer = problem.answered(client.accept_invitation(&token, &request).await);
            if let Ok(me) = &answer {
                session.logged_in_as(me.clone());
                navigate("/", Default::default());
            }
            answer.map(|_| ())
        }
    });
    let on_submit = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        let request = AcceptInvitationRequest {
            name: name.get_untracked().trim().to_string(),
            password: password.get_untracked(),
        };
        if problem.check(first_field_problem(&request)) {
            join.dispatch_local(request);
        }
    };
    let invited_email = preview.email.clone();
    let logged_in_as = move || session.me().map(|me| me.user.email);

    view! {
        <dl class="facts" data-testid="invitation">
            <dt>{t(Text::FormFieldOrganization)}</dt>
            <dd data-testid="invitation-organization">{preview.organization_name.clone()}</dd>
            <dt>{t(Text::FormFieldEmail)}</dt>
            <dd data-testid="invitation-email">{preview.email.clone()}</dd>
            <dt>{t(Text::FormFieldRole)}</dt>
            <dd data-testid="invitation-role">
                {role_label(preview.role)} <span class="muted">" · " {role_summary(preview.role)}</span>
            </dd>
            <dt>{t(Text::InviteInvitedBy)}</dt>
            <dd>{preview.invited_by.clone()}</dd>
            <dt>{t(Text::InviteValidUntil)}</dt>
            <dd>{format_date(preview.expires_at)}</dd>
        </dl>
        {move || {
            logged_in_as()
                .map(|email| {
                    view! {
                        <p class="notice">
                            {tf(
                                Text::InviteLoggedInAs,
                                &[("email", &email), ("invited", &invited_email)],
                            )}
                        </p>
                    }
                })
        }}
        <form class="form" on:submit=on_submit novalidate>
            <label>
                {t(Text::FormFieldYourName)}
                <input type="text" name="name" autocomplete="name" required bind:value=name/>
                {problem.note(Some(Field::Name))}
            </label>
            <label>
                {t(Text::InviteChoosePassword)}
                <input type="password" name="password" autocomplete="new-password" required bind:value=password/>
                {problem.password_hint(Field::Password, password)}
                {problem.note(Some(Field::Password))}
            </label>
            {problem.note(None)}
            <button type="submit" disabled=move || join.pending().get()>
                {move || t(if join.pending().get() { Text::InviteJoining } else { Text::InviteJoin })}
            </button>
        </form>
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_problem_belongs_to_its_field() {
        let request = |name: &str, password: &str| AcceptInvitationRequest {
            name: name.into(),
            password: password.into(),
        };
        assert_eq!(
            first_field_problem(&request("Grace", "a long enough secret")),
            None
        );
        assert_eq!(
            first_field_problem(&request(" ", "short")).map(|p| p.0),
            Some(Field::Name)
        );
        assert_eq!(
            first_field_problem(&request("Grace", "short")).map(|p| p.0),
            Some(Field::Password)
        );
        assert_eq!(field_of(ErrorCode::WeakPassword), Some(Field::Password));
        assert_eq!(field_of(ErrorCode::PlanLimit), None);
        assert_eq!(field_of(ErrorCode::InvitationNotFound), None);
    }
}
