//! Who is logged in: loaded from `GET /api/me` at start, provided to every page through
//! context, and updated by sign-up, log-in, joining, log-out and plan changes.

use ::api::{ErrorCode, MeResponse, OrganizationSummary, Role};
use leptos::prelude::*;
use leptos::task::spawn_local;

use crate::api::{ApiFailure, Client};
use crate::i18n::{Text, t, tf};

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SessionState {
    /// `GET /api/me` has not answered yet.
    Loading,
    LoggedOut,
    LoggedIn(MeResponse),
}

impl SessionState {
    /// `None` while loading: the shape `ProtectedRoute` expects.
    pub fn logged_in(&self) -> Option<bool> {
        match self {
            SessionState::Loading => None,
            SessionState::LoggedOut => Some(false),
            SessionState::LoggedIn(_) => Some(true),
        }
    }

    pub fn me(&self) -> Option<&MeResponse> {
        match self {
            SessionState::LoggedIn(me) => Some(me),
            _ => None,
        }
    }

    pub fn role(&self) -> Option<Role> {
        self.me().map(|me| me.role)
    }

    /// The state after `GET /api/me` answered.
    pub fn from_me(answer: Result<MeResponse, ApiFailure>) -> Self {
        match answer {
            Ok(me) => SessionState::LoggedIn(me),
            Err(_) => SessionState::LoggedOut,
        }
    }

    /// The state after any other call answered: a "not logged in" answer means the session
    /// ended on the server (log-out elsewhere, password change, deactivation).
    pub fn after_failure(&self, failure: &ApiFailure) -> Option<Self> {
        (failure.ends_session() && *self != SessionState::LoggedOut)
            .then_some(SessionState::LoggedOut)
    }

    /// How `failure` ends a session that was open, if it does: the console then goes back to
    /// log in and says why.
    pub fn ended_by(&self, failure: &ApiFailure) -> Option<SessionEnd> {
        let SessionState::LoggedIn(me) = self else {
            return None;
        };
        if !failure.ends_session() {
            return None;
        }
        Some(if failure.code == Some(ErrorCode::AccountDeactivated) {
            SessionEnd::AccessRemoved {
                organization: me.organization.name.clone(),
            }
        } else {
            SessionEnd::Ended
        })
    }

    /// The state after the organization changed (e.g. its plan).
    pub fn with_organization(&self, organization: OrganizationSummary) -> Self {
        match self {
            SessionState::LoggedIn(me) if me.organization.id == organization.id => {
                SessionState::LoggedIn(MeResponse {
                    organization,
                    ..me.clone()
                })
            }
            other => other.clone(),
        }
    }
}

/// Why a session that was open ended on the server.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SessionEnd {
    /// Logged out elsewhere, or the password changed.
    Ended,
    /// An admin deactivated the account, in this organization.
    AccessRemoved { organization: String },
}

impl SessionEnd {
    /// Why the log-in page opens.
    pub fn reason(&self) -> LoginReason {
        match self {
            SessionEnd::Ended => LoginReason::SessionEnded,
            SessionEnd::AccessRemoved { .. } => LoginReason::AccessRemoved,
        }
    }
}

/// A page at a glance: where it lives, its name in the navigation, and who may use it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct NavLink {
    pub href: &'static str,
    pub label: Text,
    pub admin_only: bool,
}

pub const NAV_LINKS: [NavLink; 8] = [
    NavLink {
        href: "/",
        label: Text::NavHome,
        admin_only: false,
    },
    NavLink {
        href: "/pads",
        label: Text::NavPads,
        admin_only: false,
    },
    NavLink {
        href: "/members",
        label: Text::NavMembers,
        admin_only: true,
    },
    NavLink {
        href: "/settings",
        label: Text::NavSettings,
        admin_only: true,
    },
    NavLink {
        href: "/integrations/lever",
        label: Text::NavLever,
        admin_only: true,
    },
    NavLink {
        href: "/integrations/lever/deliveries",
        label: Text::NavDeliveries,
        admin_only: true,
    },
    NavLink {
        href: "/audit",
        label: Text::NavAudit,
        admin_only: true,
    },
    NavLink {
        href: "/account",
        label: Text::NavAccount,
        admin_only: false,
    },
];

/// The pages a role can use; the console does not show links that would only be refused.
pub fn nav_links(role: Role) -> Vec<NavLink> {
    NAV_LINKS
        .into_iter()
        .filter(|link| role == Role::Admin || !link.admin_only)
        .collect()
}

