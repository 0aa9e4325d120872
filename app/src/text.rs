//! How things read to people: labels, dates, and the hints and checks forms give before they
//! ask the server (which checks everything again). Plain functions, tested natively.

use ::api::{
    DeliveryReason, DeliveryStatus, LeverDelivery, MailStatus, MailView, MeResponse, MemberStatus,
    PadStatus, Plan, Role, RunStatus, RunView,
};
use time::{OffsetDateTime, UtcOffset};

use ::api::i18n::Locale;

use crate::i18n::{Text, locale, t, tf, tn};

/// The server's password rule: 12 to 256 characters (it also refuses common passwords).
pub const MIN_PASSWORD_CHARS: usize = 12;
pub const MAX_PASSWORD_CHARS: usize = 256;

/// The value a `<select>` option carries for a plan, as the API spells it.
pub fn plan_value(plan: Plan) -> &'static str {
    match plan {
        Plan::Personal => "personal",
        Plan::Team => "team",
        Plan::Enterprise => "enterprise",
    }
}

pub fn plan_from_value(value: &str) -> Option<Plan> {
    Plan::ALL
        .iter()
        .copied()
        .find(|plan| plan_value(*plan) == value)
}

/// One line on what a plan gives, for the plan pickers.
pub fn plan_summary(plan: Plan) -> &'static str {
    t(match plan {
        Plan::Personal => Text::PlanSummaryPersonal,
        Plan::Team => Text::PlanSummaryTeam,
        Plan::Enterprise => Text::PlanSummaryEnterprise,
    })
}

/// A plan's name.
pub fn plan_label(plan: Plan) -> &'static str {
    t(match plan {
        Plan::Personal => Text::PlanPersonal,
        Plan::Team => Text::PlanTeam,
        Plan::Enterprise => Text::PlanEnterprise,
    })
}

/// Whether the organization can use Lever, and if not, how to get it.
/// What the plan means for Lever, and where to get it: `on_settings` is the page with the plan
/// form (elsewhere the notice points there).
pub fn lever_notice(plan: Plan, on_settings: bool) -> String {
    if plan.includes_lever() {
        return t(Text::PlanLeverIncluded).into();
    }
    let how = t(if on_settings {
        Text::PlanLeverHowHere
    } else {
        Text::PlanLeverHowElsewhere
    });
    tf(
        Text::PlanLeverNeedsEnterprise,
        &[("plan", plan_label(plan)), ("how", how)],
    )
}

pub const ROLES: [Role; 2] = [Role::Admin, Role::Member];

pub fn role_value(role: Role) -> &'static str {
    match role {
        Role::Admin => "admin",
        Role::Member => "member",
    }
}

pub fn role_from_value(value: &str) -> Option<Role> {
    ROLES.into_iter().find(|role| role_value(*role) == value)
}

pub fn role_summary(role: Role) -> &'static str {
    t(match role {
        Role::Admin => Text::RoleSummaryAdmin,
        Role::Member => Text::RoleSummaryMember,
    })
}

/// A role's name.
pub fn role_label(role: Role) -> &'static str {
    t(match role {
        Role::Admin => Text::RoleAdmin,
        Role::Member => Text::RoleMember,
    })
}

pub fn status_label(status: MemberStatus) -> &'static str {
    t(match status {
        MemberStatus::Active => Text::MemberStatusActive,
        MemberStatus::Deactivated => Text::MemberStatusDeactivated,
    })
}

/// The header's "who am I": `Ada Lovelace · Acme · Admin`.
pub fn whoami(me: &MeResponse) -> String {
    format!(
        "{} · {} · {}",
        me.user.name,
        me.organization.name,
        role_label(me.role)
    )
}

/// A moment as `2026-11-26 14:05:09 UTC` (`26/11/2026 …` in French): the log is read across
/// time zones, so it says UTC.
pub fn format_time(at: OffsetDateTime) -> String {
    let at = at.to_offset(UtcOffset::UTC);
    let clock = format!("{:02}:{:02}:{:02}", at.hour(), at.minute(), at.second());
    tf(
        Text::TimeUtc,
        &[("date", &format_date(at)), ("clock", &clock)],
    )
}

