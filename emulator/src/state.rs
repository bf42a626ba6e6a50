//! The shared state of a running emulator: knobs, tokens, invocations, counters.
//!
//! The hot path (token check, knob read, invocation insert) takes short read locks or one
//! short mutex; counters are atomics.

use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Mutex, MutexGuard, PoisonError, RwLock};
use std::time::{Duration, Instant};

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine as _;
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;
use serde_json::{Map, Value};

use crate::callbacks::{self, HttpClient};
use crate::catalogue::Catalogue;
use crate::cxone_signin::SignInState;
use crate::errors::ErrorItem;
use crate::invocations::InvocationStore;
use crate::knobs::{Knobs, PatchEffects};
use crate::profile::Profile;
use crate::stats::Stats;

/// Token scopes the emulator knows.
pub const SCOPE_READ: &str = "data-actions:read";
pub const SCOPE_EXECUTE: &str = "data-actions:execute";

/// Tokens kept before expired and revoked ones are pruned.
const TOKEN_PRUNE_THRESHOLD: usize = 10_000;

/// What a token may do.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Scopes {
    pub read: bool,
    pub execute: bool,
}

impl Scopes {
    pub const ALL: Scopes = Scopes {
        read: true,
        execute: true,
    };

    /// Space-separated, in a fixed order.
    pub fn to_scope_string(self) -> String {
        let mut parts = Vec::with_capacity(2);
        if self.read {
            parts.push(SCOPE_READ);
        }
        if self.execute {
            parts.push(SCOPE_EXECUTE);
        }
        parts.join(" ")
    }

    pub fn is_empty(self) -> bool {
        !self.read && !self.execute
    }
}

/// Settings fixed for the life of the server.
#[derive(Debug, Clone)]
pub struct Settings {
    pub profile: Profile,
    pub client_id: String,
    pub client_secret: String,
    /// cxone: the password grant's `username`.
    pub access_key_id: String,
    /// cxone: the password grant's `password`.
    pub access_key_secret: String,
    /// cxone: the tenant signed in to.
    pub tenant_id: String,
    /// cxone: the `api_endpoint` of `cxone-configuration`, without a trailing slash.
    pub api_base: String,
    /// cxone: lifetime of refresh tokens.
    pub refresh_token_lifetime_secs: u64,
    /// The emulator's own origin, e.g. `http://127.0.0.1:9797` (the cxone issuer).
    pub origin: String,
    /// The HMAC key derived from the callback signing secret.
    pub signing_key: Option<Vec<u8>>,
    /// The knobs at start, restored by a reset.
    pub initial_knobs: Knobs,
    pub verbose: bool,
}

#[derive(Debug, Clone, Copy)]
struct TokenRecord {
    scopes: Scopes,
    expires_at: Instant,
    generation: u64,
}

/// Why a bearer token is refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum TokenProblem {
    #[error("unknown access token")]
    Unknown,
    #[error("access token has been revoked")]
    Revoked,
    #[error("access token has expired")]
    Expired,
}

pub struct AppState {
    pub settings: Settings,
    pub catalogue: Catalogue,
    pub stats: Stats,
    pub http: HttpClient,
    /// cxone: refresh tokens and sign-in faults.
    pub signin: SignInState,
    knobs: RwLock<Knobs>,
    rng: Mutex<ChaCha8Rng>,
    tokens: RwLock<HashMap<String, TokenRecord>>,
    token_generation: AtomicU64,
    invocations: Mutex<InvocationStore>,
    rate_limited_seen: AtomicU64,
    /// `/api` requests since the start (or the last reset), for `revokeTokensEvery`.
    api_requests: AtomicU64,
    epoch: AtomicU64,
}

fn lock<T>(mutex: &Mutex<T>) -> MutexGuard<'_, T> {
    mutex.lock().unwrap_or_else(PoisonError::into_inner)
}

fn seeded(seed: Option<u64>) -> ChaCha8Rng {
    match seed {
        Some(seed) => ChaCha8Rng::seed_from_u64(seed),
        None => ChaCha8Rng::from_entropy(),
    }
}

impl AppState {
    pub fn new(settings: Settings, catalogue: Catalogue) -> Self {
        let knobs = settings.initial_knobs;
        Self {
            stats: Stats::new(catalogue.ids()).with_signin(settings.profile == Profile::Cxone),
            catalogue,
            http: callbacks::http_client(),
            signin: SignInState::default(),
            knobs: RwLock::new(knobs),
            rng: Mutex::new(seeded(knobs.seed)),
            tokens: RwLock::new(HashMap::new()),
            token_generation: AtomicU64::new(0),
            invocations: Mutex::new(InvocationStore::default()),
            rate_limited_seen: AtomicU64::new(0),
            api_requests: AtomicU64::new(0),
            epoch: AtomicU64::new(0),
            settings,
        }
    }

