//! The mail server, behind [`Mailer`]: SMTP through lettre, one connection a message. The
//! session is driven step by step so that a failure says whether the message can have been
//! taken: only a connection lost after the message's last line leaves that open.

use std::fmt;
use std::net::IpAddr;
use std::time::Duration;

use async_trait::async_trait;
use lettre::address::Envelope;
use lettre::transport::smtp::authentication::{Credentials, Mechanism};
use lettre::transport::smtp::client::{AsyncSmtpConnection, TlsParameters};
use lettre::transport::smtp::commands::{Data, Mail, Rcpt};
use lettre::transport::smtp::extension::{ClientId, Extension, MailBodyParameter, MailParameter};

/// How long one step of an SMTP session may take by default (lettre bounds only the TCP
/// connect; a server that stops answering must not hold a job slot for ever).
const STEP_TIMEOUT: Duration = Duration::from_secs(20);
/// How long a goodbye may take once the message is taken or the session failed.
const GOODBYE_TIMEOUT: Duration = Duration::from_secs(5);

fn timed_out(step: &str, limit: Duration) -> String {
    format!("the mail server did not answer {step} within {limit:?}")
}

/// No answer: the server is down or slow, worth another try.
fn unanswered(step: &str, limit: Duration) -> SendError {
    SendError::NotSent {
        transient: true,
        code: None,
        detail: timed_out(step, limit),
    }
}

/// Why a message was not sent, or may not have been. `detail` is for the operator's log only:
/// it may quote the mail server, which tenants must not read.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SendError {
    /// The message was not taken. `transient`: the server is down, busy or refused it for now
    /// (4xx, or no answer); trying later can work. Otherwise it refused it for good (5xx), or
    /// cannot take it at all. `code`: the server's reply code, when it answered.
    NotSent {
        transient: bool,
        code: Option<u16>,
        detail: String,
    },
    /// The whole message went out but its answer never came: the server may have taken it.
    Unconfirmed { detail: String },
    /// The gate stayed shut: nothing was sent.
    Stopped,
}

/// Asked once the mail server is connected and ready, just before the message is handed over:
/// records that sending begins (as late as possible, so that a crash before it leaves the
/// message plainly unsent). False: do not send.
#[async_trait]
pub trait SendGate: Send + Sync {
    async fn opening(&self) -> bool;
}

/// Hands messages to a mail server.
#[async_trait]
pub trait Mailer: Send + Sync {
    /// Sends one formatted message to the envelope's recipients once `gate` opens; the
    /// server's answer on success.
    async fn send(
        &self,
        envelope: &Envelope,
        message: &[u8],
        gate: &dyn SendGate,
    ) -> Result<String, SendError>;
}

/// How the connection is secured, as `STAGEPAD_SMTP_URL` says.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Security {
    /// `smtp://`: plain text (a relay on the same host or network).
    None,
    /// `smtp://…?tls=required`: STARTTLS, refusing a server that cannot.
    StartTls,
    /// `smtp://…?tls=opportunistic`: STARTTLS when the server offers it.
    Opportunistic,
    /// `smtps://`: TLS from the first byte.
    Wrapper,
}

/// The mail server of `STAGEPAD_SMTP_URL`. Its password never shows in `Debug`.
#[derive(Clone)]
pub struct SmtpServer {
    pub host: String,
    pub port: u16,
    pub security: Security,
    credentials: Option<(String, String)>,
    /// The name Stagepad greets with (`EHLO`).
    hello: ClientId,
    /// How long one step of a session may take (not from the environment; tests shorten it).
    pub step_timeout: Duration,
}

impl fmt::Debug for SmtpServer {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SmtpServer")
            .field("host", &self.host)
            .field("port", &self.port)
            .field("security", &self.security)
            .field("user", &self.credentials.as_ref().map(|(user, _)| user))
            .field("password", &self.credentials.as_ref().map(|_| "[hidden]"))
            .finish()
    }
}

