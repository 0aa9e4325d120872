//! Error answers speak the language the request asks for with `Accept-Language`: the code stays
//! the same, the message is French for French, English otherwise.

use api::{ErrorCode, Plan, Role};
use reqwest::RequestBuilder;
use tests::accounts::{FRENCH, assert_varies_by_language, unique_email};
use tests::{expect_error, spawn_app};

/// The same failing request without and with `Accept-Language: fr-FR,fr;q=0.9`: both get
/// `status` and `code`; returns the English message and the French one.
async fn in_both_languages(
    request: impl Fn() -> RequestBuilder,
    status: u16,
    code: ErrorCode,
) -> (String, String) {
    let english = request().send().await.unwrap();
    let french = request()
        .header("accept-language", FRENCH)
        .send()
        .await
        .unwrap();
    for answer in [&english, &french] {
        assert_varies_by_language(answer);
    }
    let english = expect_error(english, status, code).await;
    let french = expect_error(french, status, code).await;
    assert_ne!(english, french, "not translated");
    (english, french)
}

#[tokio::test]
async fn error_messages_are_french_when_french_is_asked_for_and_english_otherwise() {
    let app = spawn_app().await;
    let client = &app.client;

    // A body that is not JSON: serde's words are quoted as they are, in a French sentence.
    let (english, french) = in_both_languages(
        || {
            client
                .post(app.url("/api/signup"))
                .header("content-type", "application/json")
                .body("{\"org_name\": ")
        },
        400,
        ErrorCode::MalformedJson,
    )
    .await;
    let detail = english
        .strip_prefix("The body is not valid JSON: ")
        .unwrap_or_else(|| panic!("{english}"));
    assert_eq!(
        french,
        format!("Le corps n'est pas du JSON valide : {detail}")
    );

    // No pad at this link.
    let (english, french) = in_both_languages(
        || client.get(app.url("/api/pads/AAAAAAAAAAAAAAAAAAAAAA")),
        404,
        ErrorCode::NotFound,
    )
    .await;
    assert_eq!(english, "There is no pad at this link.");
    assert_eq!(french, "Il n'y a aucun pad à ce lien.");

    // Refused before any route: the CSRF check, and an address with no route.
    let (english, french) = in_both_languages(
        || {
            client
                .post(app.url("/api/login"))
                .header("content-type", "application/x-www-form-urlencoded")
                .body("email=a")
        },
        415,
        ErrorCode::JsonRequired,
    )
    .await;
    assert!(english.starts_with("Send this request with"), "{english}");
    assert!(french.starts_with("Envoyez cette requête avec"), "{french}");
    let (english, french) = in_both_languages(
        || client.get(app.url("/api/nothing-here")),
        404,
        ErrorCode::NotFound,
    )
    .await;
    assert_eq!(english, "No route for GET /api/nothing-here.");
    assert_eq!(french, "Aucune route pour GET /api/nothing-here.");

    // A language this product does not speak, or French refused: English.
    for header in ["de-DE,de;q=0.9", "fr;q=0, en"] {
        let message = expect_error(
            client
                .get(app.url("/api/pads/AAAAAAAAAAAAAAAAAAAAAA"))
                .header("accept-language", header)
                .send()
                .await
                .unwrap(),
            404,
            ErrorCode::NotFound,
        )
        .await;
        assert_eq!(message, "There is no pad at this link.", "{header}");
    }
}

#[tokio::test]
async fn a_wrong_log_in_is_refused_in_french_with_the_same_code() {
    let app = spawn_app().await;
    let admin = app.sign_up(Plan::Team).await;
    let wrong = api::LoginRequest {
        email: admin.email.clone(),
        password: "not the password at all".into(),
    };
    let (english, french) = in_both_languages(
        || app.client.post(app.url("/api/login")).json(&wrong),
        401,
        ErrorCode::InvalidCredentials,
    )
    .await;
    assert_eq!(english, "The email or the password is wrong.");
    assert_eq!(french, "L'e-mail ou le mot de passe est incorrect.");
}

#[tokio::test]
async fn a_plan_limit_names_the_plan_in_french() {
    let app = spawn_app().await;

    // Personal has no room for a colleague: the plan is named, and Team too, in French.
    let personal = app.sign_up(Plan::Personal).await;
    let invitation = api::CreateInvitationRequest {
        email: unique_email("colleague"),
        role: Role::Member,
    };
    let (english, french) = in_both_languages(
        || {
            personal
                .client
                .post(app.url("/api/invitations"))
                .json(&invitation)
        },
        403,
        ErrorCode::PlanLimit,
    )
    .await;
    assert_eq!(
        english,
        "The Personal plan is for one interviewer: an admin can switch the organization to Team \
         under Settings to add colleagues."
    );
    assert_eq!(
        french,
        "L'offre Personnel est prévue pour un seul intervieweur : un admin peut passer \
         l'organisation à l'offre Équipe dans les Paramètres pour ajouter des collègues."
    );

    // A team of two may not become Personal: the plan and the count, in French.
    let team = app.sign_up(Plan::Team).await;
    app.add_member(&team, Role::Member).await;
    let to_personal = api::ChangePlanRequest {
        plan: Plan::Personal,
    };
    let (english, french) = in_both_languages(
        || {
            team.client
                .put(app.url("/api/organization/plan"))
                .json(&to_personal)
        },
        409,
        ErrorCode::PlanLimit,
    )
    .await;
    assert!(
        english.starts_with("The Personal plan is for one interviewer, and 2 members are active"),
        "{english}"
    );
    assert!(
        french.starts_with("L'offre Personnel est prévue pour un seul intervieweur, et 2 membres"),
        "{french}"
    );
}
