//! An SMTP server for the tests, on a free loopback port: it speaks enough of the protocol for a
//! real client (lettre: EHLO, MAIL, RCPT, DATA with dot-stuffing, RSET, NOOP, QUIT), keeps every
//! message it accepts, and can be told to fail as real servers do: not serving, refusing a
//! message for now (451), or dropping the connection after a message, before its answer.

use std::net::SocketAddr;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use tokio::io::{AsyncBufReadExt, AsyncWriteExt, BufReader};
use tokio::net::{TcpListener, TcpStream};
use tokio::task::JoinHandle;

/// The longest line or message the sink reads: a test never needs more.
const MAX_LINE_BYTES: usize = 4 * 1024;
const MAX_MESSAGE_BYTES: usize = 4 * 1024 * 1024;
/// A client that says nothing for this long is dropped (a hung test would hold a task).
const IDLE: Duration = Duration::from_secs(30);

/// A message as the sink accepted it: the envelope and the whole text (headers and body, with
/// the dot-stuffing undone and CRLF line ends).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Received {
    pub from: String,
    pub to: Vec<String>,
    pub data: String,
}

impl Received {
    /// A header's value as sent (unfolded), if the message has it.
    pub fn header(&self, name: &str) -> Option<String> {
        let head = self.data.split("\r\n\r\n").next().unwrap_or_default();
        let mut value: Option<String> = None;
        for line in head.split("\r\n") {
            if let Some(found) = value.as_mut()
                && line.starts_with([' ', '\t'])
            {
                found.push_str(line);
                continue;
            }
            if value.is_some() {
                break;
            }
            if let Some((key, rest)) = line.split_once(':')
                && key.eq_ignore_ascii_case(name)
            {
                value = Some(rest.trim_start().to_string());
            }
        }
        value
    }
}

impl Received {
    /// The decoded body of the first part of this content type (`text/plain`, `text/html`):
    /// what a mail reader shows.
    pub fn part(&self, content_type: &str) -> Option<String> {
        let boundary = self
            .header("Content-Type")?
            .split(';')
            .find_map(|param| param.trim().strip_prefix("boundary="))?
            .trim_matches('"')
            .to_string();
        let body = self.data.split_once("\r\n\r\n")?.1;
        body.split(&format!("--{boundary}")).find_map(|part| {
            let part = part.trim_start_matches("\r\n");
            let (head, content) = part.split_once("\r\n\r\n")?;
            let headers = Received {
                from: String::new(),
                to: Vec::new(),
                data: format!("{head}\r\n\r\n"),
            };
            let kind = headers.header("Content-Type")?;
            if !kind.to_ascii_lowercase().starts_with(content_type) {
                return None;
            }
            let encoding = headers
                .header("Content-Transfer-Encoding")
                .unwrap_or_default()
                .to_ascii_lowercase();
            let content = content.trim_end_matches("\r\n");
            Some(
                match encoding.as_str() {
                    "quoted-printable" => decode_quoted_printable(content),
                    "base64" => {
                        use base64::Engine;
                        let joined: String = content.split_whitespace().collect();
                        let bytes = base64::engine::general_purpose::STANDARD
                            .decode(joined)
                            .expect("a base64 part decodes");
                        String::from_utf8(bytes).expect("a text part is UTF-8")
                    }
                    _ => content.to_string(),
                }
                .replace("\r\n", "\n"),
            )
        })
    }

    /// The plain-text part, decoded.
    pub fn text(&self) -> String {
        self.part("text/plain")
            .expect("the message has a text/plain part")
    }

    /// The first address in the plain-text part that starts with `prefix`.
    pub fn link_starting_with(&self, prefix: &str) -> Option<String> {
        let text = self.text();
        let start = text.find(prefix)?;
        Some(
            text[start..]
                .split(|c: char| c.is_whitespace())
                .next()
                .unwrap_or_default()
                .to_string(),
        )
    }
}

fn decode_quoted_printable(encoded: &str) -> String {
    let mut bytes = Vec::with_capacity(encoded.len());
    let raw = encoded.as_bytes();
    let mut i = 0;
    while i < raw.len() {
        match raw[i] {
            b'=' if raw[i + 1..].starts_with(b"\r\n") => i += 3,
            b'=' if i + 2 < raw.len() => {
                let hex = std::str::from_utf8(&raw[i + 1..i + 3]).unwrap_or("");
                match u8::from_str_radix(hex, 16) {
                    Ok(byte) => {
                        bytes.push(byte);
                        i += 3;
                    }
                    Err(_) => {
                        bytes.push(b'=');
                        i += 1;
                    }
                }
            }
            byte => {
                bytes.push(byte);
                i += 1;
            }
        }
    }
    String::from_utf8(bytes).expect("a text part is UTF-8")
}