/// A day as `2026-11-26` in English, `26/11/2026` in French (in UTC).
pub fn format_date(at: OffsetDateTime) -> String {
    let at = at.to_offset(UtcOffset::UTC);
    let (year, month, day) = (at.year(), u8::from(at.month()), at.day());
    match locale() {
        Locale::En => format!("{year:04}-{month:02}-{day:02}"),
        Locale::Fr => format!("{day:02}/{month:02}/{year:04}"),
    }
}

/// The audit log's action codes as sentences; unknown (newer) codes still read acceptably.
pub fn action_label(action: &str) -> String {
    let known = match action {
        "signed_up" => Text::AuditActionSignedUp,
        "logged_in" => Text::AuditActionLoggedIn,
        "login_failed" => Text::AuditActionLoginFailed,
        "logged_out" => Text::AuditActionLoggedOut,
        "password_changed" => Text::AuditActionPasswordChanged,
        "invitation_created" => Text::AuditActionInvitationCreated,
        "invitation_revoked" => Text::AuditActionInvitationRevoked,
        "member_joined" => Text::AuditActionMemberJoined,
        "member_role_changed" => Text::AuditActionMemberRoleChanged,
        "member_deactivated" => Text::AuditActionMemberDeactivated,
        "member_reactivated" => Text::AuditActionMemberReactivated,
        "member_removed" => Text::AuditActionMemberRemoved,
        "plan_changed" => Text::AuditActionPlanChanged,
        "name_changed" => Text::AuditActionNameChanged,
        "email_changed" => Text::AuditActionEmailChanged,
        "organization_renamed" => Text::AuditActionOrganizationRenamed,
        "lever_credentials_saved" => Text::AuditActionLeverCredentialsSaved,
        "lever_stages_saved" => Text::AuditActionLeverStagesSaved,
        "lever_webhook_rotated" => Text::AuditActionLeverWebhookRotated,
        "lever_token_saved" => Text::AuditActionLeverTokenSaved,
        "lever_options_saved" => Text::AuditActionLeverOptionsSaved,
        "lever_feedback_template_saved" => Text::AuditActionLeverFeedbackTemplateSaved,
        "lever_disconnected" => Text::AuditActionLeverDisconnected,
        "lever.delivery_retried" => Text::AuditActionLeverDeliveryRetried,
        "password_reset_asked" => Text::AuditActionPasswordResetAsked,
        "password_reset" => Text::AuditActionPasswordReset,
        "invitation_resent" => Text::AuditActionInvitationResent,
        "mail_sent" => Text::AuditActionMailSent,
        "mail_failed" => Text::AuditActionMailFailed,
        "mail_unconfirmed" => Text::AuditActionMailUnconfirmed,
        "pad_link_mailed" => Text::AuditActionPadLinkMailed,
        "" => Text::AuditActionUnknown,
        _ => {
            let words = action.replace(['_', '.'], " ");
            let mut chars = words.chars();
            return match chars.next() {
                Some(first) => first.to_uppercase().chain(chars).collect(),
                None => t(Text::AuditActionUnknown).into(),
            };
        }
    };
    t(known).into()
}