/// The session, shared through context. Copy it freely: it is a handle to one signal.
#[derive(Debug, Clone, Copy)]
pub struct Session {
    state: RwSignal<SessionState>,
    /// How a call found the session ended on the server since the last log-in.
    ended: RwSignal<Option<SessionEnd>>,
    // Memos, so that what depends only on these does not rerun when, say, the plan changes.
    logged_in: Memo<Option<bool>>,
    role: Memo<Option<Role>>,
}

impl Session {
    /// Creates the session, provides it to the app, and asks the server who is logged in.
    pub fn provide() -> Self {
        let state = RwSignal::new(SessionState::Loading);
        let session = Session {
            state,
            ended: RwSignal::new(None),
            logged_in: Memo::new(move |_| state.with(SessionState::logged_in)),
            role: Memo::new(move |_| state.with(SessionState::role)),
        };
        provide_context(session);
        session.reload();
        session
    }

    pub fn get() -> Self {
        expect_context::<Session>()
    }

    /// Asks the server again who is logged in (e.g. after changing one's own role).
    pub fn reload(self) {
        spawn_local(async move {
            let answer = Client::new(self).me().await;
            self.state.set(SessionState::from_me(answer));
        });
    }

    pub fn state(self) -> SessionState {
        self.state.get()
    }

    pub fn logged_in(self) -> Option<bool> {
        self.logged_in.get()
    }

    pub fn me(self) -> Option<MeResponse> {
        self.state.with(|state| state.me().cloned())
    }

    pub fn role(self) -> Option<Role> {
        self.role.get()
    }

    /// The logged-in user's id, without subscribing to changes (for event handlers).
    pub fn user_id_untracked(self) -> Option<api::UserId> {
        self.state
            .with_untracked(|state| state.me().map(|me| me.user.id))
    }

    /// How a call found the session ended on the server since the last log-in, if one did.
    pub fn ended(self) -> Option<SessionEnd> {
        self.ended.get()
    }

    pub fn ended_untracked(self) -> Option<SessionEnd> {
        self.ended.get_untracked()
    }

    pub fn logged_in_as(self, me: MeResponse) {
        self.ended.set(None);
        self.state.set(SessionState::LoggedIn(me));
    }

    pub fn logged_out(self) {
        self.state.set(SessionState::LoggedOut);
    }

    pub fn organization_changed(self, organization: OrganizationSummary) {
        let next = self
            .state
            .with_untracked(|state| state.with_organization(organization));
        if self.state.with_untracked(|state| *state != next) {
            self.state.set(next);
        }
    }

