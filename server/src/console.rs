//! Serves the built console: `index.html` for every client-side route, and content-hashed
//! assets with long cache lifetimes in the brotli or gzip variant the browser accepts.
//! Everything is read into memory once at start-up: the whole console is a few hundred KB.

use std::collections::HashMap;
use std::path::Path;

use actix_web::http::header::{self, HeaderValue};
use actix_web::http::{Method, StatusCode};
use actix_web::web::Bytes;
use actix_web::{HttpRequest, HttpResponse, web};
use api::ErrorCode;

use crate::error::ApiError;
use crate::i18n::{Text, msg};

const IMMUTABLE: &str = "public, max-age=31536000, immutable";
const CONTENT_SECURITY_POLICY: &str = "default-src 'self'; script-src 'self' 'wasm-unsafe-eval'; \
     style-src 'self' 'unsafe-inline'; img-src 'self' data:; connect-src 'self' ws: wss:; \
     frame-ancestors 'none'; base-uri 'none'; form-action 'self'";

#[derive(Default)]
pub struct Console {
    index: Option<StaticFile>,
    assets: HashMap<String, StaticFile>,
}

struct StaticFile {
    content_type: &'static str,
    identity: Bytes,
    brotli: Option<Bytes>,
    gzip: Option<Bytes>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Encoding {
    Brotli,
    Gzip,
    Identity,
}

impl Console {
    /// Loads `dir/index.html` and `dir/assets/*`. A missing directory gives an empty console
    /// (the API still works; the pages answer that the console was not built).
    pub fn load(dir: &Path) -> std::io::Result<Self> {
        let mut console = Console::default();
        if !dir.join("index.html").exists() {
            tracing::warn!(dir = %dir.display(), "console not built: run `make console`");
            return Ok(console);
        }
        console.index = Some(StaticFile::read(&dir.join("index.html"))?);
        let assets_dir = dir.join("assets");
        if assets_dir.is_dir() {
            for entry in std::fs::read_dir(&assets_dir)? {
                let path = entry?.path();
                let name = path
                    .file_name()
                    .and_then(|n| n.to_str())
                    .unwrap_or_default()
                    .to_string();
                if path.is_file() && !name.ends_with(".br") && !name.ends_with(".gz") {
                    console.assets.insert(name, StaticFile::read(&path)?);
                }
            }
        }
        Ok(console)
    }

    pub fn is_built(&self) -> bool {
        self.index.is_some()
    }
}

impl StaticFile {
    fn read(path: &Path) -> std::io::Result<Self> {
        let sibling = |suffix: &str| {
            let mut name = path.as_os_str().to_owned();
            name.push(suffix);
            std::fs::read(name).ok().map(Bytes::from)
        };
        Ok(Self {
            content_type: content_type(path),
            identity: Bytes::from(std::fs::read(path)?),
            brotli: sibling(".br"),
            gzip: sibling(".gz"),
        })
    }