fn password_limits() -> [(&'static str, String); 2] {
    [
        ("min", MIN_PASSWORD_CHARS.to_string()),
        ("max", MAX_PASSWORD_CHARS.to_string()),
    ]
}

fn fill_limits(text: Text) -> String {
    let limits = password_limits();
    let values: Vec<(&str, &str)> = limits.iter().map(|(k, v)| (*k, v.as_str())).collect();
    tf(text, &values)
}

/// A hint under a new-password field, updated as the person types.
pub fn password_hint(password: &str) -> String {
    let chars = password.chars().count();
    if chars == 0 {
        fill_limits(Text::FormPasswordHintEmpty)
    } else if chars < MIN_PASSWORD_CHARS {
        tn(
            (MIN_PASSWORD_CHARS - chars) as u64,
            Text::FormPasswordHintMissingOne,
            Text::FormPasswordHintMissingOther,
        )
    } else if chars > MAX_PASSWORD_CHARS {
        fill_limits(Text::FormPasswordHintTooLong)
    } else {
        t(Text::FormPasswordHintLongEnough).into()
    }
}

/// Why a new password cannot be sent, if it cannot.
pub fn password_problem(password: &str) -> Option<String> {
    let chars = password.chars().count();
    if chars < MIN_PASSWORD_CHARS {
        Some(fill_limits(Text::FormPasswordTooShort))
    } else if chars > MAX_PASSWORD_CHARS {
        Some(fill_limits(Text::FormPasswordTooLong))
    } else {
        None
    }
}

/// A light check of an email address (the server is the judge): `something@something.tld`.
pub fn email_problem(email: &str) -> Option<String> {
    let email = email.trim();
    if email.is_empty() {
        return Some(t(Text::FormEmailMissing).into());
    }
    let valid = match email.split_once('@') {
        Some((local, domain)) => {
            !local.is_empty()
                && domain.contains('.')
                && !domain.starts_with('.')
                && !domain.ends_with('.')
                && !domain.contains('@')
                && !email.contains(char::is_whitespace)
        }
        None => false,
    };
    (!valid).then(|| tf(Text::FormEmailInvalid, &[("email", email)]))
}

/// A field that must not be blank: `missing` is what it says when it is, in its own words
/// ("Enter your name.": `Text::FormNameMissing`).
pub fn required_problem(value: &str, missing: Text) -> Option<String> {
    value.trim().is_empty().then(|| t(missing).into())
}

/// The first problem among several checks, in form order.
pub fn first_problem(checks: impl IntoIterator<Item = Option<String>>) -> Option<String> {
    checks.into_iter().flatten().next()
}

/// Why a Lever delivery created no pad, in words.
pub fn delivery_reason(reason: DeliveryReason) -> &'static str {
    t(match reason {
        DeliveryReason::NotTagged => Text::DeliveryReasonNotTagged,
        DeliveryReason::StageNotSelected => Text::DeliveryReasonStageNotSelected,
        DeliveryReason::AlreadyHasPad => Text::DeliveryReasonAlreadyHasPad,
        DeliveryReason::Archived => Text::DeliveryReasonArchived,
        DeliveryReason::StageNotEntered => Text::DeliveryReasonStageNotEntered,
        DeliveryReason::TokenAlreadySeen => Text::DeliveryReasonTokenAlreadySeen,
        DeliveryReason::NotAStageChange => Text::DeliveryReasonNotAStageChange,
        DeliveryReason::BadSignature => Text::DeliveryReasonBadSignature,
        DeliveryReason::NoSignature => Text::DeliveryReasonNoSignature,
        DeliveryReason::TriggeredInFuture => Text::DeliveryReasonTriggeredInFuture,
        DeliveryReason::TooOld => Text::DeliveryReasonTooOld,
        DeliveryReason::NotConnected => Text::DeliveryReasonNotConnected,
        DeliveryReason::MalformedEvent => Text::DeliveryReasonMalformedEvent,
        DeliveryReason::PlanExcludesLever => Text::DeliveryReasonPlanExcludesLever,
    })
}