    /// Passes an answer through, noticing when it says the session has ended. The client
    /// (`crate::api::Client`) calls it for every answer.
    pub(crate) fn observe<T>(self, answer: Result<T, ApiFailure>) -> Result<T, ApiFailure> {
        if let Err(failure) = &answer {
            let (next, ended) = self
                .state
                .with_untracked(|state| (state.after_failure(failure), state.ended_by(failure)));
            if let Some(ended) = ended {
                self.ended.set(Some(ended));
            }
            if let Some(next) = next {
                self.state.set(next);
            }
        }
        answer
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use api::{ErrorCode, Plan, UserSummary};
    use time::macros::datetime;
    use uuid::Uuid;

    fn me(role: Role) -> MeResponse {
        MeResponse {
            user: UserSummary {
                id: ::api::UserId::from_uuid(Uuid::from_u128(1)),
                name: "Ada".into(),
                email: "ada@example.com".into(),
            },
            organization: OrganizationSummary {
                id: ::api::OrgId::from_uuid(Uuid::from_u128(2)),
                name: "Acme".into(),
                plan: Plan::Team,
                created_at: datetime!(2026-01-01 0:00 UTC),
            },
            role,
            language: None,
            mail_configured: false,
        }
    }

    #[test]
    fn loading_is_neither_in_nor_out() {
        assert_eq!(SessionState::Loading.logged_in(), None);
        assert_eq!(SessionState::LoggedOut.logged_in(), Some(false));
        let state = SessionState::from_me(Ok(me(Role::Member)));
        assert_eq!(state.logged_in(), Some(true));
        assert_eq!(state.role(), Some(Role::Member));
        let out = SessionState::from_me(Err(ApiFailure::from_answer(401, None)));
        assert_eq!(out, SessionState::LoggedOut);
    }

    #[test]
    fn only_not_logged_in_ends_the_session() {
        let state = SessionState::LoggedIn(me(Role::Admin));
        let ended = ApiFailure {
            status: 401,
            code: Some(ErrorCode::NotLoggedIn),
            message: "Log in first.".into(),
        };
        assert_eq!(state.after_failure(&ended), Some(SessionState::LoggedOut));
        let refused = ApiFailure {
            status: 409,
            code: Some(ErrorCode::LastAdmin),
            message: "Someone must stay admin.".into(),
        };
        assert_eq!(state.after_failure(&refused), None);
        assert_eq!(SessionState::LoggedOut.after_failure(&ended), None);
    }

    #[test]
    fn only_an_open_session_expires() {
        let ended = ApiFailure {
            status: 401,
            code: Some(ErrorCode::NotLoggedIn),
            message: "Log in first.".into(),
        };
        assert_eq!(
            SessionState::LoggedIn(me(Role::Member)).ended_by(&ended),
            Some(SessionEnd::Ended)
        );
        // A stale cookie found at start (or a visitor) is not sent to the log-in page.
        assert_eq!(SessionState::Loading.ended_by(&ended), None);
        assert_eq!(SessionState::LoggedOut.ended_by(&ended), None);
        let wrong_password = ApiFailure {
            status: 401,
            code: Some(ErrorCode::InvalidCredentials),
            message: "Wrong email or password.".into(),
        };
        assert_eq!(
            SessionState::LoggedIn(me(Role::Member)).ended_by(&wrong_password),
            None
        );
    }

    #[test]
    fn a_deactivated_session_ends_naming_its_organization() {
        let removed = ApiFailure {
            status: 401,
            code: Some(ErrorCode::AccountDeactivated),
            message: "An admin deactivated your account.".into(),
        };
        let state = SessionState::LoggedIn(me(Role::Member));
        let end = state.ended_by(&removed);
        assert_eq!(
            end,
            Some(SessionEnd::AccessRemoved {
                organization: "Acme".into()
            })
        );
        assert_eq!(state.after_failure(&removed), Some(SessionState::LoggedOut));
        assert_eq!(end.unwrap().reason(), LoginReason::AccessRemoved);
        // Refused at log-in (403), it ends nothing: there was no session.
        let at_log_in = ApiFailure {
            status: 403,
            ..removed
        };
        assert_eq!(state.ended_by(&at_log_in), None);
        assert_eq!(state.after_failure(&at_log_in), None);
    }

    #[test]
    fn a_plan_change_updates_the_organization_shown() {
        let state = SessionState::LoggedIn(me(Role::Admin));
        let mut organization = me(Role::Admin).organization;
        organization.plan = Plan::Enterprise;
        let next = state.with_organization(organization.clone());
        assert_eq!(next.me().unwrap().organization.plan, Plan::Enterprise);
        organization.id = ::api::OrgId::from_uuid(Uuid::from_u128(3));
        organization.plan = Plan::Personal;
        assert_eq!(
            next.with_organization(organization),
            next,
            "another organization's answer changes nothing"
        );
    }

    #[test]
    fn members_see_no_admin_links() {
        let member: Vec<_> = nav_links(Role::Member).iter().map(|l| l.href).collect();
        assert_eq!(member, ["/", "/pads", "/account"]);
        let admin: Vec<_> = nav_links(Role::Admin).iter().map(|l| l.href).collect();
        assert_eq!(
            admin,
            [
                "/",
                "/pads",
                "/members",
                "/settings",
                "/integrations/lever",
                "/integrations/lever/deliveries",
                "/audit",
                "/account"
            ]
        );
    }
}

/// Why the log-in page was opened, when the console sent people there.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LoginReason {
    /// The person clicked Log out.
    LoggedOut,
    /// A call found the session ended on the server.
    SessionEnded,
    /// A call found that an admin deactivated the account.
    AccessRemoved,
}

impl LoginReason {
    fn code(self) -> &'static str {
        match self {
            LoginReason::LoggedOut => "logged_out",
            LoginReason::SessionEnded => "session_ended",
            LoginReason::AccessRemoved => "access_removed",
        }
    }

    pub fn from_code(code: &str) -> Option<Self> {
        [
            LoginReason::LoggedOut,
            LoginReason::SessionEnded,
            LoginReason::AccessRemoved,
        ]
        .into_iter()
        .find(|reason| reason.code() == code)
    }

    /// What the log-in page says about it; `organization` is the one the session was in, when
    /// this page still knows it (not after a reload).
    pub fn notice(self, organization: Option<&str>) -> String {
        match self {
            LoginReason::LoggedOut => t(Text::LoginReasonLoggedOut).into(),
            LoginReason::SessionEnded => t(Text::LoginReasonSessionEnded).into(),
            LoginReason::AccessRemoved => match organization {
                Some(organization) => tf(
                    Text::LoginReasonAccessRemoved,
                    &[("organization", organization)],
                ),
                None => t(Text::LoginReasonAccessRemovedUnnamed).into(),
            },
        }
    }
}

