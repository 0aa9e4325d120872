//! Builds the whole server from settings. `main` and the tests both go through here.

use std::net::TcpListener;
use std::sync::Arc;
use std::time::Duration;

use actix_web::dev::Server;
use actix_web::middleware::from_fn;
use actix_web::{App, HttpServer, web};
use anyhow::Context;

use crate::auth::password::Passwords;
use crate::auth::session::Sessions;
use crate::auth::throttle::Throttle;
use crate::config::Settings;
use crate::console::Console;
use crate::error::{json_error, path_error, query_error};
use crate::jobs::JobSignal;
use crate::lever::budget::RequestBudget;
use crate::lever::client::{LeverApi, ReqwestLever};
use crate::lever::delivery_writer::DeliveryWriter;
use crate::lever::webhook_cache::WebhookCache;
use crate::secrets::{Keyring, MasterKey};
use crate::state::AppState;
use crate::telemetry::log_request;
use crate::{audit, auth, console, csrf, db, health, jobs, lever, openapi, orgs, pads, runs};

/// JSON bodies of the API stay small; anything larger is refused with 413.
const JSON_LIMIT_BYTES: usize = 64 * 1024;

pub struct Application {
    port: u16,
    /// Where `/metrics` is served on its own (`STAGEPAD_METRICS_BIND`).
    metrics_port: Option<u16>,
    public_url: String,
    server: Server,
    state: AppState,
    worker: tokio::task::JoinHandle<()>,
    stop_worker: tokio::sync::watch::Sender<bool>,
    stop_handle: StopHandle,
    /// SQLite: this server's hold on its database file, until it stops (see
    /// [`db::DatabaseLock`]); `stagepad restore` refuses to replace the file meanwhile.
    database_lock: Option<db::DatabaseLock>,
}

