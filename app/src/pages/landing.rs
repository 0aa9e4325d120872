use leptos::prelude::*;

use crate::api::{ApiFailure, Client};
use crate::i18n::{Text, t, tf};

/// How the server's readiness reads to a person (where it stores data is the operator's
/// business, not the visitor's).
pub fn readiness_text(readiness: &Result<::api::ReadinessResponse, ApiFailure>) -> String {
    match readiness {
        Ok(_) => t(Text::LandingServerReady).into(),
        Err(failure) => tf(
            Text::LandingServerNotReady,
            &[("reason", &failure.to_string())],
        ),
    }
}

#[component]
pub fn Landing() -> impl IntoView {
    let client = Client::get();
    let readiness = LocalResource::new(move || client.readiness());
    let (lead_before, lead_after) = crate::i18n::around(Text::LandingLead, "tag");
    view! {
        <section class="hero">
            <h1>{t(Text::LandingTitle)}</h1>
            <p class="lead">{lead_before} <code>"coderpad"</code> {lead_after}</p>
        </section>
        <section class="steps">
            <h2>{t(Text::LandingHowItWorks)}</h2>
            <ol>
                <li>{t(Text::LandingStepApiKey)}</li>
                <li>{t(Text::LandingStepStages)}</li>
                <li>{t(Text::LandingStepWebhook)}</li>
                <li>{t(Text::LandingStepVerify)}</li>
            </ol>
            <p>{t(Text::LandingAfter)}</p>
        </section>
        <p class="server-status" data-testid="server-status">
            <Transition fallback=|| t(Text::LandingChecking)>
                {move || readiness.get().map(|result| readiness_text(&result))}
            </Transition>
        </p>
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_lead_puts_the_tag_where_each_language_wants_it() {
        assert_eq!(
            crate::i18n::around(Text::LandingLead, "tag"),
            (
                "Connect your Lever account once. When a candidate tagged ",
                " reaches a stage you chose, Stagepad creates a live coding pad and puts its link on the candidate's profile."
            )
        );
        assert_eq!(
            crate::i18n::around(Text::NavHome, "tag"),
            ("Home", ""),
            "a text without the placeholder is all before it"
        );
        crate::i18n::set_locale(::api::i18n::Locale::Fr);
        let (before, after) = crate::i18n::around(Text::LandingLead, "tag");
        assert!(before.ends_with("l'étiquette "), "{before}");
        assert!(after.starts_with(" atteint"), "{after}");
        crate::i18n::set_locale(::api::i18n::Locale::En);
    }

    #[test]
    fn readiness_reads_plainly() {
        let ready = Ok(::api::ReadinessResponse {
            status: "ready".into(),
            database: ::api::DatabaseKind::Postgres,
        });
        assert_eq!(readiness_text(&ready), "Server ready.");
        let down = Err(ApiFailure::from_answer(503, None));
        assert_eq!(
            readiness_text(&down),
            "Server not ready: Stagepad answered with status 503."
        );
    }
}