#[derive(Default)]
struct Faults {
    /// Greets with 421 and hangs up, as a server that is down for maintenance does.
    not_serving: bool,
    /// The next this many messages are answered 451 (try again later) after their data.
    refuse_next: u32,
    /// The next this many messages are kept but the connection drops before the answer, so
    /// the client cannot know they arrived.
    drop_next_answer: u32,
    /// The next this many messages are kept and never answered: the connection stays open,
    /// silent, until the client gives up (a server that hangs).
    hang_next_answer: u32,
}

#[derive(Default)]
struct Shared {
    messages: Mutex<Vec<Received>>,
    faults: Mutex<Faults>,
}

pub struct SmtpSink {
    address: SocketAddr,
    shared: Arc<Shared>,
    task: JoinHandle<()>,
}

impl SmtpSink {
    pub async fn start() -> SmtpSink {
        let listener = TcpListener::bind("127.0.0.1:0")
            .await
            .expect("a loopback port for the SMTP sink");
        let address = listener.local_addr().expect("the sink's address");
        let shared = Arc::new(Shared::default());
        let accepting = shared.clone();
        let task = tokio::spawn(async move {
            while let Ok((stream, _)) = listener.accept().await {
                let shared = accepting.clone();
                tokio::spawn(async move {
                    let _ = tokio::time::timeout(IDLE * 4, serve(stream, shared)).await;
                });
            }
        });
        SmtpSink {
            address,
            shared,
            task,
        }
    }

    /// `smtp://127.0.0.1:<port>`: plain SMTP, as `STAGEPAD_SMTP_URL` takes it.
    pub fn url(&self) -> String {
        format!("smtp://{}", self.address)
    }

    /// What `Settings` need to send their mail here.
    pub fn settings(&self) -> impl Fn(&mut server::Settings) + Send + Sync + 'static {
        let url = self.url();
        move |settings| {
            let lookup = |name: &str| match name {
                "STAGEPAD_SMTP_URL" => Some(url.clone()),
                "STAGEPAD_MAIL_FROM" => Some("Stagepad <pads@stagepad.test>".to_string()),
                _ => None,
            };
            settings.mail = server::mail::MailSettings::from_lookup(&lookup, &settings.public_url)
                .expect("the sink's mail settings parse");
        }
    }

    /// Every message accepted so far, oldest first.
    pub fn messages(&self) -> Vec<Received> {
        self.shared.messages.lock().expect("sink").clone()
    }

    /// Waits until at least `count` messages have arrived, and returns them all.
    pub async fn wait_for(&self, count: usize) -> Vec<Received> {
        crate::poll::wait_for(
            &format!("{count} message(s) at the SMTP sink"),
            Duration::from_secs(20),
            || async {
                let messages = self.messages();
                (messages.len() >= count).then_some(messages)
            },
        )
        .await
    }

    /// While set, every connection is greeted with 421 and closed: the server is down.
    pub fn set_serving(&self, serving: bool) {
        self.shared.faults.lock().expect("sink").not_serving = !serving;
    }

    /// The next `count` messages are refused for now (451) after their data.
    pub fn refuse_next(&self, count: u32) {
        self.shared.faults.lock().expect("sink").refuse_next = count;
    }

    /// The next `count` messages are kept, but the connection drops before the answer.
    pub fn drop_next_answer(&self, count: u32) {
        self.shared.faults.lock().expect("sink").drop_next_answer = count;
    }

    /// The next `count` messages are kept and never answered, the connection left open.
    pub fn hang_next_answer(&self, count: u32) {
        self.shared.faults.lock().expect("sink").hang_next_answer = count;
    }
}

impl Drop for SmtpSink {
    fn drop(&mut self) {
        self.task.abort();
    }
}

/// What happens to a message once its data is in.
enum Verdict {
    Accept,
    Refuse,
    AcceptSilently,
    Hang,
}

