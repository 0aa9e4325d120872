use std::path::PathBuf;
use std::sync::{Arc, Once};

use sea_orm::{ConnectionTrait, Database};
use server::secrets::MasterKey;
use server::startup::StopHandle;
use server::{Application, Settings};

/// Changes a test makes to the harness's settings (tighter limits, trusted proxies); kept
/// across restarts.
pub type Configure = Arc<dyn Fn(&mut Settings) + Send + Sync>;

/// A running Stagepad with its own database, and a client that keeps cookies like a browser.
pub struct TestApp {
    pub address: String,
    pub port: u16,
    pub client: reqwest::Client,
    pub database_url: String,
    pub master_key: MasterKey,
    /// The server's live pads, for figures the benchmarks print.
    pub pad_hub: Arc<server::pads::live::PadHub>,
    /// Where `/metrics` is served on its own, when the settings ask for it.
    pub metrics_port: Option<u16>,
    /// The certificate authority of the TLS proxy `address` points to, once the test put the
    /// server behind one ([`TestApp::behind`]): the clients the harness makes trust it.
    pub ca: Option<crate::proxy::TestCa>,
    handle: StopHandle,
    running: tokio::task::JoinHandle<std::io::Result<()>>,
    data_dir: tempfile::TempDir,
    configure: Configure,
}

/// A stopped [`TestApp`]: its database, keys and port, to start again.
pub struct StoppedApp {
    database_url: String,
    master_key: MasterKey,
    data_dir: tempfile::TempDir,
    port: u16,
    configure: Configure,
}

impl StoppedApp {
    pub async fn start(self) -> TestApp {
        start_on(
            self.database_url,
            self.master_key,
            self.data_dir,
            0,
            self.configure,
        )
        .await
    }

    /// Starts again with settings changed by `configure` as well (an operator changing the
    /// config); later restarts keep the change.
    pub async fn start_with(
        self,
        configure: impl Fn(&mut Settings) + Send + Sync + 'static,
    ) -> TestApp {
        let before = self.configure.clone();
        let layered: Configure = Arc::new(move |settings| {
            before(settings);
            configure(settings);
        });
        start_on(
            self.database_url,
            self.master_key,
            self.data_dir,
            0,
            layered,
        )
        .await
    }

    /// Starts again under another master key (a rotation), with `configure` as well.
    pub async fn start_with_key(
        self,
        master_key: MasterKey,
        configure: impl Fn(&mut Settings) + Send + Sync + 'static,
    ) -> TestApp {
        let before = self.configure.clone();
        let layered: Configure = Arc::new(move |settings| {
            before(settings);
            configure(settings);
        });
        start_on(self.database_url, master_key, self.data_dir, 0, layered).await
    }

    /// The database it ran on, for an operator's command to work on while it is stopped.
    pub fn database_url(&self) -> &str {
        &self.database_url
    }

    pub fn master_key(&self) -> &MasterKey {
        &self.master_key
    }

    pub fn data_dir(&self) -> &std::path::Path {
        self.data_dir.path()
    }

    pub async fn start_on_same_port(self) -> TestApp {
        start_on(
            self.database_url,
            self.master_key,
            self.data_dir,
            self.port,
            self.configure,
        )
        .await
    }
}

/// Starts the server on an existing database (one an operator restored, say) in `data_dir`.
pub async fn start_on_database(
    database_url: String,
    master_key: MasterKey,
    data_dir: tempfile::TempDir,
) -> TestApp {
    install_crypto_provider();
    crate::logs::capture();
    start_on(database_url, master_key, data_dir, 0, Arc::new(|_| {})).await
}

/// Where `make console` puts the built console.
pub fn console_dir() -> PathBuf {
    PathBuf::from(concat!(env!("CARGO_MANIFEST_DIR"), "/../dist"))
}

pub fn install_crypto_provider() {
    static ONCE: Once = Once::new();
    ONCE.call_once(|| {
        let _ = rustls::crypto::ring::default_provider().install_default();
    });
}

/// A client with its own cookie jar: one per simulated person.
pub fn new_client() -> reqwest::Client {
    client_builder().build().expect("http client")
}

/// What [`new_client`] builds, to add to (a local address, a trusted certificate).
pub fn client_builder() -> reqwest::ClientBuilder {
    install_crypto_provider();
    reqwest::Client::builder()
        .cookie_store(true)
        .redirect(reqwest::redirect::Policy::none())
        .timeout(std::time::Duration::from_secs(30))
}

/// A client with its own cookie jar that sends `X-Forwarded-For: forwarded_for` on every
/// request, as a reverse proxy in front of Stagepad would.
pub fn client_forwarded_for(forwarded_for: &str) -> reqwest::Client {
    install_crypto_provider();
    let mut headers = reqwest::header::HeaderMap::new();
    headers.insert(
        "x-forwarded-for",
        forwarded_for.parse().expect("a header value"),
    );
    reqwest::Client::builder()
        .cookie_store(true)
        .redirect(reqwest::redirect::Policy::none())
        .timeout(std::time::Duration::from_secs(30))
        .default_headers(headers)
        .build()
        .expect("http client")
}