impl SmtpServer {
    /// Reads `smtp://[user:password@]host[:port][?tls=required|opportunistic]` or
    /// `smtps://…`; `hello` is the host Stagepad is reached at (its public URL's).
    pub fn parse(raw: &str, hello: &str) -> Result<Self, String> {
        let url = url::Url::parse(raw.trim()).map_err(|_| {
            "must be an address such as smtp://user:password@mail.example.com:587?tls=required"
                .to_string()
        })?;
        let host = url
            .host_str()
            .filter(|host| !host.is_empty())
            .ok_or("names no host")?
            .trim_start_matches('[')
            .trim_end_matches(']')
            .to_string();
        let tls = url
            .query_pairs()
            .find(|(key, _)| key == "tls")
            .map(|(_, value)| value.into_owned());
        let (security, default_port) = match (url.scheme(), tls.as_deref()) {
            ("smtp", None) => (Security::None, 25),
            ("smtp", Some("required")) => (Security::StartTls, 587),
            ("smtp", Some("opportunistic")) => (Security::Opportunistic, 587),
            ("smtps", None) => (Security::Wrapper, 465),
            (scheme, tls) => {
                return Err(format!(
                    "the scheme {scheme:?} with tls={tls:?} is not one of smtp://, \
                     smtp://…?tls=required, smtp://…?tls=opportunistic or smtps://"
                ));
            }
        };
        let decode = |part: &str| {
            percent_encoding::percent_decode_str(part)
                .decode_utf8()
                .map(|decoded| decoded.into_owned())
                .map_err(|_| "its user or password is not UTF-8 once decoded".to_string())
        };
        let credentials = match (url.username(), url.password()) {
            ("", None) => None,
            (user, Some(password)) => Some((decode(user)?, decode(password)?)),
            (_, None) => return Err("names a user without a password".into()),
        };
        let encrypted = matches!(security, Security::StartTls | Security::Wrapper);
        let loopback =
            host == "localhost" || host.parse::<IpAddr>().is_ok_and(|ip| ip.is_loopback());
        if credentials.is_some() && !encrypted && !loopback {
            return Err(
                "sends a password, so it must use TLS: smtps://… or smtp://…?tls=required".into(),
            );
        }
        let hello = match hello.parse::<IpAddr>() {
            Ok(IpAddr::V4(ip)) => ClientId::Ipv4(ip),
            Ok(IpAddr::V6(ip)) => ClientId::Ipv6(ip),
            Err(_) => ClientId::Domain(hello.to_string()),
        };
        Ok(Self {
            host,
            port: url.port().unwrap_or(default_port),
            security,
            credentials,
            hello,
            step_timeout: STEP_TIMEOUT,
        })
    }

    fn tls(&self) -> Result<TlsParameters, SendError> {
        TlsParameters::new(self.host.clone()).map_err(|e| SendError::NotSent {
            transient: false,
            code: None,
            detail: format!("TLS cannot be set up for {}: {e}", self.host),
        })
    }
}

/// Sends through [`SmtpServer`], one connection a message (Stagepad sends few).
pub struct SmtpMailer {
    server: SmtpServer,
}

impl SmtpMailer {
    pub fn new(server: SmtpServer) -> Self {
        Self { server }
    }

    /// Connects, secures and logs in, within a step's time: every failure here leaves the
    /// message unsent, and may pass (a certificate or password being fixed), so it is tried
    /// again.
    async fn open(&self) -> Result<AsyncSmtpConnection, SendError> {
        let step = self.server.step_timeout;
        match tokio::time::timeout(step * 3, self.open_unbounded()).await {
            Ok(opened) => opened.map_err(|e| match e {
                SendError::NotSent { code, detail, .. } => SendError::NotSent {
                    transient: true,
                    code,
                    detail,
                },
                other => other,
            }),
            Err(_) => Err(unanswered("the greeting, TLS or log-in", step * 3)),
        }
    }

    async fn open_unbounded(&self) -> Result<AsyncSmtpConnection, SendError> {
        let server = &self.server;
        let wrapper = match server.security {
            Security::Wrapper => Some(server.tls()?),
            _ => None,
        };
        let mut connection = AsyncSmtpConnection::connect_tokio1(
            (server.host.as_str(), server.port),
            Some(server.step_timeout),
            &server.hello,
            wrapper,
            None,
        )
        .await
        .map_err(not_sent)?;
        let upgrade = match server.security {
            Security::StartTls => true,
            Security::Opportunistic => connection.can_starttls(),
            Security::None | Security::Wrapper => false,
        };
        if upgrade && let Err(e) = connection.starttls(server.tls()?, &server.hello).await {
            connection.abort().await;
            return Err(not_sent(e));
        }
        if let Some((user, password)) = &server.credentials {
            let credentials = Credentials::new(user.clone(), password.clone());
            if let Err(e) = connection
                .auth(&[Mechanism::Plain, Mechanism::Login], &credentials)
                .await
            {
                connection.abort().await;
                return Err(not_sent(e));
            }
        }
        Ok(connection)
    }
}

async fn abort(connection: &mut AsyncSmtpConnection) {
    let _ = tokio::time::timeout(GOODBYE_TIMEOUT, connection.abort()).await;
}

/// A failure before the message's last line: it was not taken.
fn not_sent(e: lettre::transport::smtp::Error) -> SendError {
    SendError::NotSent {
        // A 5xx answer, or a client-side impossibility, fails the same way next time.
        transient: !(e.is_permanent() || e.is_client() || e.is_tls()),
        code: e.status().and_then(|code| code.to_string().parse().ok()),
        detail: e.to_string(),
    }
}