async fn serve(stream: TcpStream, shared: Arc<Shared>) -> std::io::Result<()> {
    let (read, mut write) = stream.into_split();
    let mut lines = BufReader::new(read);
    if shared.faults.lock().expect("sink").not_serving {
        write
            .write_all(b"421 4.3.2 Service not available, closing channel\r\n")
            .await?;
        return Ok(());
    }
    write.write_all(b"220 stagepad-test-sink ESMTP\r\n").await?;
    let mut from: Option<String> = None;
    let mut to: Vec<String> = Vec::new();
    loop {
        let Some(line) = read_line(&mut lines).await? else {
            return Ok(());
        };
        let (verb, argument) = line.split_once(' ').unwrap_or((line.as_str(), ""));
        let reply: &[u8] = match verb.to_ascii_uppercase().as_str() {
            "EHLO" => {
                from = None;
                to.clear();
                b"250-stagepad-test-sink\r\n250-8BITMIME\r\n250-SMTPUTF8\r\n250 OK\r\n"
            }
            "HELO" => b"250 stagepad-test-sink\r\n",
            "MAIL" => match address_after(argument, "FROM:") {
                Some(sender) => {
                    from = Some(sender);
                    to.clear();
                    b"250 2.1.0 OK\r\n"
                }
                None => b"501 5.5.4 Syntax: MAIL FROM:<address>\r\n",
            },
            "RCPT" => match (&from, address_after(argument, "TO:")) {
                (None, _) => b"503 5.5.1 MAIL first\r\n",
                (Some(_), Some(recipient)) => {
                    to.push(recipient);
                    b"250 2.1.5 OK\r\n"
                }
                (Some(_), None) => b"501 5.5.4 Syntax: RCPT TO:<address>\r\n",
            },
            "DATA" if from.is_none() || to.is_empty() => b"503 5.5.1 RCPT first\r\n",
            "DATA" => {
                write
                    .write_all(b"354 End data with <CR><LF>.<CR><LF>\r\n")
                    .await?;
                let Some(data) = read_data(&mut lines).await? else {
                    return Ok(());
                };
                let message = Received {
                    from: from.take().unwrap_or_default(),
                    to: std::mem::take(&mut to),
                    data,
                };
                match verdict(&shared) {
                    Verdict::Refuse => b"451 4.3.0 Try again later\r\n",
                    Verdict::AcceptSilently => {
                        shared.messages.lock().expect("sink").push(message);
                        return Ok(());
                    }
                    Verdict::Hang => {
                        shared.messages.lock().expect("sink").push(message);
                        // Silent until the client hangs up (or the idle bound ends the test's
                        // connection anyway).
                        let mut rest = Vec::new();
                        let _ = tokio::time::timeout(
                            IDLE,
                            tokio::io::AsyncReadExt::read_to_end(&mut lines, &mut rest),
                        )
                        .await;
                        return Ok(());
                    }
                    Verdict::Accept => {
                        shared.messages.lock().expect("sink").push(message);
                        b"250 2.0.0 Queued\r\n"
                    }
                }
            }
            "RSET" => {
                from = None;
                to.clear();
                b"250 2.0.0 OK\r\n"
            }
            "NOOP" => b"250 2.0.0 OK\r\n",
            "QUIT" => {
                write.write_all(b"221 2.0.0 Bye\r\n").await?;
                return Ok(());
            }
            _ => b"502 5.5.2 Command not recognized\r\n",
        };
        write.write_all(reply).await?;
    }
}

fn verdict(shared: &Shared) -> Verdict {
    let mut faults = shared.faults.lock().expect("sink");
    if faults.refuse_next > 0 {
        faults.refuse_next -= 1;
        Verdict::Refuse
    } else if faults.drop_next_answer > 0 {
        faults.drop_next_answer -= 1;
        Verdict::AcceptSilently
    } else if faults.hang_next_answer > 0 {
        faults.hang_next_answer -= 1;
        Verdict::Hang
    } else {
        Verdict::Accept
    }
}

/// `<ada@example.com>` after `FROM:` or `TO:` (parameters such as `BODY=8BITMIME` after it are
/// ignored).
fn address_after(argument: &str, keyword: &str) -> Option<String> {
    let rest = argument
        .get(..keyword.len())
        .filter(|head| head.eq_ignore_ascii_case(keyword))
        .map(|_| argument[keyword.len()..].trim_start())?;
    let inner = rest.strip_prefix('<')?.split_once('>')?.0;
    Some(inner.to_string())
}

