//! Settings from `STAGEPAD_*` environment variables. Every one has a default, so the embedded
//! setup (SQLite file in `./data`, generated master key) runs with no settings at all.
//!
//! Hand-parsed rather than with `config`/`figment`: one source (the environment), and each
//! bad value must name its variable and what it takes, which a few lines here do plainly.

use std::net::SocketAddr;
use std::path::PathBuf;

use std::time::Duration;

use crate::auth::throttle::ThrottleLimits;
use crate::jobs::JobSettings;
use crate::lever::client::LeverClientOptions;
use crate::proxy::{ForwardedHeader, TrustedProxies};
use crate::retention::RetentionSettings;
use crate::secrets::MasterKey;

#[derive(Debug, Clone)]
pub struct Settings {
    /// Where the HTTP server listens; port 0 picks a free port (tests).
    pub bind_address: SocketAddr,
    /// The address people and Lever reach Stagepad at, without a trailing slash. Webhook URLs
    /// and pad links are built from it.
    pub public_url: String,
    pub database_url: String,
    /// Holds the SQLite database and the generated master key of the embedded setup.
    pub data_dir: PathBuf,
    /// Encrypts stored secrets. When absent, one is generated in `data_dir` (SQLite only).
    pub master_key: Option<MasterKey>,
    /// Earlier master keys, still able to decrypt what they sealed (for rotation).
    pub previous_master_keys: Vec<MasterKey>,
    /// Lets an admin enter any Lever base URL (a local simulator). Off in production: a tenant
    /// must not make the server call arbitrary addresses.
    pub lever_allow_custom_base_url: bool,
    pub lever_client: LeverClientOptions,
    /// The background job queue: concurrency, retries, leases.
    pub jobs: JobSettings,
    /// How long Lever deliveries and audit events are kept.
    pub retention: RetentionSettings,
    /// The built console (`index.html` and `assets/`).
    pub static_dir: PathBuf,
    pub log_format: LogFormat,
    /// HTTP worker threads; defaults to the number of cores.
    pub workers: Option<usize>,
    /// The reverse proxies whose forwarding header names the client (none: headers ignored).
    pub trusted_proxies: TrustedProxies,
    /// Log-in, sign-up and invitation limits (not from the environment; tests tighten them).
    pub throttle: ThrottleLimits,
    /// Running the pad's code: the sandbox's limits and the pool's size.
    pub runs: RunSettings,
    /// How long the webhook trusts what it keeps of an organization (not from the
    /// environment; changes are told at once anyway, and tests lengthen it to prove that).
    pub lever_webhook_cache_ttl: Duration,
    /// E-mail (`STAGEPAD_SMTP_URL`, `STAGEPAD_MAIL_FROM`); none: links are copied by hand.
    pub mail: Option<crate::mail::MailSettings>,
    /// Mails an organization and a recipient may be sent an hour (not from the environment).
    pub mail_limits: crate::mail::MailLimits,
    /// Where Prometheus scrapes `/metrics` (`STAGEPAD_METRICS_BIND`, `STAGEPAD_METRICS_TOKEN`).
    pub metrics: MetricsSettings,
}

/// `/metrics` is served only where an operator asked: on its own address, or on the main port
/// to a bearer of the token. Neither set: not served at all.
#[derive(Debug, Clone, Default)]
pub struct MetricsSettings {
    /// `STAGEPAD_METRICS_BIND`: an address of its own, e.g. `127.0.0.1:9100` (port 0: any).
    pub bind: Option<SocketAddr>,
    /// `STAGEPAD_METRICS_TOKEN`: `/metrics` on the main port with `Authorization: Bearer`.
    pub token: Option<secrecy::SecretString>,
}

impl MetricsSettings {
    /// A token shorter than this is guessable by anyone who can reach the public port.
    const MIN_TOKEN_CHARS: usize = 16;