impl Application {
    pub async fn build(settings: Settings) -> anyhow::Result<Self> {
        crate::install_tls_provider();
        crate::metrics::install();
        // The lock first: an embedded key rotation holds it while it replaces the key file,
        // which must not be read half-way.
        let database_lock = if settings.uses_sqlite() {
            Some(db::DatabaseLock::take(&db::sqlite_path(
                &settings.database_url,
            )?)?)
        } else {
            None
        };
        let keyring = Keyring::new(
            resolve_master_key(&settings)?,
            settings.previous_master_keys.clone(),
        );
        let db = db::connect(&settings.database_url)
            .await
            .context("cannot open the database (STAGEPAD_DATABASE_URL)")?;
        db::migrate(&db)
            .await
            .context("database migrations failed")?;
        let budget = RequestBudget::shared_through(settings.lever_client.requests_per_second, &db);
        let lever: Arc<dyn LeverApi> =
            Arc::new(ReqwestLever::new(settings.lever_client)?.with_budget(budget));
        let console = web::Data::new(Console::load(&settings.static_dir).with_context(|| {
            format!(
                "cannot read the console in {}",
                settings.static_dir.display()
            )
        })?);

        let listener = TcpListener::bind(settings.bind_address)
            .with_context(|| format!("cannot listen on {}", settings.bind_address))?;
        let port = listener.local_addr()?.port();
        // With port 0 the real port is known only now; a default public URL must follow it.
        let public_url = if settings.bind_address.port() == 0
            && settings.public_url == format!("http://{}", settings.bind_address)
        {
            format!("http://{}:{port}", settings.bind_address.ip())
        } else {
            settings.public_url.clone()
        };
        if public_url.starts_with("https://") && settings.trusted_proxies.is_empty() {
            // Stagepad speaks plain HTTP, so https means a proxy that every client seems to be.
            tracing::warn!(
                "STAGEPAD_PUBLIC_URL is https but STAGEPAD_TRUSTED_PROXIES is empty: every client \
                 will have the proxy's address (shared log-in limits, audit log shows the proxy)"
            );
        }
        let settings = Arc::new(Settings {
            public_url: public_url.clone(),
            ..settings
        });
        // Whether other instances serve the same pads: decided once, here.
        let topology = pads::cluster::Topology::for_database(&db);
        let webhooks = Arc::new(WebhookCache::new(
            topology == pads::cluster::Topology::Several,
            settings.lever_webhook_cache_ttl,
        ));
        let deliveries = DeliveryWriter::start(db.clone(), webhooks.clone(), topology);
        let pad_hub = Arc::new(pads::live::PadHub::new(topology, db.clone()));
        let state = AppState {
            webhooks,
            deliveries,
            db,
            sessions: Sessions::new(keyring.current(), &public_url).accepting(keyring.previous()),
            passwords: Passwords::default(),
            throttle: Arc::new(Throttle::new(settings.throttle)),
            settings: settings.clone(),
            keyring,
            lever,
            job_signal: JobSignal::default(),
            pad_hub,
            runs: Arc::new(runs::Runs::for_settings(&settings)),
            mailer: settings.mail.as_ref().map(|mail| {
                Arc::new(crate::mail::SmtpMailer::new(mail.server.clone()))
                    as Arc<dyn crate::mail::Mailer>
            }),
        };

        let (stop_worker, stopped) = tokio::sync::watch::channel(false);
        if settings.uses_sqlite() {
            db::spawn_checkpointer(&settings.database_url, stopped.clone())
                .await
                .context("cannot open the database for checkpoints")?;
        }
        // Other instances' changes to Lever integrations (PostgreSQL only).
        state
            .webhooks
            .clone()
            .spawn_listener(state.db.clone(), stopped.clone());
        let app_state = web::Data::new(state.clone());
        let metrics_server = match settings.metrics.bind {
            Some(address) => Some(serve_metrics(address, app_state.clone())?),
            None => None,
        };
        let mut server = HttpServer::new(move || {
            App::new()
                .wrap(from_fn(crate::metrics::record_request))
                .wrap(from_fn(log_request))
                // Outermost: every error answer is worded in the request's language, the CSRF
                // check's refusals, the 404s of the fallback and the health probes' too.
                .wrap(from_fn(crate::i18n::localize_errors))
                .app_data(app_state.clone())
                .app_data(console.clone())
                .app_data(
                    web::JsonConfig::default()
                        .limit(JSON_LIMIT_BYTES)
                        .error_handler(json_error),
                )
                .app_data(web::PathConfig::default().error_handler(path_error))
                .app_data(web::QueryConfig::default().error_handler(query_error))
                .configure(routes)
                .default_service(web::to(console::fallback))
        })
        .shutdown_timeout(10)
        // Stops go through [`StopHandle`], which first sends live pads elsewhere.
        .disable_signals();
        if let Some(workers) = settings.workers {
            server = server.workers(workers);
        }
        let server = server.listen(listener)?.run();

        // Live pads hear about other instances' edits and presence (PostgreSQL only).
        pads::cluster::spawn(state.db.clone(), state.pad_hub.clone(), stopped.clone());
        // Runs left active by an instance that stopped are marked interrupted.
        runs::service::spawn_sweeper(state.run_audience(), stopped.clone());
        let worker = tokio::spawn(jobs::worker::run(state.clone(), stopped));
        let (metrics_port, metrics_handle) = match metrics_server {
            Some((port, metrics)) => {
                let handle = metrics.handle();
                tokio::spawn(metrics);
                (Some(port), Some(handle))
            }
            None => (None, None),
        };
        let stop_handle = StopHandle {
            server: server.handle(),
            metrics: metrics_handle,
            pad_hub: state.pad_hub.clone(),
            runs: state.runs.clone(),
        };
        tokio::spawn(stop_on_signal(stop_handle.clone()));
        Ok(Self {
            port,
            metrics_port,
            public_url,
            server,
            state,
            worker,
            stop_worker,
            stop_handle,
            database_lock,
        })
    }

    pub fn port(&self) -> u16 {
        self.port
    }

    /// The port of `/metrics` on its own address, when `STAGEPAD_METRICS_BIND` is set.
    pub fn metrics_port(&self) -> Option<u16> {
        self.metrics_port
    }

    pub fn public_url(&self) -> &str {
        &self.public_url
    }

    pub fn state(&self) -> &AppState {
        &self.state
    }

    /// Stops the server from elsewhere (tests restart it); `stop(true)` drains requests first.
    pub fn handle(&self) -> StopHandle {
        self.stop_handle.clone()
    }

    /// Serves until SIGTERM/SIGINT (or a handle's stop), finishing in-flight requests first,
    /// then lets running jobs finish (or leaves them to their lease).
    pub async fn run_until_stopped(self) -> std::io::Result<()> {
        let served = self.server.await;
        self.state.pad_hub.depart_all(&self.state.db).await;
        let _ = self.stop_worker.send(true);
        if let Err(e) = self.worker.await {
            tracing::error!(error = %e, "the job worker ended abnormally");
        }
        // Only now may another process replace the database (a restore).
        drop(self.database_lock);
        served
    }
}

