//! nginx in front of Stagepad instances, as deployed: the committed example configuration
//! (`deploy/nginx/stagepad.conf`) with only its listen ports, certificate paths and upstream
//! servers swapped for the test's, a certificate signed by an authority made for the test, and
//! an access log that names the instance which answered each request.
//!
//! Needs Debian's nginx and the openssl command (`scripts/install-tools.sh --test`).

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::Arc;
use std::time::{Duration, Instant};

use rustls::pki_types::CertificateDer;
use rustls::pki_types::pem::PemObject;

/// The example configuration the README documents.
pub fn example_config_path() -> PathBuf {
    PathBuf::from(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../deploy/nginx/stagepad.conf"
    ))
}

/// The nginx binary: `STAGEPAD_TEST_NGINX`, or Debian's.
fn nginx_path() -> String {
    std::env::var("STAGEPAD_TEST_NGINX").unwrap_or_else(|_| "/usr/sbin/nginx".into())
}

/// A certificate authority made for one test: clients that should reach the proxy trust it.
#[derive(Clone)]
pub struct TestCa {
    pem: Vec<u8>,
}

impl TestCa {
    pub fn certificate(&self) -> reqwest::Certificate {
        reqwest::Certificate::from_pem(&self.pem).expect("the test CA's certificate")
    }

    /// A TLS client configuration that trusts this authority only (for WebSocket clients).
    pub fn rustls_config(&self) -> Arc<rustls::ClientConfig> {
        crate::app::install_crypto_provider();
        let mut roots = rustls::RootCertStore::empty();
        let certificate =
            CertificateDer::from_pem_slice(&self.pem).expect("the test CA's certificate");
        roots.add(certificate).expect("a usable root");
        Arc::new(
            rustls::ClientConfig::builder()
                .with_root_certificates(roots)
                .with_no_client_auth(),
        )
    }
}

/// A request as nginx's access log has it.
#[derive(Debug, Clone)]
pub struct LoggedRequest {
    /// The address that connected to nginx.
    pub client: String,
    pub status: u16,
    /// The instances nginx passed it to (the last answered), none when nginx answered itself.
    pub instances: Vec<String>,
    /// The request line: `GET /readyz HTTP/1.1`.
    pub request: String,
}

/// nginx with the example configuration, on loopback ports of its own. Dropping it stops it.
pub struct Nginx {
    https_port: u16,
    http_port: u16,
    ca: TestCa,
    dir: tempfile::TempDir,
    process: Option<Child>,
}

impl Nginx {
    /// Picks the ports and makes the certificate (for `localhost` and `127.0.0.1`). nginx runs
    /// once [`Nginx::start`] knows the instances, which need its URL as their public URL first.
    pub fn prepare() -> Nginx {
        let dir = tempfile::tempdir().expect("a folder for nginx");
        // nginx's workers (user nobody when started as root) go through it to their temp files.
        set_mode(dir.path(), 0o755);
        let ca = make_certificates(dir.path());
        let https_port = free_port();
        let http_port = std::iter::repeat_with(free_port)
            .find(|port| *port != https_port)
            .expect("a second port");
        Nginx {
            https_port,
            http_port,
            ca,
            dir,
            process: None,
        }
    }

    /// `https://127.0.0.1:<port>`: what people, Lever and the pad sockets reach.
    pub fn url(&self) -> String {
        format!("https://127.0.0.1:{}", self.https_port)
    }

    /// Plain http, which only redirects to https.
    pub fn http_url(&self) -> String {
        format!("http://127.0.0.1:{}", self.http_port)
    }

    pub fn ca(&self) -> &TestCa {
        &self.ca
    }