/// A delivery's outcome as the deliveries page shows it.
pub fn delivery_outcome(delivery: &LeverDelivery) -> String {
    let reason = |fallback| delivery.reason.map_or(t(fallback), delivery_reason);
    let error = || {
        delivery
            .error
            .clone()
            .unwrap_or_else(|| t(Text::DeliveryOutcomeUnknownError).into())
    };
    match delivery.status {
        DeliveryStatus::Ignored if delivery.lever_verify => t(Text::DeliveryOutcomeVerified).into(),
        DeliveryStatus::PadCreated => t(Text::DeliveryOutcomePadCreated).into(),
        DeliveryStatus::Queued => t(Text::DeliveryOutcomeQueued).into(),
        DeliveryStatus::Ignored => tf(
            Text::DeliveryOutcomeIgnored,
            &[("reason", reason(Text::DeliveryOutcomeNoReason))],
        ),
        DeliveryStatus::Duplicate => t(Text::DeliveryOutcomeDuplicate).into(),
        DeliveryStatus::Rejected => tf(
            Text::DeliveryOutcomeRejected,
            &[("reason", reason(Text::DeliveryOutcomeRefused))],
        ),
        DeliveryStatus::Failed => {
            let next = match delivery.next_attempt_at {
                Some(at) => tf(
                    Text::DeliveryOutcomeNextTry,
                    &[("clock", &format_clock(at))],
                ),
                None => t(Text::DeliveryOutcomeTryingNow).into(),
            };
            tf(
                Text::DeliveryOutcomeFailed,
                &[
                    (
                        "attempts",
                        &crate::i18n::number(delivery.attempts.max(0) as u64),
                    ),
                    ("next", &next),
                    ("error", &error()),
                ],
            )
        }
        DeliveryStatus::Dead => {
            let attempts = tn(
                delivery.attempts.max(0) as u64,
                Text::DeliveryOutcomeDeadOne,
                Text::DeliveryOutcomeDeadOther,
            );
            ::api::i18n::fill(&attempts, &[("error", &error())])
        }
    }
}

/// What the Event column says: Lever's Verify sample by that name, others by Lever's.
pub fn delivery_event(delivery: &LeverDelivery) -> String {
    if delivery.lever_verify {
        t(Text::DeliveryEventLeverVerify).into()
    } else {
        delivery.event.clone()
    }
}

/// A time of day as `14:05 UTC`, with the day when it is not today (in UTC).
pub fn format_clock(at: OffsetDateTime) -> String {
    let at = at.to_offset(UtcOffset::UTC);
    let clock = format!("{:02}:{:02}", at.hour(), at.minute());
    let today = OffsetDateTime::now_utc().date();
    if at.date() == today {
        tf(Text::TimeClockUtc, &[("clock", &clock)])
    } else {
        tf(
            Text::TimeUtc,
            &[("date", &format_date(at)), ("clock", &clock)],
        )
    }
}

/// Where an e-mail stands, in a few words: "E-mailed", "Not sent: <why>".
pub fn mail_status(mail: &MailView) -> String {
    let error = mail.error.as_deref();
    let with_error = |text| {
        let error = error.unwrap_or(t(Text::DeliveryOutcomeUnknownError));
        tf(text, &[("error", error)])
    };
    match mail.status {
        MailStatus::Queued if error.is_some() => with_error(Text::MailRetrying),
        MailStatus::Queued => t(Text::MailQueued).into(),
        MailStatus::Sending => t(Text::MailSending).into(),
        MailStatus::Sent => t(Text::MailSent).into(),
        MailStatus::Unconfirmed => t(Text::MailUnconfirmed).into(),
        MailStatus::Failed => with_error(Text::MailFailed),
        MailStatus::Canceled => t(Text::MailCanceled).into(),
    }
}

/// The badge an e-mail's status wears: green once sent, orange when it may not arrive.
pub fn mail_badge(status: MailStatus) -> &'static str {
    match status {
        MailStatus::Sent => "badge ok",
        MailStatus::Unconfirmed | MailStatus::Failed => "badge warn",
        MailStatus::Queued | MailStatus::Sending | MailStatus::Canceled => "badge",
    }
}

/// A pad's status in words.
pub fn pad_status(status: PadStatus) -> &'static str {
    t(match status {
        PadStatus::NotStarted => Text::PadStatusNotStarted,
        PadStatus::InProgress => Text::PadStatusInProgress,
        PadStatus::Ended => Text::PadStatusEnded,
    })
}

/// A duration in ms as people read it: `123 ms` under a second, `2.5 s` above (`2,5 s` in
/// French).
pub fn duration_ms(ms: u64) -> String {
    if ms < 1_000 {
        return tf(Text::DurationMs, &[("ms", &ms.to_string())]);
    }
    let decimal = match locale() {
        Locale::En => '.',
        Locale::Fr => ',',
    };
    let seconds = format!("{}{decimal}{}", ms / 1_000, ms % 1_000 / 100);
    tf(Text::DurationSeconds, &[("seconds", &seconds)])
}

