//! The Lever setup: four steps, then Lever's Verify. Everything shown comes from the server's
//! `GET /api/lever/setup`; each step's Update answers with the new state, which replaces it.

mod feedback;
mod step_credentials;
mod step_stages;
mod step_token;
mod step_webhook;

use ::api::{
    ConnectionState, DeliveryReason, ErrorCode, LeverEnvironment, LeverSetup, RefusedRequest,
};
use leptos::prelude::*;

use crate::api::{ApiFailure, Client};
use crate::components::guard::{AdminOnly, error_note, failure_message};
use crate::i18n::{Text, t, tf};
use crate::state::Session;
use crate::text::format_time;

/// While waiting for Lever's Verify, the page asks the server this often.
const POLL_MILLIS: u64 = 2_000;

/// The setup as last answered by the server, shared by the steps.
#[derive(Clone, Copy)]
pub struct SetupState(RwSignal<Option<LeverSetup>>);

impl SetupState {
    pub fn get(self) -> Option<LeverSetup> {
        self.0.get()
    }

    /// The saved key (its last four characters; `None` before step 1), as a memo: what is read
    /// from Lever with the key is asked again when another key is saved.
    pub fn saved_key(self) -> Memo<Option<Option<String>>> {
        Memo::new(move |_| {
            self.get()
                .and_then(|s| s.credentials.done.then_some(s.credentials.api_key_last4))
        })
    }

    /// Takes a step's answer: on success the server's new state replaces the old one.
    pub fn accept(self, answer: Result<LeverSetup, ApiFailure>) -> Result<(), ApiFailure> {
        answer.map(|setup| self.0.set(Some(setup)))
    }
}

/// How a connection state reads, and the class that colours it.
pub fn connection_text(connection: &ConnectionState) -> (&'static str, String) {
    match connection {
        ConnectionState::NotConnected => ("muted", t(Text::LeverConnectionNotConnected).into()),
        ConnectionState::WaitingForVerify => ("warn", t(Text::LeverConnectionWaiting).into()),
        ConnectionState::Verified { at } => (
            "ok",
            tf(
                Text::LeverConnectionVerified,
                &[("time", &format_time(*at))],
            ),
        ),
        ConnectionState::SignatureMismatch { at } => (
            "error",
            tf(
                Text::LeverConnectionSignatureMismatch,
                &[("time", &format_time(*at))],
            ),
        ),
    }
}

/// Whether the page should keep asking the server: Lever's Verify has not arrived, and the
/// admin may press it any time from step 3 on (before step 4 too, which the page then shows).
pub fn waiting_for_lever(setup: &LeverSetup) -> bool {
    let url_given = setup.credentials.done && setup.stages.done;
    url_given && !matches!(setup.connection, ConnectionState::Verified { .. })
}

/// What to do about a request Stagepad refused, in the admin's words (`token_saved`: step 4
/// is done).
pub fn refusal_advice(refused: &RefusedRequest, token_saved: bool) -> String {
    let advice = match refused.reason {
        DeliveryReason::BadSignature | DeliveryReason::NoSignature if !token_saved => {
            Text::LeverRefusalNoTokenYet
        }
        DeliveryReason::NoSignature => Text::LeverRefusalNoSignature,
        DeliveryReason::BadSignature => Text::LeverRefusalBadSignature,
        DeliveryReason::TriggeredInFuture => Text::LeverRefusalInFuture,
        DeliveryReason::TooOld => Text::LeverRefusalTooOld,
        _ => Text::LeverRefusalOther,
    };
    tf(advice, &[("time", &format_time(refused.at))])
}

/// The first step not done yet (1 to 4), or none.
pub fn next_step(setup: &LeverSetup) -> Option<u8> {
    [
        setup.credentials.done,
        setup.stages.done,
        setup.webhook.done,
        setup.token.done,
    ]
    .iter()
    .position(|done| !done)
    .map(|i| i as u8 + 1)
}

/// What is wrong with the options before they are sent.
pub fn tag_problem(tag: &str) -> Option<String> {
    let chars = tag.trim().chars().count();
    (chars == 0 || chars > 50).then(|| t(Text::LeverOptionsTagProblem).to_string())
}

/// What is wrong with a custom base URL before it is sent.
pub fn base_url_problem(url: &str) -> Option<String> {
    let url = url.trim();
    let valid = (url.starts_with("http://") || url.starts_with("https://"))
        && !url.contains(char::is_whitespace);
    (!valid).then(|| t(Text::LeverCredentialsBaseUrlProblem).to_string())
}