    /// What an instance behind this proxy is configured with: the proxy's URL as the public
    /// URL, and nginx (connecting from 127.0.0.1) as the only trusted proxy.
    pub fn instance_settings(&self) -> impl Fn(&mut server::Settings) + Send + Sync + 'static {
        let url = self.url();
        move |settings| {
            settings.public_url = url.clone();
            settings.trusted_proxies = server::proxy::TrustedProxies::parse(
                "127.0.0.1",
                server::proxy::ForwardedHeader::XForwardedFor,
            )
            .expect("a trusted proxy");
        }
    }

    /// The example configuration as this proxy runs it: listening on its ports, with its
    /// certificate, in front of Stagepad instances on these loopback ports.
    pub fn config(&self, instances: &[u16]) -> String {
        let example = std::fs::read_to_string(example_config_path())
            .expect("deploy/nginx/stagepad.conf is readable");
        let cert = self.dir.path().join("server.pem");
        let key = self.dir.path().join("server.key");
        let config = swap(
            &example,
            "listen 443 ssl;",
            &format!("listen 127.0.0.1:{} ssl;", self.https_port),
        );
        let config = swap(
            &config,
            "listen 80;",
            &format!("listen 127.0.0.1:{};", self.http_port),
        );
        let config = swap(
            &config,
            "/etc/letsencrypt/live/pads.example.com/fullchain.pem",
            &cert.display().to_string(),
        );
        let config = swap(
            &config,
            "/etc/letsencrypt/live/pads.example.com/privkey.pem",
            &key.display().to_string(),
        );
        let servers: Vec<String> = instances
            .iter()
            .map(|port| format!("server 127.0.0.1:{port};"))
            .collect();
        swap_upstream_servers(&config, &servers)
    }

    /// Starts nginx in front of the instances on these loopback ports, and waits until it
    /// accepts connections.
    pub async fn start(&mut self, instances: &[u16]) {
        assert!(self.process.is_none(), "nginx runs already");
        let dir = self.dir.path();
        std::fs::write(dir.join("stagepad.conf"), self.config(instances))
            .expect("write the site's configuration");
        std::fs::create_dir_all(dir.join("temp")).expect("nginx's temp folder");
        set_mode(&dir.join("temp"), 0o755);
        // The main configuration, as Debian's /etc/nginx/nginx.conf includes conf.d/*.conf
        // (one worker: requests take the upstream servers strictly in turn).
        let main = format!(
            r#"worker_processes 1;
pid {dir}/nginx.pid;
error_log {dir}/error.log info;
events {{ worker_connections 512; }}
http {{
    log_format upstream '$remote_addr $status [$upstream_addr] $request';
    access_log {dir}/access.log upstream;
    client_body_temp_path {dir}/temp/body;
    proxy_temp_path {dir}/temp/proxy;
    fastcgi_temp_path {dir}/temp/fastcgi;
    uwsgi_temp_path {dir}/temp/uwsgi;
    scgi_temp_path {dir}/temp/scgi;
    include {dir}/stagepad.conf;
}}
"#,
            dir = dir.display()
        );
        std::fs::write(dir.join("nginx.conf"), main).expect("write nginx.conf");
        let mut command = Command::new(nginx_path());
        command
            .arg("-p")
            .arg(dir)
            .arg("-c")
            .arg(dir.join("nginx.conf"))
            .arg("-e")
            .arg(dir.join("error.log"))
            .args(["-g", "daemon off;"])
            // nginx reads listening sockets to inherit from `NGINX`.
            .env_remove("NGINX")
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null());
        stop_with_parent(&mut command);
        let process = command.spawn().unwrap_or_else(|e| {
            panic!(
                "nginx runs ({}: {e}; `scripts/install-tools.sh --test` installs Debian's)",
                nginx_path()
            )
        });
        self.process = Some(process);
        let address = format!("127.0.0.1:{}", self.https_port);
        let give_up = Instant::now() + Duration::from_secs(15);
        while tokio::net::TcpStream::connect(&address).await.is_err() {
            if let Some(status) = self.process.as_mut().and_then(|p| p.try_wait().ok()?) {
                self.process = None;
                panic!("nginx exited ({status}):\n{}", self.error_log());
            }
            assert!(
                Instant::now() < give_up,
                "nginx does not accept on {address}:\n{}",
                self.error_log()
            );
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    }

    /// The requests nginx answered so far, in the order they ended (a WebSocket's when it
    /// closed).
    pub fn requests(&self) -> Vec<LoggedRequest> {
        self.access_log()
            .lines()
            .map(|line| {
                let parse = || {
                    let (client, rest) = line.split_once(' ')?;
                    let (status, rest) = rest.split_once(" [")?;
                    let (upstreams, request) = rest.split_once("] ")?;
                    Some(LoggedRequest {
                        client: client.to_string(),
                        status: status.parse().ok()?,
                        // "-" when nginx answered itself; "a, b" when it tried a then b.
                        instances: upstreams
                            .split(", ")
                            .filter(|u| *u != "-")
                            .map(str::to_string)
                            .collect(),
                        request: request.to_string(),
                    })
                };
                parse().unwrap_or_else(|| panic!("an access log line: {line}"))
            })
            .collect()
    }

    /// The instances (`127.0.0.1:<port>`) that answered requests so far.
    pub fn instances_used(&self) -> BTreeSet<String> {
        self.requests()
            .into_iter()
            .flat_map(|request| request.instances)
            .collect()
    }

    /// nginx's access log: `client status [instances] request` a line.
    pub fn access_log(&self) -> String {
        std::fs::read_to_string(self.dir.path().join("access.log")).unwrap_or_default()
    }

    pub fn error_log(&self) -> String {
        std::fs::read_to_string(self.dir.path().join("error.log")).unwrap_or_default()
    }

    /// Stops nginx (SIGTERM to its master process, which stops its worker) and waits for it.
    pub fn stop(&mut self) {
        let Some(mut process) = self.process.take() else {
            return;
        };
        if let Ok(pid) = i32::try_from(process.id())
            && pid > 1
            && matches!(process.try_wait(), Ok(None))
        {
            #[allow(unsafe_code)]
            // SAFETY: kill only sends a signal, to the nginx master this harness started (a
            // child not yet waited for, so the pid is still its own).
            unsafe {
                libc::kill(pid, libc::SIGTERM);
            }
        }
        let give_up = Instant::now() + Duration::from_secs(5);
        while matches!(process.try_wait(), Ok(None)) && Instant::now() < give_up {
            std::thread::sleep(Duration::from_millis(20));
        }
        if matches!(process.try_wait(), Ok(None)) {
            let _ = process.kill();
        }
        let _ = process.wait();
    }
}