    fn from_lookup(lookup: &impl Fn(&str) -> Option<String>) -> Result<Self, ConfigError> {
        let bind = lookup("STAGEPAD_METRICS_BIND")
            .map(|raw| {
                raw.trim().parse::<SocketAddr>().map_err(|_| ConfigError {
                    name: "STAGEPAD_METRICS_BIND",
                    problem: format!(
                        "must be an address and port like 127.0.0.1:9100, not {raw:?}"
                    ),
                })
            })
            .transpose()?;
        let token = lookup("STAGEPAD_METRICS_TOKEN")
            .map(|raw| {
                let token = raw.trim().to_owned();
                if token.chars().count() < Self::MIN_TOKEN_CHARS
                    || token.chars().any(|c| c.is_whitespace() || c.is_control())
                {
                    return Err(ConfigError {
                        name: "STAGEPAD_METRICS_TOKEN",
                        problem: format!(
                            "must be at least {} characters without spaces (e.g. `openssl rand -hex 32`)",
                            Self::MIN_TOKEN_CHARS
                        ),
                    });
                }
                Ok(secrecy::SecretString::from(token))
            })
            .transpose()?;
        Ok(MetricsSettings { bind, token })
    }
}

/// `STAGEPAD_RUN_*`: the limits of one run of the pad's code, and how many run at once.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RunSettings {
    /// `STAGEPAD_RUN_WALL_SECS`: the program's wall time.
    pub wall: Duration,
    /// `STAGEPAD_RUN_COMPILE_SECS`: the compile step's own wall time.
    pub compile_wall: Duration,
    /// `STAGEPAD_RUN_CPU_SECS`: CPU time of each of the program's processes.
    pub cpu: Duration,
    /// `STAGEPAD_RUN_MEMORY_MB` (a language may add to it: compilers, the JVM).
    pub memory_mb: u64,
    /// `STAGEPAD_RUN_PROCESSES`: processes and threads (Java, Go and Node add their own).
    pub processes: u64,
    /// `STAGEPAD_RUN_OPEN_FILES`.
    pub open_files: u64,
    /// `STAGEPAD_RUN_FILE_SIZE_MB`: the largest file a program may write.
    pub file_size_mb: u64,
    /// `STAGEPAD_RUN_OUTPUT_KB`: stdout and stderr together; then cut, and the program stopped.
    pub output_kb: usize,
    /// `STAGEPAD_RUN_CONCURRENCY`: runs at once on this instance (default: the cores).
    pub concurrency: usize,
}

impl Default for RunSettings {
    fn default() -> Self {
        RunSettings {
            wall: Duration::from_secs(10),
            compile_wall: Duration::from_secs(20),
            cpu: Duration::from_secs(10),
            memory_mb: 256,
            processes: 64,
            open_files: 256,
            file_size_mb: 16,
            output_kb: 64,
            concurrency: std::thread::available_parallelism().map_or(2, |n| n.get()),
        }
    }
}

impl RunSettings {
    /// Limits beyond these are surely a typo (a day of wall time, a terabyte of memory).
    fn from_lookup(lookup: &impl Fn(&str) -> Option<String>) -> Result<Self, ConfigError> {
        let defaults = RunSettings::default();
        let bounded = |name: &'static str, default: u64, max: u64| -> Result<u64, ConfigError> {
            match lookup(name) {
                None => Ok(default),
                Some(v) => v
                    .trim()
                    .parse::<u64>()
                    .ok()
                    .filter(|n| (1..=max).contains(n))
                    .ok_or(ConfigError {
                        name,
                        problem: format!("must be a whole number from 1 to {max}, not {v:?}"),
                    }),
            }
        };
        let secs = |name, default: Duration| {
            bounded(name, default.as_secs(), 86_400).map(Duration::from_secs)
        };
        Ok(RunSettings {
            wall: secs("STAGEPAD_RUN_WALL_SECS", defaults.wall)?,
            compile_wall: secs("STAGEPAD_RUN_COMPILE_SECS", defaults.compile_wall)?,
            cpu: secs("STAGEPAD_RUN_CPU_SECS", defaults.cpu)?,
            memory_mb: bounded("STAGEPAD_RUN_MEMORY_MB", defaults.memory_mb, 1 << 20)?,
            processes: bounded("STAGEPAD_RUN_PROCESSES", defaults.processes, 100_000)?,
            open_files: bounded("STAGEPAD_RUN_OPEN_FILES", defaults.open_files, 1 << 20)?,
            file_size_mb: bounded("STAGEPAD_RUN_FILE_SIZE_MB", defaults.file_size_mb, 1 << 20)?,
            output_kb: bounded("STAGEPAD_RUN_OUTPUT_KB", defaults.output_kb as u64, 1 << 20)?
                as usize,
            concurrency: bounded(
                "STAGEPAD_RUN_CONCURRENCY",
                defaults.concurrency as u64,
                1024,
            )? as usize,
        })
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LogFormat {
    Text,
    Json,
}

#[derive(Debug, thiserror::Error)]
#[error("setting {name}: {problem}")]
pub struct ConfigError {
    pub name: &'static str,
    pub problem: String,
}

impl Settings {
    pub fn from_env() -> Result<Self, ConfigError> {
        Self::from_lookup(|name| std::env::var(name).ok().filter(|v| !v.trim().is_empty()))
    }

