use leptos::prelude::*;

use crate::api::{ApiFailure, Client};

/// How the server's readiness reads to a person (where it stores data is the operator's
/// business, not the visitor's).
pub fn readiness_text(readiness: &Result<::api::ReadinessResponse, ApiFailure>) -> String {
    match readiness {
        Ok(_) => "Server ready.".into(),
        Err(failure) => format!("Server not ready: {failure}"),
    }
}

#[component]
pub fn Landing() -> impl IntoView {
    let client = Client::get();
    let readiness = LocalResource::new(move || client.readiness());
    view! {
        <section class="hero">
            <h1>"Interview pads that open themselves"</h1>
            <p class="lead">
                "Connect your Lever account once. When a candidate tagged "
                <code>"coderpad"</code>
                " reaches a stage you chose, Stagepad creates a live coding pad and puts its link on the candidate's profile."
            </p>
        </section>
        <section class="steps">
            <h2>"How it works"</h2>
            <ol>
                <li>"Paste your Lever API key."</li>
                <li>"Pick the Lever stages that create pads."</li>
                <li>"Copy your organization's webhook URL into Lever's Candidate Stage Change webhook."</li>
                <li>"Paste the signature token Lever shows, choose the pad owner, and click Verify in Lever."</li>
            </ol>
            <p>
                "After the interview the same link plays back the whole session, and the code can go to Lever as a candidate note."
            </p>
        </section>
        <p class="server-status" data-testid="server-status">
            <Transition fallback=|| view! { "Checking the server…" }>
                {move || readiness.get().map(|result| readiness_text(&result))}
            </Transition>
        </p>
    }
}

#[cfg(test)]
mod tests {
    use super::*;

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