/// Starts the real server on a free port with a fresh database: a SQLite file in a temporary
/// folder, or a new PostgreSQL database when `STAGEPAD_TEST_POSTGRES_URL` is set.
pub async fn spawn_app() -> TestApp {
    spawn_app_with(|_| {}).await
}

/// Like [`spawn_app`], with `configure` applied to the settings (also on restarts).
pub async fn spawn_app_with(configure: impl Fn(&mut Settings) + Send + Sync + 'static) -> TestApp {
    let postgres = postgres_for_tests();
    spawn_app_on(FreshDatabase::for_tests(postgres.as_deref()), configure).await
}

/// Which database a server started by [`spawn_app_on`] gets.
pub enum FreshDatabase<'a> {
    Sqlite,
    /// A new database on the PostgreSQL server at this (administrative) URL.
    Postgres(&'a str),
}

/// Like [`spawn_app_with`], on the database asked for whatever `STAGEPAD_TEST_POSTGRES_URL`
/// says: a benchmark compares SQLite and PostgreSQL in one run. Logs go to whatever subscriber
/// the process installed first (the tests' capture when none was).
pub async fn spawn_app_on(
    database: FreshDatabase<'_>,
    configure: impl Fn(&mut Settings) + Send + Sync + 'static,
) -> TestApp {
    install_crypto_provider();
    crate::logs::capture();
    let data_dir = tempfile::tempdir().expect("temporary data folder");
    let database_url = database.create(&data_dir).await;
    let master_key = MasterKey::generate();
    start_on(database_url, master_key, data_dir, 0, Arc::new(configure)).await
}

impl<'a> FreshDatabase<'a> {
    /// PostgreSQL when `STAGEPAD_TEST_POSTGRES_URL` (read by [`postgres_for_tests`]) is set.
    fn for_tests(postgres: Option<&'a str>) -> Self {
        postgres.map_or(FreshDatabase::Sqlite, FreshDatabase::Postgres)
    }

    /// Creates the empty database (a SQLite file goes in `data_dir`); answers its URL.
    async fn create(&self, data_dir: &tempfile::TempDir) -> String {
        match self {
            FreshDatabase::Sqlite => format!(
                "sqlite://{}?mode=rwc",
                data_dir.path().join("stagepad.db").display()
            ),
            FreshDatabase::Postgres(admin_url) => fresh_postgres_database(admin_url).await,
        }
    }
}

/// `STAGEPAD_TEST_POSTGRES_URL`, when set and not empty.
fn postgres_for_tests() -> Option<String> {
    std::env::var("STAGEPAD_TEST_POSTGRES_URL")
        .ok()
        .filter(|url| !url.is_empty())
}

/// An empty database: a SQLite file in `data_dir`, or a new PostgreSQL database when
/// `STAGEPAD_TEST_POSTGRES_URL` is set.
pub async fn fresh_database(data_dir: &tempfile::TempDir) -> String {
    let postgres = postgres_for_tests();
    FreshDatabase::for_tests(postgres.as_deref())
        .create(data_dir)
        .await
}

impl TestApp {
    /// Stops this server (draining requests) and starts a new one on the same database, as a
    /// restart or a deploy would.
    pub async fn restart(self) -> TestApp {
        self.stop().await.start().await
    }

    /// Like [`TestApp::restart`], with the tests' settings changed by `configure`.
    pub async fn restart_with(
        self,
        configure: impl Fn(&mut Settings) + Send + Sync + 'static,
    ) -> TestApp {
        self.stop().await.start_with(configure).await
    }

    /// Like [`TestApp::restart`], on the same port: browsers that had the old server open
    /// reconnect to the new one.
    pub async fn restart_on_same_port(self) -> TestApp {
        self.stop().await.start_on_same_port().await
    }

    /// Stops the server as SIGTERM does, draining requests first; its database stays for a
    /// later start. The old server's job worker is gone when this returns.
    pub async fn stop(self) -> StoppedApp {
        self.handle.stop(true).await;
        self.running
            .await
            .expect("the server task")
            .expect("the server stops cleanly");
        StoppedApp {
            database_url: self.database_url,
            master_key: self.master_key,
            data_dir: self.data_dir,
            port: self.port,
            configure: self.configure,
        }
    }

    /// Another server on the same database and master key, as a scaled-out deployment runs
    /// (PostgreSQL only: SQLite means one server).
    pub async fn another_instance(&self) -> TestApp {
        assert!(
            self.database_url.starts_with("postgres"),
            "several instances need PostgreSQL"
        );
        let data_dir = tempfile::tempdir().expect("temporary data folder");
        start_on(
            self.database_url.clone(),
            self.master_key.clone(),
            data_dir,
            0,
            self.configure.clone(),
        )
        .await
    }