impl Drop for Nginx {
    fn drop(&mut self) {
        self.stop();
    }
}

/// nginx gets SIGTERM if the test's thread ends without stopping it (a test process killed,
/// say), so that no proxy outlives its test.
fn stop_with_parent(command: &mut Command) {
    #[allow(unsafe_code)]
    // SAFETY: the closure runs between fork and exec and only calls prctl, which is
    // async-signal-safe.
    unsafe {
        std::os::unix::process::CommandExt::pre_exec(command, || {
            if libc::prctl(libc::PR_SET_PDEATHSIG, libc::SIGTERM) == -1 {
                return Err(std::io::Error::last_os_error());
            }
            Ok(())
        });
    }
}

/// `text` with the one `from` outside comments replaced by `to`; a missing value means the
/// example changed under the harness, which must then change too.
fn swap(text: &str, from: &str, to: &str) -> String {
    let is_directive = |line: &&str| !line.trim_start().starts_with('#');
    assert_eq!(
        text.lines()
            .filter(is_directive)
            .map(|line| line.matches(from).count())
            .sum::<usize>(),
        1,
        "deploy/nginx/stagepad.conf should contain `{from}` once (the test replaces it)"
    );
    let lines: Vec<String> = text
        .lines()
        .map(|line| {
            if is_directive(&line) {
                line.replace(from, to)
            } else {
                line.to_string()
            }
        })
        .collect();
    lines.join("\n") + "\n"
}

