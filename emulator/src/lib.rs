//! `cxone-emulator`: a local HTTP emulator of the CXone data-actions upstream, for development
//! and end-to-end tests. It shares no code with the client crate, so it is an independent
//! reference for the contract.
//!
//! ```no_run
//! # async fn demo() -> Result<(), cxone_emulator::StartError> {
//! let server = cxone_emulator::start(cxone_emulator::Config { port: 0, ..Default::default() }).await?;
//! println!("{}", server.url());
//! server.shutdown().await;
//! # Ok(()) }
//! ```

pub mod auth;
pub mod callbacks;
pub mod catalogue;
pub mod clock;
pub mod control;
pub mod cxone_signin;
pub mod errors;
pub mod faults;
pub mod genesys;
pub mod invocations;
pub mod knobs;
pub mod listing;
pub mod oauth_form;
pub mod profile;
pub mod routes;
pub mod state;
pub mod stats;

use std::net::{IpAddr, Ipv4Addr, SocketAddr};
use std::sync::Arc;
use std::time::{Duration, Instant};

use axum::extract::{Request, State};
use axum::http::{header, StatusCode};
use axum::middleware::{self, Next};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::serve::ListenerExt;
use axum::Router;
use tokio::net::TcpListener;
use tokio::sync::oneshot;
use tokio::task::JoinHandle;

pub use callbacks::SigningError;
pub use catalogue::{Catalogue, CatalogueError};
pub use knobs::Knobs;
pub use profile::{Profile, UnknownProfile};

use errors::ApiError;
use state::{AppState, Settings};

/// The port used when none is given.
pub const DEFAULT_PORT: u16 = 9797;

/// cxone: the access key id accepted when none is given.
pub const DEFAULT_ACCESS_KEY_ID: &str = "demo-access-key-id";
/// cxone: the access key secret accepted when none is given.
pub const DEFAULT_ACCESS_KEY_SECRET: &str = "demo-access-key-secret";
/// cxone: the tenant id when none is given.
pub const DEFAULT_TENANT_ID: &str = "11eb0a4c-6b5c-4d3e-9f21-0242ac110002";
/// cxone: refresh tokens live a day unless told otherwise.
pub const DEFAULT_REFRESH_TOKEN_LIFETIME_SECS: u64 = 86_400;

/// How long `shutdown` waits for in-flight requests before dropping them.
const SHUTDOWN_GRACE: Duration = Duration::from_secs(5);

/// Everything a server is started with.
#[derive(Debug, Clone)]
pub struct Config {
    pub host: IpAddr,
    /// 0 picks a free port.
    pub port: u16,
    /// Which upstream to play (default: the seed's contract, byte for byte).
    pub profile: Profile,
    pub client_id: String,
    pub client_secret: String,
    /// cxone: the access key id accepted as the password grant's `username`.
    pub access_key_id: String,
    /// cxone: the access key secret accepted as the password grant's `password`.
    pub access_key_secret: String,
    /// cxone: the tenant the sign-in is for (the id_token's `tenantId` claim).
    pub tenant_id: String,
    /// cxone: the `api_endpoint` that `cxone-configuration` names (default: the emulator's own
    /// origin).
    pub api_base: Option<String>,
    /// cxone: lifetime of issued refresh tokens.
    pub refresh_token_lifetime_secs: u64,
    /// Signs callbacks (Standard Webhooks) when set; `whsec_<base64>` or raw text.
    pub callback_signing_secret: Option<String>,
    pub catalogue: Catalogue,
    /// The knobs at start (and after a reset).
    pub knobs: Knobs,
    /// One stderr line per request.
    pub verbose: bool,
}