/// How a run stands, in a few words: "Running…", "Exited with code 0 in 123 ms",
/// "Stopped by Ada". `ahead` is the runs ahead of it in the server's queue while it waits.
pub fn run_outcome(run: &RunView, ahead: Option<u32>) -> String {
    let outcome = match run.status {
        RunStatus::Waiting => match ahead {
            Some(n) if n > 0 => tf(
                Text::RunWaitingAhead,
                &[("count", &crate::i18n::number(n.into()))],
            ),
            _ => t(Text::RunWaiting).into(),
        },
        RunStatus::Running => t(Text::RunRunning).into(),
        RunStatus::Exited => {
            let code = match (run.signal, run.exit_code) {
                (Some(signal), _) => tf(Text::RunSignaled, &[("signal", &signal.to_string())]),
                (None, Some(code)) => tf(Text::RunExitedWith, &[("code", &code.to_string())]),
                (None, None) => t(Text::RunExited).into(),
            };
            match run.wall_ms {
                Some(ms) => tf(
                    Text::RunTook,
                    &[("outcome", &code), ("duration", &duration_ms(ms))],
                ),
                None => code,
            }
        }
        RunStatus::Stopped => match &run.stopped_by {
            Some(who) => tf(Text::RunStoppedBy, &[("name", who)]),
            None => t(Text::RunStopped).into(),
        },
        RunStatus::TimeLimit => t(Text::RunTimeLimit).into(),
        RunStatus::MemoryLimit => t(Text::RunMemoryLimit).into(),
        RunStatus::OutputLimit => return t(Text::RunOutputLimit).into(),
        RunStatus::CompileError => t(Text::RunCompileError).into(),
        RunStatus::Interrupted => t(Text::RunInterrupted).into(),
        RunStatus::Failed => t(Text::RunFailed).into(),
    };
    if run.truncated {
        tf(Text::RunTruncated, &[("outcome", &outcome)])
    } else {
        outcome
    }
}

/// The output pane's status line: who started the run, then how it stands.
pub fn run_status(run: &RunView, ahead: Option<u32>) -> String {
    tf(
        Text::RunStatus,
        &[
            ("name", &run.started_by),
            ("outcome", &run_outcome(run, ahead)),
        ],
    )
}

/// A run in the list under the final code: when, who, how it ended.
pub fn run_summary(run: &RunView) -> String {
    format!(
        "{} · {} · {}",
        format_time(run.requested_at),
        run.started_by,
        run_outcome(run, None)
    )
}

/// A language in the pad's selector, marked when this server cannot run it.
pub fn language_choice(label: &str, runnable: bool) -> String {
    if runnable {
        label.to_string()
    } else {
        tf(Text::RunLanguageNotInstalled, &[("language", label)])
    }
}

/// Why Run is disabled for the pad's language.
pub fn not_runnable_note(label: &str) -> String {
    tf(Text::RunNotRunnable, &[("language", label)])
}

#[cfg(test)]
mod tests {
    use super::*;
    use time::macros::datetime;

    #[test]
    fn plan_and_role_values_round_trip_as_the_api_spells_them() {
        for &plan in Plan::ALL {
            assert_eq!(plan_from_value(plan_value(plan)), Some(plan));
            let json = serde_json::to_string(&plan).unwrap();
            assert_eq!(json, format!("\"{}\"", plan_value(plan)));
        }
        for role in ROLES {
            assert_eq!(role_from_value(role_value(role)), Some(role));
            let json = serde_json::to_string(&role).unwrap();
            assert_eq!(json, format!("\"{}\"", role_value(role)));
        }
        assert_eq!(plan_from_value("gold"), None);
        assert_eq!(role_from_value(""), None);
    }

    #[test]
    fn lever_needs_enterprise_and_says_how_to_get_it() {
        assert_eq!(
            lever_notice(Plan::Enterprise, true),
            "Your plan includes the Lever integration."
        );
        let team = lever_notice(Plan::Team, true);
        assert!(team.contains("requires the Enterprise plan"), "{team}");
        assert!(team.contains("on Team"), "{team}");
        assert!(team.contains("choose Enterprise below"), "{team}");
        // Elsewhere nothing is "below": the notice points to Settings.
        let home = lever_notice(Plan::Team, false);
        assert!(home.contains("under Settings"), "{home}");
        assert!(!home.contains("below"), "{home}");
    }