/// The `server` lines of the `upstream stagepad` block replaced by `servers`.
fn swap_upstream_servers(text: &str, servers: &[String]) -> String {
    let mut out = Vec::new();
    let mut in_upstream = false;
    let mut replaced = false;
    for line in text.lines() {
        let trimmed = line.trim_start();
        if trimmed.starts_with("upstream stagepad {") {
            in_upstream = true;
        } else if in_upstream && trimmed.starts_with('}') {
            in_upstream = false;
        } else if in_upstream && trimmed.starts_with("server ") {
            if !replaced {
                let indent = &line[..line.len() - trimmed.len()];
                out.extend(servers.iter().map(|server| format!("{indent}{server}")));
                replaced = true;
            }
            continue;
        }
        out.push(line.to_string());
    }
    assert!(
        replaced,
        "deploy/nginx/stagepad.conf should have `server` lines in `upstream stagepad {{ }}`"
    );
    out.join("\n") + "\n"
}

/// A certificate authority, and nginx's certificate for `localhost` and `127.0.0.1` signed by
/// it, made with the openssl command in `dir`.
fn make_certificates(dir: &Path) -> TestCa {
    let config = dir.join("openssl.cnf");
    std::fs::write(
        &config,
        "[req]\n\
         distinguished_name = dn\n\
         x509_extensions = ca\n\
         prompt = no\n\
         [dn]\n\
         CN = Stagepad test CA\n\
         [ca]\n\
         basicConstraints = critical,CA:TRUE\n\
         keyUsage = critical,keyCertSign\n\
         subjectKeyIdentifier = hash\n\
         [server]\n\
         basicConstraints = critical,CA:FALSE\n\
         keyUsage = critical,digitalSignature\n\
         extendedKeyUsage = serverAuth\n\
         subjectAltName = DNS:localhost,IP:127.0.0.1\n\
         authorityKeyIdentifier = keyid\n",
    )
    .expect("write openssl.cnf");
    let key = [
        "-newkey",
        "ec",
        "-pkeyopt",
        "ec_paramgen_curve:prime256v1",
        "-nodes",
    ];
    openssl(
        dir,
        &[
            &["req", "-x509", "-new", "-config", "openssl.cnf"],
            &key[..],
        ]
        .concat(),
        &["-keyout", "ca.key", "-out", "ca.pem", "-days", "2"],
    );
    openssl(
        dir,
        &[&["req", "-new", "-config", "openssl.cnf"], &key[..]].concat(),
        &[
            "-keyout",
            "server.key",
            "-out",
            "server.csr",
            "-subj",
            "/CN=localhost",
        ],
    );
    let serial = format!("0x{}", uuid::Uuid::new_v4().simple());
    openssl(
        dir,
        &["x509", "-req", "-in", "server.csr", "-CA", "ca.pem"],
        &[
            "-CAkey",
            "ca.key",
            "-set_serial",
            &serial,
            "-days",
            "2",
            "-extfile",
            "openssl.cnf",
            "-extensions",
            "server",
            "-out",
            "server.pem",
        ],
    );
    set_mode(&dir.join("ca.key"), 0o600);
    set_mode(&dir.join("server.key"), 0o600);
    TestCa {
        pem: std::fs::read(dir.join("ca.pem")).expect("the CA's certificate"),
    }
}

fn openssl(dir: &Path, args: &[&str], more: &[&str]) {
    let output = Command::new("openssl")
        .current_dir(dir)
        .args(args)
        .args(more)
        .stdin(Stdio::null())
        .output()
        .expect("the openssl command runs (Debian's openssl package)");
    assert!(
        output.status.success(),
        "openssl {args:?} {more:?}: {}",
        String::from_utf8_lossy(&output.stderr)
    );
}

fn set_mode(path: &Path, mode: u32) {
    use std::os::unix::fs::PermissionsExt;
    std::fs::set_permissions(path, std::fs::Permissions::from_mode(mode))
        .unwrap_or_else(|e| panic!("chmod {}: {e}", path.display()));
}

/// A port nginx can take later: one below Linux's ephemeral range (32768 and up), where the
/// port-0 listeners and outgoing connections of the tests running meanwhile never land, so
/// none of them can take it between now and nginx's start.
fn free_port() -> u16 {
    for _ in 0..200 {
        let port = rand::random_range(20_000..32_000);
        if std::net::TcpListener::bind(("127.0.0.1", port)).is_ok() {
            return port;
        }
    }
    panic!("no free port from 20000 to 32000 on 127.0.0.1")
}