impl Default for Config {
    fn default() -> Self {
        Self {
            host: IpAddr::V4(Ipv4Addr::LOCALHOST),
            port: DEFAULT_PORT,
            profile: Profile::CxoneSeed,
            client_id: "demo-client".to_owned(),
            client_secret: "demo-secret".to_owned(),
            access_key_id: DEFAULT_ACCESS_KEY_ID.to_owned(),
            access_key_secret: DEFAULT_ACCESS_KEY_SECRET.to_owned(),
            tenant_id: DEFAULT_TENANT_ID.to_owned(),
            api_base: None,
            refresh_token_lifetime_secs: DEFAULT_REFRESH_TOKEN_LIFETIME_SECS,
            callback_signing_secret: None,
            catalogue: Catalogue::builtin(),
            knobs: Knobs::default(),
            verbose: false,
        }
    }
}

#[derive(Debug, thiserror::Error)]
pub enum StartError {
    #[error("cannot listen on {addr}: {source}")]
    Bind {
        addr: SocketAddr,
        source: std::io::Error,
    },
    #[error(transparent)]
    Signing(#[from] SigningError),
    #[error("invalid knobs: {0}")]
    Knobs(String),
    #[error("refresh token lifetime must be at most {MAX_REFRESH_TOKEN_LIFETIME_SECS} s")]
    RefreshTokenLifetime,
}

/// cxone: the longest refresh-token lifetime (one year).
pub const MAX_REFRESH_TOKEN_LIFETIME_SECS: u64 = 31_536_000;

/// A running emulator. Dropping it asks the server to stop; [`RunningServer::shutdown`]
/// also waits for it.
#[derive(Debug)]
pub struct RunningServer {
    addr: SocketAddr,
    url: String,
    stop: Option<oneshot::Sender<()>>,
    task: Option<JoinHandle<std::io::Result<()>>>,
}

impl RunningServer {
    /// The base URL, e.g. `http://127.0.0.1:9797`.
    pub fn url(&self) -> &str {
        &self.url
    }

    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// Stops accepting connections, lets in-flight requests finish (at most 5 s), and waits.
    pub async fn shutdown(mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
        if let Some(mut task) = self.task.take() {
            if tokio::time::timeout(SHUTDOWN_GRACE, &mut task)
                .await
                .is_err()
            {
                task.abort();
            }
        }
    }
}

impl Drop for RunningServer {
    fn drop(&mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
    }
}

/// The seed's data-action routes (the cxone-seed and cxone profiles share them).
fn data_action_routes() -> Router<Arc<AppState>> {
    Router::new()
        .route("/api/v2/data-actions", get(listing::list))
        .route("/api/v2/data-actions/{id}", get(routes::definition))
        .route("/api/v2/data-actions/{id}/invoke", post(routes::invoke))
        .route(
            "/api/v2/data-actions/{id}/invoke/{invoke_id}",
            get(routes::poll).delete(routes::cancel),
        )
}

/// The control API and `/healthz`, the same for every profile.
fn control_routes() -> Router<Arc<AppState>> {
    Router::new()
        .route(
            "/_emulator/config",
            get(control::get_config).post(control::post_config),
        )
        .route("/_emulator/revoke-tokens", post(control::revoke_tokens))
        .route("/_emulator/stats", get(control::stats))
        .route("/_emulator/reset", post(control::reset))
        .route("/_emulator/invocations", get(control::invocations))
        .route(
            "/_emulator/invocations/{invoke_id}",
            get(control::invocation),
        )
        .route("/_emulator/catalogue", get(control::catalogue))
        .route("/healthz", get(control::healthz))
}

/// The router of the emulator over a state: the routes of its profile and the control API.
pub fn app(state: Arc<AppState>) -> Router {
    let upstream = match state.settings.profile {
        Profile::CxoneSeed => data_action_routes()
            .route("/oauth2/token", post(auth::token))
            .fallback(routes::fallback),
        Profile::Cxone => data_action_routes()
            .merge(cxone_signin::routes())
            .fallback(routes::fallback),
        Profile::GenesysCloud => genesys::routes().fallback(genesys::fallback),
    };
    upstream
        .merge(control_routes())
        .layer(middleware::from_fn_with_state(Arc::clone(&state), finish))
        .with_state(state)
}

/// Gives 405s a JSON body and, with `--verbose`, logs one line per request (method, path
/// without query, status, time; never headers or bodies, so no secrets or tokens).
async fn finish(State(state): State<Arc<AppState>>, request: Request, next: Next) -> Response {
    let log = state.settings.verbose.then(|| {
        (
            request.method().clone(),
            request.uri().path().to_owned(),
            Instant::now(),
        )
    });
    let mut response = next.run(request).await;
    if response.status() == StatusCode::METHOD_NOT_ALLOWED {
        let allow = response.headers().get(header::ALLOW).cloned();
        response = if state.settings.profile == Profile::GenesysCloud {
            genesys::errors::ErrorBody::new(
                StatusCode::METHOD_NOT_ALLOWED,
                "method.not.allowed",
                "HTTP method not allowed for this resource",
            )
            .into_response()
        } else {
            ApiError::new(
                StatusCode::METHOD_NOT_ALLOWED,
                "METHOD_NOT_ALLOWED",
                "method not allowed",
            )
            .into_response()
        };
        if let Some(allow) = allow {
            response.headers_mut().insert(header::ALLOW, allow);
        }
    }
    if let Some((method, path, started)) = log {
        eprintln!(
            "cxone-emulator: {method} {path} {} {:.1}ms",
            response.status().as_u16(),
            started.elapsed().as_secs_f64() * 1000.0
        );
    }
    response
}

/// Binds and starts serving on the current tokio runtime.
pub async fn start(config: Config) -> Result<RunningServer, StartError> {
    config.knobs.validate().map_err(|problems| {
        StartError::Knobs(
            problems
                .into_iter()
                .map(|p| p.message)
                .collect::<Vec<_>>()
                .join("; "),
        )
    })?;
    if config.refresh_token_lifetime_secs > MAX_REFRESH_TOKEN_LIFETIME_SECS {
        return Err(StartError::RefreshTokenLifetime);
    }
    let signing_key = config
        .callback_signing_secret
        .as_deref()
        .map(callbacks::signing_key)
        .transpose()?;
    let wanted = SocketAddr::new(config.host, config.port);
    let listener = TcpListener::bind(wanted)
        .await
        .map_err(|source| StartError::Bind {
            addr: wanted,
            source,
        })?;
    let addr = listener.local_addr().map_err(|source| StartError::Bind {
        addr: wanted,
        source,
    })?;
    let url = format!("http://{addr}");
    // The issuer and API base a client reaches: loopback when listening on every address.
    let origin = if addr.ip().is_unspecified() {
        let loopback = match addr.ip() {
            IpAddr::V4(_) => IpAddr::V4(Ipv4Addr::LOCALHOST),
            IpAddr::V6(_) => IpAddr::V6(std::net::Ipv6Addr::LOCALHOST),
        };
        format!("http://{}", SocketAddr::new(loopback, addr.port()))
    } else {
        url.clone()
    };
    let settings = Settings {
        profile: config.profile,
        client_id: config.client_id,
        client_secret: config.client_secret,
        access_key_id: config.access_key_id,
        access_key_secret: config.access_key_secret,
        tenant_id: config.tenant_id,
        api_base: config
            .api_base
            .map(|base| base.trim_end_matches('/').to_owned())
            .unwrap_or_else(|| origin.clone()),
        refresh_token_lifetime_secs: config.refresh_token_lifetime_secs,
        origin,
        signing_key,
        initial_knobs: config.knobs,
        verbose: config.verbose,
    };
    let state = Arc::new(AppState::new(settings, config.catalogue));
    let listener = listener.tap_io(|tcp| {
        // Best effort: a socket that refuses TCP_NODELAY still works.
        let _ = tcp.set_nodelay(true);
    });
    let (stop, stopped) = oneshot::channel::<()>();
    let router = app(state);
    let task = tokio::spawn(async move {
        axum::serve(listener, router)
            .with_graceful_shutdown(async {
                let _ = stopped.await;
            })
            .await
    });
    Ok(RunningServer {
        addr,
        url,
        stop: Some(stop),
        task: Some(task),
    })
}
