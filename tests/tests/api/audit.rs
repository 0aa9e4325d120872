//! The audit log records who did what, newest first, paginated, without secrets.

use api::{MemberStatus, Plan, Role, UpdateMemberRequest};
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
