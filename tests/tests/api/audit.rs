//! The audit log records who did what, newest first, paginated, without secrets.

use api::{MemberStatus, Plan, Role, UpdateMemberRequest};
use tests::accounts::assert_varies_by_language;
use tests::{PASSWORD, expect_json, spawn_app};

#[tokio::test]
async fn the_audit_log_tells_the_story_newest_first_without_secrets() {
    let app = spawn_app().await;
    let admin = app.sign_up(Plan::Team).await;
    let _ = app.log_in(&admin.email, "a wrong password here").await;
    let again = app.log_in_as(&admin.email, PASSWORD).await;
    let member = app.add_member(&admin, Role::Member).await;
    let path = format!("/api/members/{}", member.id());
    let promote = UpdateMemberRequest {
        role: Some(Role::Admin),
        status: None,
    };
    let _: api::Member = expect_json(app.patch(&admin.client, &path, &promote).await, 200).await;
    let deactivate = UpdateMemberRequest {
        role: None,
        status: Some(MemberStatus::Deactivated),
    };
    let _: api::Member = expect_json(app.patch(&admin.client, &path, &deactivate).await, 200).await;
    let _: api::OrganizationSummary = expect_json(
        app.put(
            &admin.client,
            "/api/organization/plan",
            &api::ChangePlanRequest {
                plan: Plan::Enterprise,
            },
        )
        .await,
        200,
    )
    .await;
    // Log-out ends every session of the user, so reading the log needs a new one.
    assert_eq!(app.logout(&again).await.status(), 204);
    let reader = app.log_in_as(&admin.email, PASSWORD).await;

    let page: api::AuditPage = expect_json(app.audit(&reader, "").await, 200).await;
    let actions: Vec<&str> = page.events.iter().map(|e| e.action.as_str()).collect();
    assert_eq!(
        actions,
        vec![
            "logged_in",
            "logged_out",
            "plan_changed",
            "member_deactivated",
            "member_role_changed",
            "member_joined",
            "invitation_created",
            "logged_in",
            "login_failed",
            "signed_up",
        ]
    );
    assert!(page.next_cursor.is_none());
    let ids: Vec<i64> = page.events.iter().map(|e| e.id).collect();
    assert!(ids.windows(2).all(|w| w[0] > w[1]), "newest first: {ids:?}");
    let plan = &page.events[2];
    assert_eq!(plan.detail, "Changed the plan from Team to Enterprise");
    assert_eq!(
        plan.actor.as_deref(),
        Some(format!("Ada Admin <{}>", admin.email).as_str())
    );
    assert_eq!(plan.client_address.as_deref(), Some("127.0.0.1"));
    assert!(
        page.events[5]
            .actor
            .as_deref()
            .unwrap()
            .contains(&member.email)
    );

    let everything = serde_json::to_string(&page).unwrap();
    assert!(!everything.contains(PASSWORD) && !everything.contains("a wrong password here"));
}

#[tokio::test]
async fn the_audit_log_pages_backwards_without_gaps_or_repeats() {
    let app = spawn_app().await;
    let admin = app.sign_up(Plan::Team).await;
    for _ in 0..6 {
        let _ = app.log_in_as(&admin.email, PASSWORD).await;
    }
    let mut seen = Vec::new();
    let mut cursor: Option<String> = None;
    loop {
        let path = match &cursor {
            Some(c) => format!("/api/audit?limit=3&cursor={c}"),
            None => "/api/audit?limit=3".to_string(),
        };
        let page: api::AuditPage = expect_json(app.get(&admin.client, &path).await, 200).await;
        assert!(page.events.len() <= 3);
        seen.extend(page.events.iter().map(|e| e.id));
        match page.next_cursor {
            Some(c) => cursor = Some(c),
            None => break,
        }
    }
    assert_eq!(seen.len(), 7, "sign-up and six log-ins: {seen:?}");
    assert!(seen.windows(2).all(|w| w[0] > w[1]));
}

/// The detail of each entry is worded in the reader's language (`Accept-Language`), English
/// without the header; the answer varies by that header.
#[tokio::test]
async fn the_audit_log_speaks_the_language_asked_for() {
    let app = spawn_app().await;
    let admin = app.sign_up(Plan::Team).await;
    let _: api::OrganizationSummary = expect_json(
        app.put(
            &admin.client,
            "/api/organization/plan",
            &api::ChangePlanRequest {
                plan: Plan::Enterprise,
            },
        )
        .await,
        200,
    )
    .await;
    let english = admin
        .client
        .get(app.url("/api/audit"))
        .send()
        .await
        .unwrap();
    let french = app.get_in_french(&admin.client, "/api/audit").await;
    for answer in [&english, &french] {
        assert_varies_by_language(answer);
    }
    let english: api::AuditPage = expect_json(english, 200).await;
    let french: api::AuditPage = expect_json(french, 200).await;
    let details = |page: &api::AuditPage| -> Vec<(String, String)> {
        page.events
            .iter()
            .map(|e| (e.action.clone(), e.detail.clone()))
            .collect()
    };
    let (english, french) = (details(&english), details(&french));
    assert_eq!(english[0].0, "plan_changed");
    assert_eq!(english[0].1, "Changed the plan from Team to Enterprise");
    assert_eq!(
        french[0].1,
        "Passage de l'offre Équipe à l'offre Entreprise"
    );
    let signed_up = english.iter().find(|(a, _)| a == "signed_up").unwrap();
    assert!(
        signed_up.1.starts_with("Created organization \"")
            && signed_up.1.ends_with("\" on the Team plan"),
        "{}",
        signed_up.1
    );
    let signed_up_fr = french.iter().find(|(a, _)| a == "signed_up").unwrap();
    let name = signed_up
        .1
        .strip_prefix("Created organization ")
        .and_then(|rest| rest.strip_suffix(" on the Team plan"))
        .unwrap();
    assert_eq!(
        signed_up_fr.1,
        format!("Organisation {name} créée avec l'offre Équipe")
    );
}