/// Every route the server answers. Routes are registered here and nowhere else: the OpenAPI
/// test (tests/tests/api/openapi.rs) reads this table and fails for a route the document at
/// `/api/openapi.json` lacks ([`crate::openapi::ApiDoc`]).
pub fn routes(cfg: &mut web::ServiceConfig) {
    // First: the busiest route, matched before the others are tried.
    cfg.configure(lever::webhook::routes)
        .configure(health::routes)
        .route("/metrics", web::get().to(crate::metrics::scrape_with_token))
        .service(
            web::scope("/api")
                .wrap(from_fn(csrf::protect_api))
                .configure(auth::routes::routes)
                .configure(auth::reset::routes)
                .configure(orgs::routes::routes)
                .configure(lever::routes::routes)
                .configure(pads::routes::routes)
                .configure(audit::routes::routes)
                .configure(openapi::routes),
        )
        .configure(console::routes);
}

/// `/metrics` alone on the operator's address: one worker, no console, no API.
fn serve_metrics(
    address: std::net::SocketAddr,
    state: web::Data<AppState>,
) -> anyhow::Result<(u16, Server)> {
    if !address.ip().is_loopback() {
        tracing::warn!(%address, "STAGEPAD_METRICS_BIND asks for no credentials: make sure only Prometheus can reach this address");
    }
    let listener = TcpListener::bind(address)
        .with_context(|| format!("cannot listen on {address} (STAGEPAD_METRICS_BIND)"))?;
    let port = listener.local_addr()?.port();
    let server = HttpServer::new(move || {
        App::new()
            .app_data(state.clone())
            .route("/metrics", web::get().to(crate::metrics::scrape))
    })
    .workers(1)
    .disable_signals()
    .listen(listener)?
    .run();
    Ok((port, server))
}

/// The master key: `STAGEPAD_MASTER_KEY`, or (SQLite only) the one generated in the data
/// folder. Also used by the admin commands.
pub fn resolve_master_key(settings: &Settings) -> anyhow::Result<MasterKey> {
    if let Some(key) = &settings.master_key {
        return Ok(key.clone());
    }
    anyhow::ensure!(
        settings.uses_sqlite(),
        "STAGEPAD_MASTER_KEY is required with PostgreSQL: every instance must decrypt the same \
         secrets (generate one with `openssl rand -base64 32`)"
    );
    let next = settings.data_dir.join("master.key.next");
    if next.exists() {
        anyhow::bail!(
            "a master key rotation was interrupted ({} exists): run `stagepad rotate-master-key` \
             again to finish it before starting the server; with the old key, part of the \
             stored secrets would not open",
            next.display()
        );
    }
    let path = settings.data_dir.join("master.key");
    MasterKey::load_or_create(&path)
        .with_context(|| format!("cannot read or create the master key at {}", path.display()))
}

/// Stops the server: live pads are told to reconnect (to another instance, or to this one once
/// it is back) at once, rather than holding the drain for the shutdown timeout.
#[derive(Clone)]
pub struct StopHandle {
    server: actix_web::dev::ServerHandle,
    metrics: Option<actix_web::dev::ServerHandle>,
    pad_hub: Arc<pads::live::PadHub>,
    runs: Arc<runs::Runs>,
}

impl StopHandle {
    /// `graceful` finishes in-flight requests first.
    pub async fn stop(&self, graceful: bool) {
        // Runs end as interrupted and are stored so, while the pads can still hear it.
        self.runs.interrupt_all(Duration::from_secs(3)).await;
        self.pad_hub.close_all();
        self.server.stop(graceful).await;
        if let Some(metrics) = &self.metrics {
            metrics.stop(graceful).await;
        }
    }
}

/// SIGTERM or SIGINT (Ctrl-C) stops the server gracefully.
async fn stop_on_signal(handle: StopHandle) {
    let interrupt = tokio::signal::ctrl_c();
    #[cfg(unix)]
    let terminate = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut signal) => {
                signal.recv().await;
            }
            Err(e) => {
                tracing::warn!(error = %e, "cannot listen for SIGTERM");
                std::future::pending::<()>().await;
            }
        }
    };
    #[cfg(not(unix))]
    let terminate = std::future::pending::<()>();
    tokio::select! {
        _ = interrupt => {}
        _ = terminate => {}
    }
    tracing::info!("stopping: finishing requests in flight");
    handle.stop(true).await;
}