/// What is wrong with a pasted signature token before it is sent.
pub fn token_problem(token: &str) -> Option<String> {
    let token = token.trim();
    if token.is_empty() {
        Some(t(Text::LeverTokenMissing).into())
    } else if token.contains(char::is_whitespace) {
        Some(t(Text::LeverTokenHasSpaces).into())
    } else {
        None
    }
}

pub fn environment_value(environment: LeverEnvironment) -> &'static str {
    match environment {
        LeverEnvironment::Production => "production",
        LeverEnvironment::Sandbox => "sandbox",
        LeverEnvironment::Eu => "eu",
        LeverEnvironment::Custom => "custom",
    }
}

/// An environment's name, as the environment picker and the saved key show it.
pub fn environment_label(environment: LeverEnvironment) -> &'static str {
    t(match environment {
        LeverEnvironment::Production => Text::LeverEnvironmentProduction,
        LeverEnvironment::Sandbox => Text::LeverEnvironmentSandbox,
        LeverEnvironment::Eu => Text::LeverEnvironmentEu,
        LeverEnvironment::Custom => Text::LeverEnvironmentCustom,
    })
}

/// A step's heading, `Step 2 · Select Lever stages with pad creation`.
pub fn step_heading(number: u8, name: Text) -> String {
    tf(
        Text::LeverStepHeading,
        &[("number", &number.to_string()), ("name", t(name))],
    )
}

pub fn environment_from_value(value: &str) -> LeverEnvironment {
    match value {
        "sandbox" => LeverEnvironment::Sandbox,
        "eu" => LeverEnvironment::Eu,
        "custom" => LeverEnvironment::Custom,
        _ => LeverEnvironment::Production,
    }
}

#[component]
pub fn LeverSetupPage() -> impl IntoView {
    view! {
        <AdminOnly title=t(Text::NavLever) sentence=Text::GuardAdminOnlyLever>
            <LeverSetupAdmin/>
        </AdminOnly>
    }
}

#[component]
fn LeverSetupAdmin() -> impl IntoView {
    let client = Client::get();
    let setup = SetupState(RwSignal::new(None));
    provide_context(setup);
    let failure = RwSignal::new(None::<ApiFailure>);
    let load = move || async move {
        match client.lever_setup().await {
            Ok(answer) => {
                failure.set(None);
                // Polling answers are mostly the same: leave the page alone then.
                if setup
                    .0
                    .with_untracked(|known| known.as_ref() != Some(&answer))
                {
                    setup.0.set(Some(answer));
                }
            }
            Err(error) => failure.set(Some(error)),
        }
    };
    let loaded = Memo::new(move |_| setup.0.with(Option::is_some));
    leptos::task::spawn_local(load());
    // Lever's Verify arrives at the server, not here: ask again until it has.
    let poll = set_interval_with_handle(
        move || {
            if setup
                .0
                .with_untracked(|s| s.as_ref().is_some_and(waiting_for_lever))
            {
                leptos::task::spawn_local(load());
            }
        },
        std::time::Duration::from_millis(POLL_MILLIS),
    );
    on_cleanup(move || {
        if let Ok(handle) = poll {
            handle.clear();
        }
    });

    let (before_deliveries, after_deliveries) =
        crate::i18n::around(Text::LeverSetupDeliveriesLink, "link");
    let (before_pads, after_pads) = crate::i18n::around(Text::LeverSetupPadsLink, "link");
    view! {
        <section class="card">
            <h1>{t(Text::LeverSetupTitle)}</h1>
            <p class="lead">{t(Text::LeverSetupLead)}</p>
            {move || {
                failure
                    .get()
                    .map(|f| {
                        let upgrade = matches!(f.code, Some(ErrorCode::EnterpriseRequired));
                        view! {
                            <p class="error" role="alert" data-testid="setup-error">{f.message}</p>
                            {upgrade.then(|| view! { <p><a href="/settings">{t(Text::LeverSetupChangePlan)}</a></p> })}
                        }
                    })
            }}
            {move || setup.get().map(|s| view! { <Overview setup=s/> })}
            <p>
                {before_deliveries}
                <a href="/integrations/lever/deliveries">{t(Text::NavDeliveries)}</a>
                {after_deliveries}
                " "
                {before_pads}
                <a href="/pads">{t(Text::NavPads)}</a>
                {after_pads}
            </p>
        </section>
        // The steps are built once; after that they follow the setup signal piece by piece, so
        // polling and saving neither refetch their lists nor clear what is being typed.
        {move || {
            loaded
                .get()
                .then(|| {
                    view! {
                        <step_credentials::StepCredentials/>
                        <step_stages::StepStages/>
                        <step_webhook::StepWebhook/>
                        <step_token::StepToken/>
                        <Options/>
                        <feedback::FeedbackTemplate/>
                        <Disconnect/>
                    }
                })
        }}
    }
}