    /// Runs `SELECT COUNT(*) AS n ...` on the server's database: for what no API shows.
    pub async fn count(&self, sql: &str) -> i64 {
        let db = Database::connect(&self.database_url).await.unwrap();
        let row = db
            .query_one_raw(sea_orm::Statement::from_string(
                db.get_database_backend(),
                sql,
            ))
            .await
            .unwrap()
            .expect("a count");
        let n = row.try_get::<i64>("", "n").unwrap();
        db.close().await.ok();
        n
    }

    /// From now on the test reaches this server through `proxy`, as people and Lever would:
    /// `address` (which every request helper and pad socket uses) is the proxy's https URL,
    /// and the clients made from here on trust its certificate.
    pub fn behind(&mut self, proxy: &crate::proxy::Nginx) {
        self.address = proxy.url();
        self.ca = Some(proxy.ca().clone());
        self.client = self.new_client();
    }

    /// A client with its own cookie jar that can reach `address` (trusting the proxy's
    /// certificate when the server is [`behind`](TestApp::behind) one).
    pub fn new_client(&self) -> reqwest::Client {
        self.client_builder().build().expect("http client")
    }

    /// What [`TestApp::new_client`] builds, to add to.
    pub fn client_builder(&self) -> reqwest::ClientBuilder {
        match &self.ca {
            Some(ca) => client_builder().tls_certs_only([ca.certificate()]),
            None => client_builder(),
        }
    }

    pub fn uses_postgres(&self) -> bool {
        self.database_url.starts_with("postgres")
    }

    pub fn url(&self, path: &str) -> String {
        format!("{}{}", self.address, path)
    }

    pub fn data_dir(&self) -> &std::path::Path {
        self.data_dir.path()
    }
}

/// Port 0 picks a free port.
async fn start_on(
    database_url: String,
    master_key: MasterKey,
    data_dir: tempfile::TempDir,
    port: u16,
    configure: Configure,
) -> TestApp {
    // The real parser, as `stagepad` reads its environment, with what tests need: a loopback
    // port, this test's database, a simulator as Lever (a custom base URL) and short waits.
    let bind = format!("127.0.0.1:{port}");
    let environment = [
        ("STAGEPAD_BIND", bind.clone()),
        ("STAGEPAD_PUBLIC_URL", format!("http://{bind}")),
        ("STAGEPAD_DATABASE_URL", database_url.clone()),
        ("STAGEPAD_DATA_DIR", data_dir.path().display().to_string()),
        ("STAGEPAD_MASTER_KEY", master_key.to_base64()),
        ("STAGEPAD_LEVER_ALLOW_CUSTOM_BASE_URL", "true".into()),
        ("STAGEPAD_LEVER_TIMEOUT_MS", "2000".into()),
        ("STAGEPAD_LEVER_BACKOFF_BASE_MS", "20".into()),
        // Retries in milliseconds; a short lease so a job orphaned by a stop runs again soon.
        ("STAGEPAD_JOB_RETRY_BASE_MS", "50".into()),
        ("STAGEPAD_JOB_LEASE_SECS", "3".into()),
        ("STAGEPAD_STATIC_DIR", console_dir().display().to_string()),
        ("STAGEPAD_LOG_FORMAT", "text".into()),
        ("STAGEPAD_WORKERS", "2".into()),
    ];
    let mut settings = Settings::from_lookup(|name| {
        environment
            .iter()
            .find(|(key, _)| *key == name)
            .map(|(_, value)| value.clone())
    })
    .expect("the test settings parse");
    // What the environment does not set.
    settings.lever_client.max_backoff = std::time::Duration::from_millis(500);
    settings.jobs.retry_max = std::time::Duration::from_millis(500);
    settings.jobs.shutdown_grace = std::time::Duration::from_secs(1);
    configure(&mut settings);
    let application = Application::build(settings).await.expect("server starts");
    let port = application.port();
    // Always the loopback address: a test may give the server another public URL (https).
    let address = format!("http://127.0.0.1:{port}");
    let handle = application.handle();
    let pad_hub = application.state().pad_hub.clone();
    let metrics_port = application.metrics_port();
    let running = tokio::spawn(application.run_until_stopped());
    TestApp {
        address,
        port,
        client: new_client(),
        database_url,
        master_key,
        pad_hub,
        metrics_port,
        ca: None,
        handle,
        running,
        data_dir,
        configure,
    }
}

async fn fresh_postgres_database(admin_url: &str) -> String {
    let name = format!("stagepad_test_{}", uuid::Uuid::new_v4().simple());
    let admin = Database::connect(admin_url)
        .await
        .expect("connect to STAGEPAD_TEST_POSTGRES_URL");
    admin
        .execute_unprepared(&format!("CREATE DATABASE {name}"))
        .await
        .expect("create a test database");
    admin.close().await.ok();
    let (base, query) = match admin_url.split_once('?') {
        Some((base, query)) => (base, format!("?{query}")),
        None => (admin_url, String::new()),
    };
    let (prefix, _) = base
        .rsplit_once('/')
        .expect("postgres URL with a database name");
    format!("{prefix}/{name}{query}")
}