    /// Builds settings from any variable source, so parsing is testable without touching the
    /// process environment.
    pub fn from_lookup(lookup: impl Fn(&str) -> Option<String>) -> Result<Self, ConfigError> {
        let bind_address: SocketAddr = parse_or(&lookup, "STAGEPAD_BIND", "127.0.0.1:8080")?;
        let data_dir = PathBuf::from(lookup("STAGEPAD_DATA_DIR").unwrap_or_else(|| "data".into()));
        let database_url = lookup("STAGEPAD_DATABASE_URL").unwrap_or_else(|| {
            format!(
                "sqlite://{}?mode=rwc",
                data_dir.join("stagepad.db").display()
            )
        });
        if !(database_url.starts_with("sqlite:") || database_url.starts_with("postgres")) {
            return Err(ConfigError {
                name: "STAGEPAD_DATABASE_URL",
                problem: "must start with sqlite: or postgres://".into(),
            });
        }
        let public_url = match lookup("STAGEPAD_PUBLIC_URL") {
            Some(url) => validate_public_url(&url)?,
            None => format!("http://{bind_address}"),
        };
        let master_key = lookup("STAGEPAD_MASTER_KEY")
            .map(|encoded| {
                MasterKey::from_base64(&encoded).map_err(|problem| ConfigError {
                    name: "STAGEPAD_MASTER_KEY",
                    problem,
                })
            })
            .transpose()?;
        let previous_master_keys = lookup("STAGEPAD_MASTER_KEY_PREVIOUS")
            .map(|list| {
                list.split(',')
                    .filter(|k| !k.trim().is_empty())
                    .map(|encoded| {
                        MasterKey::from_base64(encoded).map_err(|problem| ConfigError {
                            name: "STAGEPAD_MASTER_KEY_PREVIOUS",
                            problem,
                        })
                    })
                    .collect::<Result<Vec<_>, _>>()
            })
            .transpose()?
            .unwrap_or_default();
        let lever_allow_custom_base_url =
            match lookup("STAGEPAD_LEVER_ALLOW_CUSTOM_BASE_URL").as_deref() {
                None | Some("false") | Some("0") => false,
                Some("true") | Some("1") => true,
                Some(_) => {
                    return Err(ConfigError {
                        name: "STAGEPAD_LEVER_ALLOW_CUSTOM_BASE_URL",
                        problem: "must be true or false".into(),
                    });
                }
            };
        let defaults = LeverClientOptions::default();
        let millis = |name: &'static str, default: Duration| -> Result<Duration, ConfigError> {
            lookup(name)
                .map(|v| {
                    v.parse::<u64>()
                        .map(Duration::from_millis)
                        .map_err(|_| ConfigError {
                            name,
                            problem: "must be a whole number of milliseconds".into(),
                        })
                })
                .unwrap_or(Ok(default))
        };
        let lever_client = LeverClientOptions {
            total_timeout: millis("STAGEPAD_LEVER_TIMEOUT_MS", defaults.total_timeout)?,
            backoff_base: millis("STAGEPAD_LEVER_BACKOFF_BASE_MS", defaults.backoff_base)?,
            ..defaults
        };
        let job_defaults = JobSettings::default();
        let whole = |name: &'static str, default: u64| -> Result<u64, ConfigError> {
            lookup(name)
                .map(|v| {
                    v.parse::<u64>().ok().filter(|n| *n > 0).ok_or(ConfigError {
                        name,
                        problem: "must be a positive whole number".into(),
                    })
                })
                .unwrap_or(Ok(default))
        };
        let jobs = JobSettings {
            concurrency: whole("STAGEPAD_JOB_CONCURRENCY", job_defaults.concurrency as u64)?
                as usize,
            max_attempts: whole(
                "STAGEPAD_JOB_MAX_ATTEMPTS",
                job_defaults.max_attempts as u64,
            )?
            .min(100) as i32,
            retry_base: millis("STAGEPAD_JOB_RETRY_BASE_MS", job_defaults.retry_base)?,
            lease: Duration::from_secs(whole(
                "STAGEPAD_JOB_LEASE_SECS",
                job_defaults.lease.as_secs(),
            )?),
            ..job_defaults
        };
        let retention_defaults = RetentionSettings::default();
        let days = |name: &'static str, default: u32| -> Result<u32, ConfigError> {
            let days = whole(name, default.into())?;
            // Beyond 100 years the cutoff date would not fit in a timestamp.
            u32::try_from(days)
                .ok()
                .filter(|d| *d <= 36_500)
                .ok_or(ConfigError {
                    name,
                    problem: "must be at most 36500 days".into(),
                })
        };
        let retention = RetentionSettings {
            delivery_days: days(
                "STAGEPAD_DELIVERY_RETENTION_DAYS",
                retention_defaults.delivery_days,
            )?,
            audit_days: days(
                "STAGEPAD_AUDIT_RETENTION_DAYS",
                retention_defaults.audit_days,
            )?,
        };
        let log_format = match lookup("STAGEPAD_LOG_FORMAT").as_deref() {
            None | Some("text") => LogFormat::Text,
            Some("json") => LogFormat::Json,
            Some(_) => {
                return Err(ConfigError {
                    name: "STAGEPAD_LOG_FORMAT",
                    problem: "must be text or json".into(),
                });
            }
        };
        let workers = lookup("STAGEPAD_WORKERS")
            .map(|v| {
                v.parse::<usize>()
                    .ok()
                    .filter(|n| *n > 0)
                    .ok_or(ConfigError {
                        name: "STAGEPAD_WORKERS",
                        problem: "must be a positive whole number".into(),
                    })
            })
            .transpose()?;
        let forwarded_header = match lookup("STAGEPAD_FORWARDED_HEADER") {
            None => ForwardedHeader::default(),
            Some(name) => ForwardedHeader::parse(&name).ok_or(ConfigError {
                name: "STAGEPAD_FORWARDED_HEADER",
                problem: "must be x-forwarded-for or forwarded".into(),
            })?,
        };
        let trusted_proxies = TrustedProxies::parse(
            &lookup("STAGEPAD_TRUSTED_PROXIES").unwrap_or_default(),
            forwarded_header,
        )
        .map_err(|problem| ConfigError {
            name: "STAGEPAD_TRUSTED_PROXIES",
            problem,
        })?;
        let runs = RunSettings::from_lookup(&lookup)?;
        let mail = crate::mail::MailSettings::from_lookup(&lookup, &public_url)?;
        let metrics = MetricsSettings::from_lookup(&lookup)?;
        Ok(Settings {
            bind_address,
            public_url,
            database_url,
            data_dir,
            master_key,
            previous_master_keys,
            lever_allow_custom_base_url,
            lever_webhook_cache_ttl: crate::lever::webhook_cache::TTL,
            lever_client,
            jobs,
            retention,
            static_dir: PathBuf::from(
                lookup("STAGEPAD_STATIC_DIR").unwrap_or_else(|| "dist".into()),
            ),
            log_format,
            workers,
            trusted_proxies,
            throttle: ThrottleLimits::default(),
            runs,
            mail,
            mail_limits: Default::default(),
            metrics,
        })
    }

    pub fn uses_sqlite(&self) -> bool {
        self.database_url.starts_with("sqlite:")
    }
}