#[component]
fn Overview(setup: LeverSetup) -> impl IntoView {
    let (class, text) = connection_text(&setup.connection);
    let next =
        next_step(&setup).map(|n| tf(Text::LeverOverviewNextStep, &[("number", &n.to_string())]));
    let refusal = setup
        .last_refused
        .as_ref()
        .map(|refused| refusal_advice(refused, setup.token.done));
    let has_refusal = refusal.is_some();
    let steps = [
        (Text::LeverStepOne, setup.credentials.done),
        (Text::LeverStepTwo, setup.stages.done),
        (Text::LeverStepThree, setup.webhook.done),
        (Text::LeverStepFour, setup.token.done),
    ];
    view! {
        <ul class="step-list" data-testid="step-overview">
            {steps
                .into_iter()
                .enumerate()
                .map(|(index, (name, done))| {
                    let name = tf(
                        Text::LeverOverviewStep,
                        &[("number", &(index + 1).to_string()), ("name", t(name))],
                    );
                    let badge = t(if done {
                        Text::LeverOverviewDone
                    } else {
                        Text::LeverOverviewToDo
                    });
                    view! {
                        <li class:ok=done>
                            {if done { "✓ " } else { "○ " }}
                            {name}
                            <span class="badge">{badge}</span>
                        </li>
                    }
                })
                .collect_view()}
        </ul>
        {next.map(|next| view! { <p data-testid="next-step">{next}</p> })}
        <p class=class data-testid="connection-status">{text}</p>
        {refusal.map(|advice| view! { <p class="notice" role="alert" data-testid="last-refusal">{advice}</p> })}
        <p class="muted" data-testid="last-delivery">
            {match (setup.last_delivery_at, has_refusal) {
                (Some(at), _) => {
                    tf(Text::LeverOverviewLastRequest, &[("time", &format_time(at))])
                }
                (None, true) => t(Text::LeverOverviewNoneAccepted).to_string(),
                (None, false) => t(Text::LeverOverviewNone).to_string(),
            }}
        </p>
    }
}

#[component]
fn Options() -> impl IntoView {
    let setup = expect_context::<SetupState>();
    let client = Client::get();
    let tag = RwSignal::new(String::new());
    let notes = RwSignal::new(true);
    let results = RwSignal::new(true);
    let mail_link = RwSignal::new(false);
    let mailing = Memo::new(move |_| Session::get().me().is_some_and(|me| me.mail_configured));
    // The page may open before step 1: the options turn usable, and show the server's values,
    // once the key is saved (the steps are built once, see above).
    let enabled = Memo::new(move |_| setup.get().is_some_and(|s| s.credentials.done));
    Effect::new(move |was_enabled: Option<bool>| {
        let now = enabled.get();
        if now
            && was_enabled != Some(true)
            && let Some(current) = untrack(|| setup.get())
        {
            tag.set(current.tag.clone());
            notes.set(current.notes_enabled);
            results.set(current.results_notes_enabled);
            mail_link.set(current.email_candidate_link);
        }
        now
    });
    let save = Action::new_local(move |request: &::api::LeverOptionsRequest| {
        let request = request.clone();
        async move { setup.accept(client.save_lever_options(&request).await) }
    });
    let problem = RwSignal::new(None::<String>);
    let on_submit = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        problem.set(tag_problem(&tag.get_untracked()));
        if problem.get_untracked().is_none() {
            save.dispatch_local(::api::LeverOptionsRequest {
                tag: tag.get_untracked(),
                notes_enabled: notes.get_untracked(),
                results_notes_enabled: results.get_untracked(),
                email_candidate_link: mail_link.get_untracked(),
            });
        }
    };
    view! {
        <section class="card" data-testid="options">
            <h2>{t(Text::LeverOptionsTitle)}</h2>
            <form class="form" on:submit=on_submit>
                <label>
                    {t(Text::LeverOptionsTag)}
                    <input type="text" name="tag" prop:value=move || tag.get() on:input=move |ev| tag.set(event_target_value(&ev)) disabled=move || !enabled.get()/>
                </label>
                <label class="choice">
                    <input type="checkbox" name="notes_enabled" prop:checked=move || notes.get() on:change=move |ev| notes.set(event_target_checked(&ev)) disabled=move || !enabled.get()/>
                    <span>{t(Text::LeverOptionsNotes)}</span>
                </label>
                <label class="choice">
                    <input type="checkbox" name="results_notes_enabled" prop:checked=move || results.get() on:change=move |ev| results.set(event_target_checked(&ev)) disabled=move || !enabled.get()/>
                    <span>{t(Text::LeverOptionsResultsNotes)}</span>
                </label>
                <label class="choice">
                    <input type="checkbox" name="email_candidate_link" prop:checked=move || mail_link.get() on:change=move |ev| mail_link.set(event_target_checked(&ev)) disabled=move || !enabled.get() || !mailing.get()/>
                    <span>{t(Text::LeverOptionsEmailCandidateLink)}</span>
                </label>
                {move || (!mailing.get()).then(|| view! { <p class="hint">{t(Text::LeverOptionsEmailNotConfigured)}</p> })}
                {move || error_note(problem.get().or_else(|| failure_message(save.value().get())))}
                {move || {
                    (!save.pending().get() && save.value().get().is_some_and(|answer| answer.is_ok()))
                        .then(|| view! { <p class="ok" data-testid="options-saved">{t(Text::LeverOptionsSaved)}</p> })
                }}
                <button type="submit" disabled=move || !enabled.get() || save.pending().get()>
                    {move || t(if save.pending().get() { Text::FormSaving } else { Text::LeverUpdate })}
                </button>
            </form>
        </section>
    }
}