/// One command line without its CRLF; none once the client hangs up or idles.
async fn read_line(
    lines: &mut BufReader<tokio::net::tcp::OwnedReadHalf>,
) -> std::io::Result<Option<String>> {
    let mut line = Vec::new();
    let read = tokio::time::timeout(IDLE, lines.read_until(b'\n', &mut line)).await;
    match read {
        Ok(Ok(0)) | Err(_) => Ok(None),
        Ok(Ok(_)) if line.len() > MAX_LINE_BYTES => Ok(None),
        Ok(Ok(_)) => {
            let text = String::from_utf8_lossy(&line);
            Ok(Some(text.trim_end_matches(['\r', '\n']).to_string()))
        }
        Ok(Err(e)) => Err(e),
    }
}

/// The message after DATA, up to the line holding only a dot, with a leading doubled dot made
/// single again; none if the client hangs up first or sends too much.
async fn read_data(
    lines: &mut BufReader<tokio::net::tcp::OwnedReadHalf>,
) -> std::io::Result<Option<String>> {
    let mut data = String::new();
    let mut first = true;
    loop {
        let Some(line) = read_line(lines).await? else {
            return Ok(None);
        };
        if line == "." {
            return Ok(Some(data));
        }
        // The CRLF before the final dot belongs to it: lines are joined, not ended, by CRLF.
        if !first {
            data.push_str("\r\n");
        }
        first = false;
        data.push_str(line.strip_prefix('.').unwrap_or(&line));
        if data.len() > MAX_MESSAGE_BYTES {
            return Ok(None);
        }
    }
}

#[cfg(test)]
mod tests {
    use lettre::message::Mailbox;
    use lettre::transport::smtp::extension::ClientId;
    use lettre::{AsyncSmtpTransport, AsyncTransport, Message, Tokio1Executor};

    use super::*;

    fn mailer(sink: &SmtpSink) -> AsyncSmtpTransport<Tokio1Executor> {
        AsyncSmtpTransport::<Tokio1Executor>::from_url(&sink.url())
            .expect("the sink's URL")
            .hello_name(ClientId::Domain("tests.stagepad.test".into()))
            .timeout(Some(Duration::from_secs(5)))
            .build()
    }

    fn message(id: &str) -> Message {
        Message::builder()
            .from(
                "Stagepad <noreply@stagepad.test>"
                    .parse::<Mailbox>()
                    .unwrap(),
            )
            .to("Ada Lovelace <ada@example.com>".parse::<Mailbox>().unwrap())
            .subject("Your interview link")
            .message_id(Some(format!("<{id}@stagepad.test>")))
            .body("Hello Ada,\n.a line that starts with a dot\n".to_string())
            .unwrap()
    }

    #[tokio::test]
    async fn a_real_client_delivers_through_the_sink_and_meets_its_faults() {
        let sink = SmtpSink::start().await;
        let mailer = mailer(&sink);

        mailer.send(message("first")).await.expect("delivered");
        let [first] = sink.wait_for(1).await.try_into().expect("one message");
        assert_eq!(first.from, "noreply@stagepad.test");
        assert_eq!(first.to, ["ada@example.com"]);
        assert_eq!(
            first.header("Message-ID").as_deref(),
            Some("<first@stagepad.test>")
        );
        assert_eq!(
            first.header("subject").as_deref(),
            Some("Your interview link")
        );
        assert!(
            first
                .data
                .ends_with("\r\n\r\nHello Ada,\r\n.a line that starts with a dot\r\n"),
            "{:?}",
            first.data
        );

        // Refused for now: the client is told to try again, and nothing is kept.
        sink.refuse_next(1);
        let refused = mailer.send(message("second")).await.unwrap_err();
        assert!(refused.is_transient(), "{refused}");
        // Down: the client cannot deliver; back up, it can.
        sink.set_serving(false);
        assert!(mailer.send(message("second")).await.is_err());
        sink.set_serving(true);
        mailer.send(message("second")).await.expect("delivered");
        // Kept, but the answer is lost: the client sees an error although the message arrived.
        sink.drop_next_answer(1);
        assert!(mailer.send(message("third")).await.is_err());
        let ids: Vec<String> = sink
            .wait_for(3)
            .await
            .iter()
            .filter_map(|m| m.header("message-id"))
            .collect();
        assert_eq!(
            ids,
            [
                "<first@stagepad.test>",
                "<second@stagepad.test>",
                "<third@stagepad.test>"
            ]
        );
    }
}