    #[test]
    fn whoami_names_person_organization_and_role() {
        let me = MeResponse {
            user: api::UserSummary {
                id: api::UserId::from_uuid(uuid::Uuid::nil()),
                name: "Ada Lovelace".into(),
                email: "ada@example.com".into(),
            },
            organization: api::OrganizationSummary {
                id: api::OrgId::from_uuid(uuid::Uuid::nil()),
                name: "Acme".into(),
                plan: Plan::Team,
                created_at: datetime!(2026-01-01 0:00 UTC),
            },
            role: Role::Admin,
            language: None,
            mail_configured: false,
        };
        assert_eq!(whoami(&me), "Ada Lovelace · Acme · Admin");
    }

    /// Each test runs on its own thread, and the language is per thread: French stays here.
    #[test]
    fn french_reads_french_dates_numbers_and_plurals() {
        crate::i18n::set_locale(Locale::Fr);
        assert_eq!(format_date(datetime!(2026-03-07 23:59 UTC)), "07/03/2026");
        assert_eq!(
            format_time(datetime!(2026-11-26 14:05:59 UTC)),
            "26/11/2026 14:05:59 UTC"
        );
        assert_eq!(duration_ms(2_345), "2,3 s");
        assert_eq!(password_hint("abcdefghijk"), "Encore 1 caractère.");
        assert_eq!(password_hint("abc"), "Encore 9 caractères.");
        assert_eq!(plan_label(Plan::Enterprise), "Entreprise");
        let team = lever_notice(Plan::Team, false);
        assert!(team.contains("l'offre Équipe"), "{team}");
        assert_eq!(action_label("plan_changed"), "A changé l'offre");
        assert_eq!(action_label("email_changed"), "A changé son e-mail");
        assert_eq!(
            required_problem("", Text::FormNameMissing).as_deref(),
            Some("Saisissez votre nom.")
        );
        crate::i18n::set_locale(Locale::En);
    }

    #[test]
    fn times_read_in_utc_whatever_their_offset() {
        assert_eq!(
            format_time(datetime!(2026-11-26 14:05:59 UTC)),
            "2026-11-26 14:05:59 UTC"
        );
        assert_eq!(
            format_time(datetime!(2026-01-01 01:30 +02:00)),
            "2025-12-31 23:30:00 UTC"
        );
        assert_eq!(format_date(datetime!(2026-03-07 23:59 UTC)), "2026-03-07");
    }

    #[test]
    fn actions_read_as_sentences() {
        assert_eq!(action_label("login_failed"), "Log-in failed");
        assert_eq!(action_label("member_role_changed"), "Changed a role");
        assert_eq!(action_label("lever_connected"), "Lever connected");
        assert_eq!(action_label(""), "Unknown action");
        assert_eq!(action_label("name_changed"), "Changed name");
        assert_eq!(
            action_label("organization_renamed"),
            "Renamed the organization"
        );
        assert_eq!(
            action_label("lever.delivery_retried"),
            "Retried a Lever delivery"
        );
        assert_eq!(action_label("lever.something_new"), "Lever something new");
    }

    #[test]
    fn password_hints_count_characters_not_bytes() {
        assert!(password_hint("").starts_with("12 to 256 characters"));
        assert_eq!(password_hint("abc"), "9 more characters needed.");
        assert_eq!(password_hint("abcdefghijk"), "1 more character needed.");
        assert_eq!(password_hint(&"é".repeat(12)), "Long enough.");
        assert_eq!(
            password_hint(&"x".repeat(257)),
            "Too long: at most 256 characters."
        );
        assert_eq!(password_problem(&"é".repeat(12)), None);
        assert_eq!(
            password_problem("short").as_deref(),
            Some("The password needs at least 12 characters.")
        );
        assert!(password_problem(&"x".repeat(257)).is_some());
    }