/// The log-in page's address, remembering the page open now (to return to it) and why.
pub fn login_path(reason: Option<LoginReason>) -> String {
    let location = web_sys::window().map(|w| w.location());
    let here = location
        .map(|l| {
            format!(
                "{}{}",
                l.pathname().unwrap_or_default(),
                l.search().unwrap_or_default()
            )
        })
        .unwrap_or_default();
    login_path_from(&here, reason)
}

/// [`login_path`] for the page at `here` (path and query).
pub fn login_path_from(here: &str, reason: Option<LoginReason>) -> String {
    let mut query = Vec::new();
    if let Some(reason) = reason {
        query.push(format!("reason={}", reason.code()));
    }
    if let Some(next) = safe_next(here).filter(|next| *next != "/" && !next.starts_with("/login")) {
        query.push(format!("next={}", encode_query_value(next)));
    }
    if query.is_empty() {
        "/login".into()
    } else {
        format!("/login?{}", query.join("&"))
    }
}

/// `next` when it is a page of this console (a path on this site), so that a crafted link
/// cannot send people elsewhere after they log in.
pub fn safe_next(next: &str) -> Option<&str> {
    (next.starts_with('/') && !next.starts_with("//") && !next.contains('\\')).then_some(next)
}

/// Percent-encodes a query value (everything but letters, digits, `-._~` and `/`).
fn encode_query_value(value: &str) -> String {
    value
        .bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'.' | b'_' | b'~' | b'/' => {
                (b as char).to_string()
            }
            _ => format!("%{b:02X}"),
        })
        .collect()
}

#[cfg(test)]
mod login_tests {
    use super::*;

    #[test]
    fn the_log_in_page_remembers_where_to_return_and_why() {
        assert_eq!(login_path_from("/", None), "/login");
        assert_eq!(
            login_path_from("/pads?status=ended&q=ada lovelace", None),
            "/login?next=/pads%3Fstatus%3Dended%26q%3Dada%20lovelace"
        );
        assert_eq!(
            login_path_from("/members", Some(LoginReason::SessionEnded)),
            "/login?reason=session_ended&next=/members"
        );
        assert_eq!(
            login_path_from("/", Some(LoginReason::LoggedOut)),
            "/login?reason=logged_out"
        );
        assert_eq!(
            LoginReason::from_code("logged_out"),
            Some(LoginReason::LoggedOut)
        );
        assert_eq!(LoginReason::from_code("nope"), None);
        assert_eq!(
            login_path_from("/pads", Some(LoginReason::AccessRemoved)),
            "/login?reason=access_removed&next=/pads"
        );
        assert_eq!(
            LoginReason::from_code("access_removed"),
            Some(LoginReason::AccessRemoved)
        );
        assert!(
            LoginReason::AccessRemoved
                .notice(Some("Acme"))
                .starts_with("Your access to Acme was removed by an admin.")
        );
        assert!(
            LoginReason::AccessRemoved
                .notice(None)
                .contains("was removed by an admin")
        );
    }

    #[test]
    fn the_notices_speak_the_reader_s_language() {
        assert_eq!(LoginReason::LoggedOut.notice(None), "You are logged out.");
        assert!(
            LoginReason::SessionEnded
                .notice(None)
                .starts_with("Your session ended:")
        );
        assert_eq!(
            LoginReason::AccessRemoved.notice(Some("Acme")),
            "Your access to Acme was removed by an admin. If you think this is a mistake, ask \
             an admin of Acme."
        );
        crate::i18n::set_locale(::api::i18n::Locale::Fr);
        assert!(
            LoginReason::AccessRemoved
                .notice(Some("Acme"))
                .starts_with("Un admin a retiré votre accès à Acme.")
        );
        assert_eq!(
            LoginReason::LoggedOut.notice(Some("Acme")),
            "Vous êtes déconnecté."
        );
        crate::i18n::set_locale(::api::i18n::Locale::En);
    }

    #[test]
    fn only_pages_of_this_site_are_returned_to() {
        assert_eq!(safe_next("/pad/abc"), Some("/pad/abc"));
        for elsewhere in [
            "https://evil.example",
            "//evil.example",
            "/\\evil.example",
            "pads",
        ] {
            assert_eq!(safe_next(elsewhere), None, "{elsewhere}");
        }
    }
}