#[component]
fn Disconnect() -> impl IntoView {
    let setup = expect_context::<SetupState>();
    let client = Client::get();
    let confirming = RwSignal::new(false);
    let disconnect = Action::new_local(move |_: &()| async move {
        let answer = client.disconnect_lever().await;
        if answer.is_ok() {
            confirming.set(false);
            return setup.accept(client.lever_setup().await);
        }
        answer
    });
    let connected = move || setup.get().is_some_and(|s| s.credentials.done);
    view! {
        <section class="card" class:hidden=move || !connected()>
            <h2>{t(Text::LeverDisconnectTitle)}</h2>
            <p>{t(Text::LeverDisconnectAbout)}</p>
            {move || error_note(failure_message(disconnect.value().get()))}
            {move || {
                if confirming.get() {
                    view! {
                        <button type="button" class="danger" on:click=move |_| { disconnect.dispatch_local(()); }>
                            {t(Text::LeverDisconnectConfirm)}
                        </button>
                        <button type="button" class="secondary" on:click=move |_| confirming.set(false)>{t(Text::LeverCancel)}</button>
                    }
                        .into_any()
                } else {
                    view! {
                        <button type="button" class="danger" on:click=move |_| confirming.set(true)>{t(Text::LeverDisconnectButton)}</button>
                    }
                        .into_any()
                }
            }}
        </section>
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use ::api::{CredentialsStep, StagesStep, TokenStep, WebhookStep};
    use time::macros::datetime;

    fn setup(done: [bool; 4], connection: ConnectionState) -> LeverSetup {
        LeverSetup {
            credentials: CredentialsStep {
                done: done[0],
                environment: None,
                base_url: None,
                api_key_last4: None,
                permission_missing: None,
                confidential_access: None,
                optional_permissions_missing: vec![],
            },
            stages: StagesStep {
                done: done[1],
                selected: vec![],
            },
            webhook: WebhookStep {
                done: done[2],
                url: None,
                https_warning: None,
            },
            token: TokenStep {
                done: done[3],
                pad_owner: None,
                lever_author: None,
                lever_author_deactivated: false,
            },
            connection,
            tag: "coderpad".into(),
            notes_enabled: true,
            results_notes_enabled: true,
            email_candidate_link: false,
            last_delivery_at: None,
            feedback_template: None,
            last_refused: None,
        }
    }

    #[test]
    fn the_next_step_is_the_first_not_done() {
        assert_eq!(
            next_step(&setup([false; 4], ConnectionState::NotConnected)),
            Some(1)
        );
        assert_eq!(
            next_step(&setup(
                [true, false, true, true],
                ConnectionState::NotConnected
            )),
            Some(2)
        );
        assert_eq!(
            next_step(&setup([true; 4], ConnectionState::WaitingForVerify)),
            None
        );
    }

    #[test]
    fn polling_lasts_only_while_lever_has_not_verified() {
        assert!(!waiting_for_lever(&setup(
            [true, false, false, false],
            ConnectionState::NotConnected
        )));
        // The URL is shown from step 3 on: Verify may come before the token is saved.
        assert!(waiting_for_lever(&setup(
            [true, true, false, false],
            ConnectionState::NotConnected
        )));
        assert!(waiting_for_lever(&setup(
            [true; 4],
            ConnectionState::WaitingForVerify
        )));
        let at = datetime!(2026-11-27 10:00 UTC);
        assert!(waiting_for_lever(&setup(
            [true; 4],
            ConnectionState::SignatureMismatch { at }
        )));
        assert!(!waiting_for_lever(&setup(
            [true; 4],
            ConnectionState::Verified { at }
        )));
    }

    #[test]
    fn connection_states_read_plainly() {
        let at = datetime!(2026-11-27 10:00 UTC);
        let (class, text) = connection_text(&ConnectionState::Verified { at });
        assert_eq!(class, "ok");
        assert!(text.starts_with("Connection verified"));
        let (class, text) = connection_text(&ConnectionState::SignatureMismatch { at });
        assert_eq!(class, "error");
        assert!(text.contains("Step 4"));
        assert!(
            connection_text(&ConnectionState::WaitingForVerify)
                .1
                .starts_with("Waiting for Lever's Verify")
        );
    }

    #[test]
    fn a_refusal_says_what_to_do() {
        let refused = |reason| RefusedRequest {
            at: datetime!(2026-11-27 10:00 UTC),
            reason,
        };
        let before_step_4 = refusal_advice(&refused(DeliveryReason::BadSignature), false);
        assert!(before_step_4.contains("no signature token is saved yet: do step 4"));
        assert!(before_step_4.contains("2026-11-27 10:00:00 UTC"));
        let wrong_token = refusal_advice(&refused(DeliveryReason::BadSignature), true);
        assert!(wrong_token.contains("another token"), "{wrong_token}");
        let unsigned = refusal_advice(&refused(DeliveryReason::NoSignature), true);
        assert!(unsigned.contains("without a signature"), "{unsigned}");
    }

    #[test]
    fn inputs_are_checked_before_sending() {
        assert!(tag_problem("  ").is_some());
        assert!(tag_problem(&"x".repeat(51)).is_some());
        assert!(tag_problem(" coderpad ").is_none());
        assert!(base_url_problem("127.0.0.1:8090").is_some());
        assert!(base_url_problem("http://127.0.0.1:8090/v1").is_none());
        assert!(token_problem("").is_some());
        assert!(token_problem("abc def").is_some());
        assert!(token_problem(" abcdef ").is_none());
    }

    #[test]
    fn headings_and_links_keep_their_words() {
        assert_eq!(
            step_heading(2, Text::LeverStepTwo),
            "Step 2 · Select Lever stages with pad creation"
        );
        assert_eq!(
            crate::i18n::around(Text::LeverSetupPadsLink, "link"),
            ("", ": the pads created so far.")
        );
        assert_eq!(environment_label(LeverEnvironment::Eu), "Lever EU");
    }

    /// Each test runs on its own thread, and the language is per thread: French stays here.
    #[test]
    fn french_says_where_the_setup_stands() {
        crate::i18n::set_locale(::api::i18n::Locale::Fr);
        let at = datetime!(2026-11-27 10:00 UTC);
        let (_, text) = connection_text(&ConnectionState::Verified { at });
        assert_eq!(text, "Connexion vérifiée (27/11/2026 10:00:00 UTC).");
        let advice = refusal_advice(
            &RefusedRequest {
                at,
                reason: DeliveryReason::TooOld,
            },
            true,
        );
        assert!(
            advice.starts_with("Lever a envoyé une requête (27/11/2026"),
            "{advice}"
        );
        assert_eq!(
            step_heading(1, Text::LeverStepOne),
            "Étape 1 · Fournir les identifiants Lever"
        );
        assert_eq!(
            crate::i18n::around(Text::LeverSetupDeliveriesLink, "link").0,
            "",
            "the link opens the sentence"
        );
        assert!(tag_problem("").unwrap().starts_with("L'étiquette"));
        crate::i18n::set_locale(::api::i18n::Locale::En);
    }

    #[test]
    fn environments_round_trip() {
        for environment in [
            LeverEnvironment::Production,
            LeverEnvironment::Sandbox,
            LeverEnvironment::Eu,
            LeverEnvironment::Custom,
        ] {
            assert_eq!(
                environment_from_value(environment_value(environment)),
                environment
            );
        }
    }
}