    #[test]
    fn emails_get_a_light_check() {
        assert_eq!(email_problem("ada@example.com"), None);
        assert_eq!(email_problem("  ada@example.com "), None);
        assert_eq!(
            email_problem("").as_deref(),
            Some("Enter an email address.")
        );
        for bad in [
            "ada",
            "ada@",
            "@example.com",
            "ada@example",
            "a da@x.io",
            "a@b@c.io",
        ] {
            assert!(email_problem(bad).is_some(), "{bad}");
        }
    }

    #[test]
    fn the_first_problem_wins() {
        assert_eq!(
            first_problem([
                required_problem("Acme", Text::SignupOrgNameMissing),
                required_problem(" ", Text::FormNameMissing),
                email_problem(""),
            ])
            .as_deref(),
            Some("Enter your name.")
        );
        assert_eq!(first_problem([None, None]), None);
    }

    #[test]
    fn delivery_outcomes_read_as_sentences() {
        let delivery = |status: DeliveryStatus, reason: Option<DeliveryReason>| LeverDelivery {
            id: ::api::DeliveryId::from_uuid(uuid::Uuid::nil()),
            received_at: OffsetDateTime::UNIX_EPOCH,
            event: "candidateStageChange".into(),
            opportunity_id: None,
            candidate_name: None,
            stage_id: None,
            stage_name: None,
            status,
            reason,
            error: Some("Lever answered 500".into()),
            attempts: 3,
            pad_link: None,
            can_retry: false,
            next_attempt_at: None,
            lever_verify: false,
        };
        assert_eq!(
            delivery_outcome(&delivery(
                DeliveryStatus::Ignored,
                Some(DeliveryReason::NotTagged)
            )),
            "Ignored: not tagged"
        );
        let next = OffsetDateTime::now_utc().replace_time(time::Time::from_hms(14, 5, 0).unwrap());
        let failing = LeverDelivery {
            next_attempt_at: Some(next),
            attempts: 2,
            ..delivery(DeliveryStatus::Failed, None)
        };
        assert_eq!(
            delivery_outcome(&failing),
            "Attempt 2 failed; next try at 14:05 UTC: Lever answered 500"
        );
        let verify = LeverDelivery {
            event: "candidateHired".into(),
            lever_verify: true,
            ..delivery(
                DeliveryStatus::Ignored,
                Some(DeliveryReason::NotAStageChange),
            )
        };
        assert_eq!(delivery_event(&verify), "Lever's Verify test");
        assert_eq!(delivery_outcome(&verify), "Answered: the connection works");
        assert_eq!(
            delivery_outcome(&delivery(DeliveryStatus::Dead, None)),
            "Failed for good after 3 attempts: Lever answered 500"
        );
        assert_eq!(
            delivery_outcome(&delivery(
                DeliveryStatus::Rejected,
                Some(DeliveryReason::BadSignature)
            )),
            "Rejected: bad signature"
        );
        assert!(
            delivery_outcome(&delivery(
                DeliveryStatus::Rejected,
                Some(DeliveryReason::NoSignature)
            ))
            .contains("paste the signature token in step 4")
        );
    }
    #[test]
    fn run_statuses_read_as_sentences() {
        use ::api::{RunId, RunStatus};
        let run = |status: RunStatus| RunView {
            id: RunId::from_uuid(uuid::Uuid::nil()),
            revision: 1,
            language: "python".into(),
            started_by: "Grace".into(),
            status,
            exit_code: None,
            wall_ms: None,
            stopped_by: None,
            signal: None,
            output: Vec::new(),
            truncated: false,
            requested_at: OffsetDateTime::UNIX_EPOCH,
            finished_at: None,
        };
        let waiting = run(RunStatus::Waiting);
        assert_eq!(
            run_status(&waiting, Some(2)),
            "Run by Grace · Waiting (2 ahead)"
        );
        assert_eq!(run_outcome(&waiting, None), "Waiting");
        assert_eq!(run_outcome(&run(RunStatus::Running), None), "Running…");
        let mut exited = run(RunStatus::Exited);
        exited.exit_code = Some(0);
        exited.wall_ms = Some(123);
        assert_eq!(
            run_status(&exited, None),
            "Run by Grace · Exited with code 0 in 123 ms"
        );
        exited.exit_code = Some(1);
        exited.wall_ms = Some(2_345);
        assert_eq!(run_outcome(&exited, None), "Exited with code 1 in 2.3 s");
        let mut stopped = run(RunStatus::Stopped);
        stopped.stopped_by = Some("Ada".into());
        assert_eq!(run_outcome(&stopped, None), "Stopped by Ada");
        assert_eq!(
            run_outcome(&run(RunStatus::TimeLimit), None),
            "Time limit reached"
        );
        assert_eq!(
            run_outcome(&run(RunStatus::MemoryLimit), None),
            "Memory limit reached"
        );
        let mut flood = run(RunStatus::OutputLimit);
        flood.truncated = true;
        assert_eq!(
            run_outcome(&flood, None),
            "Output limit reached — output truncated"
        );
        assert_eq!(
            run_outcome(&run(RunStatus::CompileError), None),
            "Compile error"
        );
        assert_eq!(
            run_outcome(&run(RunStatus::Interrupted), None),
            "Interrupted by a server restart"
        );
        assert_eq!(
            run_outcome(&run(RunStatus::Failed), None),
            "Could not run: the server could not start it (the problem is in its log)"
        );
        let mut killed = run(RunStatus::Exited);
        killed.exit_code = Some(137);
        killed.signal = Some(9);
        killed.wall_ms = None;
        assert_eq!(run_outcome(&killed, None), "Ended by signal 9");
        assert_eq!(
            run_summary(&exited),
            "1970-01-01 00:00:00 UTC · Grace · Exited with code 1 in 2.3 s"
        );
        let mut cut = run(RunStatus::TimeLimit);
        cut.truncated = true;
        assert_eq!(
            run_outcome(&cut, None),
            "Time limit reached — output truncated"
        );
    }