fn parse_or<T: std::str::FromStr>(
    lookup: &impl Fn(&str) -> Option<String>,
    name: &'static str,
    default: &str,
) -> Result<T, ConfigError> {
    let raw = lookup(name).unwrap_or_else(|| default.to_string());
    raw.parse().map_err(|_| ConfigError {
        name,
        problem: format!("cannot parse {raw:?}"),
    })
}

fn validate_public_url(url: &str) -> Result<String, ConfigError> {
    let trimmed = url.trim().trim_end_matches('/');
    let rest = trimmed
        .strip_prefix("https://")
        .or_else(|| trimmed.strip_prefix("http://"));
    match rest {
        Some(host) if !host.is_empty() && !host.contains(['?', '#', ' ']) => {
            Ok(trimmed.to_string())
        }
        _ => Err(ConfigError {
            name: "STAGEPAD_PUBLIC_URL",
            problem: "must be an http:// or https:// address such as https://stagepad.example.com"
                .into(),
        }),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashMap;

    fn settings(vars: &[(&str, &str)]) -> Result<Settings, ConfigError> {
        let vars: HashMap<String, String> = vars
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect();
        Settings::from_lookup(|name| vars.get(name).cloned())
    }

    #[test]
    fn metrics_are_off_unless_an_address_or_a_long_token_is_set() {
        let none = settings(&[]).unwrap().metrics;
        assert!(none.bind.is_none() && none.token.is_none());
        let both = settings(&[
            ("STAGEPAD_METRICS_BIND", "127.0.0.1:9100"),
            ("STAGEPAD_METRICS_TOKEN", "0123456789abcdef0123"),
        ])
        .unwrap()
        .metrics;
        assert_eq!(both.bind, Some("127.0.0.1:9100".parse().unwrap()));
        assert!(!format!("{both:?}").contains("0123456789abcdef0123"));
        for (name, bad) in [
            ("STAGEPAD_METRICS_BIND", "9100"),
            ("STAGEPAD_METRICS_TOKEN", "short"),
            ("STAGEPAD_METRICS_TOKEN", "0123456789 abcdef0123"),
        ] {
            assert_eq!(settings(&[(name, bad)]).unwrap_err().name, name, "{bad:?}");
        }
    }

    #[test]
    fn defaults_need_no_settings() {
        let s = settings(&[]).unwrap();
        assert_eq!(s.bind_address.to_string(), "127.0.0.1:8080");
        assert_eq!(s.public_url, "http://127.0.0.1:8080");
        assert_eq!(s.database_url, "sqlite://data/stagepad.db?mode=rwc");
        assert!(s.uses_sqlite());
        assert!(s.master_key.is_none());
        assert_eq!(s.log_format, LogFormat::Text);
        assert!(s.trusted_proxies.is_empty());
        assert_eq!(s.retention.delivery_days, 90);
        assert_eq!(s.retention.audit_days, 365);
    }

    #[test]
    fn trusted_proxies_are_addresses_or_ranges() {
        let s =
            settings(&[("STAGEPAD_TRUSTED_PROXIES", "10.0.0.0/8, fd00::/8 127.0.0.1")]).unwrap();
        assert!(!s.trusted_proxies.is_empty());
        assert_eq!(s.trusted_proxies.header(), ForwardedHeader::XForwardedFor);
        let s = settings(&[
            ("STAGEPAD_TRUSTED_PROXIES", "10.0.0.1"),
            ("STAGEPAD_FORWARDED_HEADER", "Forwarded"),
        ])
        .unwrap();
        assert_eq!(s.trusted_proxies.header(), ForwardedHeader::Forwarded);
        let err =
            settings(&[("STAGEPAD_TRUSTED_PROXIES", "10.0.0.0/8, proxy.internal")]).unwrap_err();
        assert_eq!(err.name, "STAGEPAD_TRUSTED_PROXIES");
        assert!(err.to_string().contains("\"proxy.internal\""), "{err}");
        assert_eq!(
            settings(&[("STAGEPAD_FORWARDED_HEADER", "x-real-ip")])
                .unwrap_err()
                .name,
            "STAGEPAD_FORWARDED_HEADER"
        );
    }

    #[test]
    fn retention_is_a_positive_number_of_days() {
        let s = settings(&[
            ("STAGEPAD_DELIVERY_RETENTION_DAYS", "7"),
            ("STAGEPAD_AUDIT_RETENTION_DAYS", "30"),
        ])
        .unwrap();
        assert_eq!(s.retention.delivery_days, 7);
        assert_eq!(s.retention.audit_days, 30);
        for bad in ["0", "-1", "soon", "99999999"] {
            assert_eq!(
                settings(&[("STAGEPAD_AUDIT_RETENTION_DAYS", bad)])
                    .unwrap_err()
                    .name,
                "STAGEPAD_AUDIT_RETENTION_DAYS"
            );
        }
    }

    #[test]
    fn public_url_loses_its_trailing_slash_and_must_be_http() {
        let s = settings(&[("STAGEPAD_PUBLIC_URL", "https://pads.example.com/")]).unwrap();
        assert_eq!(s.public_url, "https://pads.example.com");
        let err = settings(&[("STAGEPAD_PUBLIC_URL", "pads.example.com")]).unwrap_err();
        assert_eq!(err.name, "STAGEPAD_PUBLIC_URL");
    }

    #[test]
    fn run_limits_have_defaults_and_refuse_nonsense() {
        let s = settings(&[]).unwrap();
        assert_eq!(s.runs.wall, Duration::from_secs(10));
        assert_eq!(s.runs.compile_wall, Duration::from_secs(20));
        assert_eq!(s.runs.memory_mb, 256);
        assert_eq!(s.runs.output_kb, 64);
        assert!(s.runs.concurrency >= 1);
        let s = settings(&[
            ("STAGEPAD_RUN_WALL_SECS", "5"),
            ("STAGEPAD_RUN_COMPILE_SECS", "30"),
            ("STAGEPAD_RUN_CPU_SECS", "3"),
            ("STAGEPAD_RUN_MEMORY_MB", "512"),
            ("STAGEPAD_RUN_PROCESSES", "32"),
            ("STAGEPAD_RUN_OPEN_FILES", "100"),
            ("STAGEPAD_RUN_FILE_SIZE_MB", "8"),
            ("STAGEPAD_RUN_OUTPUT_KB", "128"),
            ("STAGEPAD_RUN_CONCURRENCY", "3"),
        ])
        .unwrap();
        assert_eq!(
            s.runs,
            RunSettings {
                wall: Duration::from_secs(5),
                compile_wall: Duration::from_secs(30),
                cpu: Duration::from_secs(3),
                memory_mb: 512,
                processes: 32,
                open_files: 100,
                file_size_mb: 8,
                output_kb: 128,
                concurrency: 3,
            }
        );
        let limits = crate::runs::sandbox::Limits::from(&s);
        assert_eq!(limits.memory_bytes, 512 << 20);
        assert_eq!(limits.file_size_bytes, 8 << 20);
        assert_eq!(limits.output_bytes, 128 << 10);
        assert_eq!(limits.cpu, Duration::from_secs(3));
        for (name, bad) in [
            ("STAGEPAD_RUN_WALL_SECS", "0"),
            ("STAGEPAD_RUN_WALL_SECS", "ten"),
            ("STAGEPAD_RUN_COMPILE_SECS", "-1"),
            ("STAGEPAD_RUN_CPU_SECS", "1.5"),
            ("STAGEPAD_RUN_MEMORY_MB", "256M"),
            ("STAGEPAD_RUN_PROCESSES", "0"),
            ("STAGEPAD_RUN_OPEN_FILES", "many"),
            ("STAGEPAD_RUN_FILE_SIZE_MB", "99999999"),
            ("STAGEPAD_RUN_OUTPUT_KB", ""),
            ("STAGEPAD_RUN_CONCURRENCY", "5000"),
        ] {
            let err = settings(&[(name, bad)]).unwrap_err();
            assert_eq!(err.name, name, "{bad:?}");
            assert!(err.to_string().contains("whole number"), "{err}");
        }
    }

    #[test]
    fn bad_values_name_the_setting() {
        assert_eq!(
            settings(&[("STAGEPAD_BIND", "nowhere")]).unwrap_err().name,
            "STAGEPAD_BIND"
        );
        assert_eq!(
            settings(&[("STAGEPAD_LOG_FORMAT", "xml")])
                .unwrap_err()
                .name,
            "STAGEPAD_LOG_FORMAT"
        );
        assert_eq!(
            settings(&[("STAGEPAD_MASTER_KEY", "short")])
                .unwrap_err()
                .name,
            "STAGEPAD_MASTER_KEY"
        );
        assert_eq!(
            settings(&[("STAGEPAD_DATABASE_URL", "mysql://x")])
                .unwrap_err()
                .name,
            "STAGEPAD_DATABASE_URL"
        );
    }
}