    fn respond(&self, request: &HttpRequest, cache_control: &'static str) -> HttpResponse {
        let accepted = accepted_encodings(request);
        let (body, encoding) = match (&self.brotli, &self.gzip) {
            (Some(br), _) if accepted.contains(&Encoding::Brotli) => (br.clone(), Encoding::Brotli),
            (_, Some(gz)) if accepted.contains(&Encoding::Gzip) => (gz.clone(), Encoding::Gzip),
            _ => (self.identity.clone(), Encoding::Identity),
        };
        let mut response = HttpResponse::Ok();
        response
            .content_type(self.content_type)
            .insert_header((header::CACHE_CONTROL, cache_control))
            .insert_header((header::VARY, "Accept-Encoding"))
            .insert_header((header::X_CONTENT_TYPE_OPTIONS, "nosniff"));
        match encoding {
            Encoding::Brotli => response.insert_header((header::CONTENT_ENCODING, "br")),
            Encoding::Gzip => response.insert_header((header::CONTENT_ENCODING, "gzip")),
            Encoding::Identity => &mut response,
        };
        response.body(body)
    }
}

pub fn routes(cfg: &mut web::ServiceConfig) {
    cfg.route("/assets/{name}", web::get().to(get_asset))
        .route("/assets/{name}", web::head().to(get_asset));
}

async fn get_asset(
    request: HttpRequest,
    name: web::Path<String>,
    console: web::Data<Console>,
) -> Result<HttpResponse, ApiError> {
    console
        .assets
        .get(name.as_str())
        .map(|file| file.respond(&request, IMMUTABLE))
        .ok_or_else(|| ApiError::not_found(msg(Text::RequestNoAsset).with("name", &*name)))
}

/// The fallback for every unmatched request: client-side routes get `index.html`, anything
/// under `/api/` or `/webhooks/` (or not a GET) gets a JSON 404.
pub async fn fallback(
    request: HttpRequest,
    console: web::Data<Console>,
) -> Result<HttpResponse, ApiError> {
    let path = request.path();
    let is_page = matches!(*request.method(), Method::GET | Method::HEAD)
        && !["/api/", "/webhooks/", "/assets/"]
            .iter()
            .any(|p| path.starts_with(p))
        && path != "/api"
        && path != "/webhooks";
    if !is_page {
        return Err(ApiError::not_found(
            msg(Text::RequestNoRoute)
                .with("method", request.method())
                .with("path", path),
        ));
    }
    let Some(index) = &console.index else {
        return Err(ApiError::new(
            StatusCode::SERVICE_UNAVAILABLE,
            ErrorCode::ConsoleNotBuilt,
            msg(Text::RequestConsoleNotBuilt),
        ));
    };
    let mut response = index.respond(&request, "no-cache");
    response.headers_mut().insert(
        header::CONTENT_SECURITY_POLICY,
        HeaderValue::from_static(CONTENT_SECURITY_POLICY),
    );
    response.headers_mut().insert(
        header::REFERRER_POLICY,
        HeaderValue::from_static("no-referrer"),
    );
    Ok(response)
}

fn accepted_encodings(request: &HttpRequest) -> Vec<Encoding> {
    request
        .headers()
        .get_all(header::ACCEPT_ENCODING)
        .filter_map(|value| value.to_str().ok())
        .flat_map(|value| value.split(','))
        .filter_map(|item| {
            let mut parts = item.split(';');
            let name = parts.next()?.trim().to_ascii_lowercase();
            let refused = parts.any(|param| {
                param
                    .trim()
                    .strip_prefix("q=")
                    .and_then(|q| q.trim().parse::<f32>().ok())
                    == Some(0.0)
            });
            match (name.as_str(), refused) {
                (_, true) => None,
                ("br", _) => Some(Encoding::Brotli),
                ("gzip", _) => Some(Encoding::Gzip),
                _ => None,
            }
        })
        .collect()
}

fn content_type(path: &Path) -> &'static str {
    match path
        .extension()
        .and_then(|e| e.to_str())
        .unwrap_or_default()
    {
        "html" => "text/html; charset=utf-8",
        "js" => "text/javascript; charset=utf-8",
        "wasm" => "application/wasm",
        "css" => "text/css; charset=utf-8",
        "svg" => "image/svg+xml",
        "png" => "image/png",
        "ico" => "image/x-icon",
        "json" => "application/json",
        "txt" => "text/plain; charset=utf-8",
        _ => "application/octet-stream",
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use actix_web::test::TestRequest;

    #[test]
    fn brotli_is_preferred_and_q_zero_refuses() {
        let request = TestRequest::default()
            .insert_header((header::ACCEPT_ENCODING, "gzip, deflate, br;q=0.9"))
            .to_http_request();
        assert_eq!(
            accepted_encodings(&request),
            vec![Encoding::Gzip, Encoding::Brotli]
        );
        let request = TestRequest::default()
            .insert_header((header::ACCEPT_ENCODING, "br;q=0, gzip"))
            .to_http_request();
        assert_eq!(accepted_encodings(&request), vec![Encoding::Gzip]);
        assert!(accepted_encodings(&TestRequest::default().to_http_request()).is_empty());
    }
}