    #[test]
    fn languages_that_cannot_run_say_so() {
        assert_eq!(language_choice("Python", true), "Python");
        assert_eq!(
            language_choice("Kotlin", false),
            "Kotlin — not installed on this server"
        );
        assert_eq!(
            not_runnable_note("Kotlin"),
            "Kotlin is not installed on this server, so code in it cannot run here."
        );
        assert_eq!(duration_ms(999), "999 ms");
        assert_eq!(duration_ms(10_050), "10.0 s");
    }

    #[test]
    fn mail_statuses_read_as_words() {
        let mail = |status: MailStatus, error: Option<&str>| MailView {
            to: "grace@example.com".into(),
            status,
            requested_by: None,
            created_at: OffsetDateTime::UNIX_EPOCH,
            sent_at: None,
            error: error.map(Into::into),
        };
        assert_eq!(mail_status(&mail(MailStatus::Sent, None)), "E-mailed");
        assert_eq!(
            mail_status(&mail(MailStatus::Queued, None)),
            "Waiting to be sent"
        );
        assert_eq!(
            mail_status(&mail(MailStatus::Queued, Some("no answer"))),
            "Waiting to be sent again: no answer"
        );
        assert_eq!(
            mail_status(&mail(MailStatus::Failed, Some("mailbox full"))),
            "Not sent: mailbox full"
        );
        assert_eq!(
            mail_status(&mail(MailStatus::Failed, None)),
            "Not sent: unknown error"
        );
        assert_eq!(
            mail_status(&mail(MailStatus::Unconfirmed, Some("reset"))),
            "May not have arrived"
        );
        assert_eq!(mail_status(&mail(MailStatus::Sending, None)), "Sending…");
        assert_eq!(mail_status(&mail(MailStatus::Canceled, None)), "Canceled");
        assert_eq!(action_label("invitation_resent"), "Resent an invitation");
        assert_eq!(action_label("pad_link_mailed"), "E-mailed a pad's link");
        assert_eq!(mail_badge(MailStatus::Sent), "badge ok");
        assert_eq!(mail_badge(MailStatus::Failed), "badge warn");
        assert_eq!(mail_badge(MailStatus::Queued), "badge");
    }
}