#[async_trait]
impl Mailer for SmtpMailer {
    async fn send(
        &self,
        envelope: &Envelope,
        message: &[u8],
        gate: &dyn SendGate,
    ) -> Result<String, SendError> {
        let mut connection = self.open().await?;
        let info = connection.server_info();
        let mut options = Vec::new();
        let non_ascii = envelope
            .from()
            .into_iter()
            .chain(envelope.to())
            .any(|address| !AsRef::<str>::as_ref(address).is_ascii());
        if non_ascii {
            if !info.supports_feature(Extension::SmtpUtfEight) {
                abort(&mut connection).await;
                return Err(SendError::NotSent {
                    transient: false,
                    code: None,
                    detail: "the address is not ASCII and the mail server does not take \
                             such addresses (SMTPUTF8)"
                        .into(),
                });
            }
            options.push(MailParameter::SmtpUtfEight);
        }
        if !message.is_ascii() && info.supports_feature(Extension::EightBitMime) {
            options.push(MailParameter::Body(MailBodyParameter::EightBitMime));
        }
        if !gate.opening().await {
            abort(&mut connection).await;
            return Err(SendError::Stopped);
        }
        let before_data = async {
            connection
                .command(Mail::new(envelope.from().cloned(), options))
                .await?;
            for to in envelope.to() {
                connection.command(Rcpt::new(to.clone(), vec![])).await?;
            }
            connection.command(Data).await
        };
        let step = self.server.step_timeout;
        match tokio::time::timeout(step, before_data).await {
            Ok(Ok(_)) => {}
            Ok(Err(e)) => {
                abort(&mut connection).await;
                return Err(not_sent(e));
            }
            Err(_) => {
                abort(&mut connection).await;
                return Err(unanswered("MAIL, RCPT or DATA", step));
            }
        }
        let answer = tokio::time::timeout(step, connection.message(message)).await;
        match answer {
            Ok(Ok(response)) => {
                // The message is taken; a failed or slow goodbye changes nothing.
                let _ = tokio::time::timeout(GOODBYE_TIMEOUT, connection.quit()).await;
                Ok(response.message().collect::<Vec<_>>().join(" "))
            }
            // An answer, even a refusal, says the message was not taken.
            Ok(Err(e)) if e.status().is_some() => {
                abort(&mut connection).await;
                Err(not_sent(e))
            }
            Ok(Err(e)) => {
                abort(&mut connection).await;
                Err(SendError::Unconfirmed {
                    detail: e.to_string(),
                })
            }
            Err(_) => {
                abort(&mut connection).await;
                Err(SendError::Unconfirmed {
                    detail: timed_out("the end of the message", step),
                })
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn urls_name_the_server_its_security_and_the_login() {
        let plain = SmtpServer::parse("smtp://127.0.0.1:2525", "pads.example.com").unwrap();
        assert_eq!(
            (plain.host.as_str(), plain.port, plain.security),
            ("127.0.0.1", 2525, Security::None)
        );
        assert!(plain.credentials.is_none());
        let starttls = SmtpServer::parse(
            "smtp://apikey:s%40cret@mail.example.com?tls=required",
            "pads.example.com",
        )
        .unwrap();
        assert_eq!(
            (starttls.port, starttls.security),
            (587, Security::StartTls)
        );
        assert_eq!(
            starttls.credentials,
            Some(("apikey".to_string(), "s@cret".to_string()))
        );
        let wrapper = SmtpServer::parse("smtps://u:p@mail.example.com", "127.0.0.1").unwrap();
        // A password over plain text only to this machine.
        assert!(SmtpServer::parse("smtp://u:p@127.0.0.1:2525", "h").is_ok());
        assert_eq!((wrapper.port, wrapper.security), (465, Security::Wrapper));
        assert_eq!(wrapper.hello, ClientId::Ipv4([127, 0, 0, 1].into()));
        let debug = format!("{starttls:?}");
        assert!(
            !debug.contains("s@cret") && debug.contains("[hidden]"),
            "{debug}"
        );
    }

    #[test]
    fn unusable_urls_are_refused_with_the_reason() {
        for bad in [
            "mail.example.com",
            "http://mail.example.com",
            "smtp://mail.example.com?tls=maybe",
            "smtps://mail.example.com?tls=required",
            "smtp://user@mail.example.com",
            "smtp://user:password@mail.example.com",
            "smtp://user:password@mail.example.com?tls=opportunistic",
            "smtp://",
        ] {
            assert!(SmtpServer::parse(bad, "h").is_err(), "{bad}");
        }
    }
}