    pub fn knobs(&self) -> Knobs {
        *self.knobs.read().unwrap_or_else(PoisonError::into_inner)
    }

    /// Merges a partial JSON object into the knobs (atomically: all or nothing).
    pub fn patch_knobs(&self, patch: &Map<String, Value>) -> Result<Knobs, Vec<ErrorItem>> {
        let mut current = self.knobs.write().unwrap_or_else(PoisonError::into_inner);
        let (next, effects) = current.patched(patch)?;
        self.store_knobs(&mut current, next, effects);
        Ok(next)
    }

    /// Stores new knobs (already validated) and applies their side effects.
    pub fn apply_knobs(&self, knobs: Knobs, effects: PatchEffects) {
        let mut current = self.knobs.write().unwrap_or_else(PoisonError::into_inner);
        self.store_knobs(&mut current, knobs, effects);
    }

    fn store_knobs(&self, current: &mut Knobs, knobs: Knobs, effects: PatchEffects) {
        *current = knobs;
        if effects.reseed {
            *lock(&self.rng) = seeded(knobs.seed);
        }
        if effects.restart_rate_limited {
            self.rate_limited_seen.store(0, Ordering::SeqCst);
        }
    }

    /// A uniform draw in [0, 1) from the seedable fault RNG.
    pub fn fault_draw(&self) -> f64 {
        lock(&self.rng).gen::<f64>()
    }

    /// Issues a token with these scopes and the current lifetime; returns it and its lifetime.
    pub fn issue_token(&self, scopes: Scopes) -> (String, u64) {
        let lifetime = self.knobs().token_lifetime_secs;
        let token = URL_SAFE_NO_PAD.encode(rand::thread_rng().gen::<[u8; 32]>());
        let now = Instant::now();
        let generation = self.token_generation.load(Ordering::SeqCst);
        let record = TokenRecord {
            scopes,
            expires_at: now + Duration::from_secs(lifetime),
            generation,
        };
        let mut tokens = self.tokens.write().unwrap_or_else(PoisonError::into_inner);
        if tokens.len() >= TOKEN_PRUNE_THRESHOLD {
            tokens.retain(|_, r| r.expires_at > now && r.generation == generation);
        }
        tokens.insert(token.clone(), record);
        (token, lifetime)
    }

    /// The scopes of a valid token.
    pub fn check_token(&self, token: &str) -> Result<Scopes, TokenProblem> {
        let record = {
            let tokens = self.tokens.read().unwrap_or_else(PoisonError::into_inner);
            tokens.get(token).copied()
        };
        let record = record.ok_or(TokenProblem::Unknown)?;
        if record.generation != self.token_generation.load(Ordering::SeqCst) {
            return Err(TokenProblem::Revoked);
        }
        if Instant::now() >= record.expires_at {
            return Err(TokenProblem::Expired);
        }
        Ok(record.scopes)
    }

    /// Invalidates every token issued so far; returns how many were still valid.
    pub fn revoke_tokens(&self) -> usize {
        let tokens = self.tokens.read().unwrap_or_else(PoisonError::into_inner);
        let generation = self.token_generation.fetch_add(1, Ordering::SeqCst);
        let now = Instant::now();
        tokens
            .values()
            .filter(|r| r.generation == generation && r.expires_at > now)
            .count()
    }

    /// Counts one `/api` request; every `revokeTokensEvery`-th one revokes every token first
    /// (so it is answered 401 itself, like any request racing a revocation).
    pub fn count_api_request(&self, knobs: &Knobs) {
        let number = self.api_requests.fetch_add(1, Ordering::SeqCst) + 1;
        if knobs.revoke_tokens_every > 0 && number.is_multiple_of(knobs.revoke_tokens_every) {
            self.revoke_tokens();
        }
    }

    /// Counts an invoke of a `rate-limited` action; returns its 1-based number.
    pub fn next_rate_limited(&self) -> u64 {
        self.rate_limited_seen.fetch_add(1, Ordering::SeqCst) + 1
    }

    pub fn invocations(&self) -> MutexGuard<'_, InvocationStore> {
        lock(&self.invocations)
    }

    /// Changes on every reset, so background work started before one stops touching state.
    pub fn epoch(&self) -> u64 {
        self.epoch.load(Ordering::SeqCst)
    }

    /// Back to the start state: knobs from the command line, counters zero, tokens and
    /// invocations forgotten, the `rate-limited` count and the fault RNG restarted.
    pub fn reset(&self) {
        self.epoch.fetch_add(1, Ordering::SeqCst);
        let initial = self.settings.initial_knobs;
        self.apply_knobs(
            initial,
            PatchEffects {
                reseed: true,
                restart_rate_limited: true,
            },
        );
        self.tokens
            .write()
            .unwrap_or_else(PoisonError::into_inner)
            .clear();
        self.api_requests.store(0, Ordering::SeqCst);
        self.signin.clear();
        self.invocations().clear();
        self.stats.clear();
    }
}
