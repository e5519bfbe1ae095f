//! The HTTP API (docs/service.md, "API"): `/v1/verify`, `/v1/challenge`, `/healthz`, `/readyz`,
//! `/metrics`.
//!
//! This module owns the order of the gates a request passes — counter authentication before the
//! body is read, the counter's rate, the body limit, the request's shape — and the one rule the
//! service adds to the core's verifier: a code is accepted only after the shared replay cache
//! recorded its identity for the first time. It must never answer `accepted` when the cache
//! could not answer, never tell an unauthenticated caller anything, and never write claims, QR
//! text or tokens to a log.

use std::sync::{Arc, RwLock};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use axum::body::Bytes;
use axum::extract::rejection::BytesRejection;
use axum::extract::{DefaultBodyLimit, Request, State};
use axum::http::{HeaderValue, StatusCode, header};
use axum::middleware::{self, Next};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Extension, Json, Router};
use netid_core::counter::{CounterSigner, IssuedRequest, MAX_REQUEST_LIFETIME_SECS};
use netid_core::issuer::TrustList;
use netid_core::present::Purpose;
use netid_core::time::SystemClock;
use netid_core::verify::{
    UnrecordedPresentation, VerifiedPresentation, Verifier, VerifierOptions, VerifyError,
    VerifyRequest,
};
use rand_core::{OsRng, RngCore};
use serde::Deserialize;
use serde_json::{Value, json};

use crate::audit::{AuditLog, AuditRecord};
use crate::auth::{CounterId, Counters};
use crate::config::{Config, ResolvedPurpose};
use crate::metrics::Metrics;
use crate::rate::RateLimits;
use crate::replay::{Redeemed, ReplayCache, ReplayDecision, ReplayUnavailable};
use crate::sources::TrustAndStatus;

/// Nonce lengths accepted in `/v1/verify`, bytes (the CLI's `--nonce` rule).
const NONCE_BYTES: std::ops::RangeInclusive<usize> = 8..=64;
/// Audience lengths accepted, bytes.
const AUDIENCE_BYTES: std::ops::RangeInclusive<usize> = 1..=256;

/// Everything a request handler needs, shared by all of them.
pub struct AppState {
    sources: TrustAndStatus,
    replay: ReplayCache,
    pub(crate) counters: Counters,
    pub(crate) rates: RateLimits,
    pub(crate) metrics: Metrics,
    audit: AuditLog,
    purposes: Vec<ResolvedPurpose>,
    options: VerifierOptions,
    replay_timeout: Duration,
    challenge_ttl: Duration,
    verifier: RwLock<(u64, Arc<Verifier>)>,
    /// Registered counters' request signers, by the counter's configured id.
    signers: std::collections::HashMap<String, Arc<CounterSigner>>,
    /// Signed-in desk pages (`/desk`).
    pub(crate) desk: crate::desk::session::Sessions,
}

impl AppState {
    /// The service's state for `config`, its running sources and its replay cache.
    pub fn new(
        config: &Config,
        sources: TrustAndStatus,
        replay: ReplayCache,
        audit: AuditLog,
    ) -> Self {
        let options = VerifierOptions {
            skew_secs: config.verifier.skew_seconds,
            max_age_secs: config.verifier.max_age_seconds,
            // The core's own replay cache is not used: the shared one decides.
            replay_capacity: 1,
            accept_stale_status: config.verifier.accept_stale_status,
            accept_unavailable_status: false,
        };
        let purposes = config.purposes();
        let (generation, trust) = sources.trust();
        let verifier = build_verifier(&trust, &options, &purposes, &sources);
        Self {
            counters: Counters::from_config(&config.counters),
            rates: RateLimits::from_config(&config.counters, Instant::now()),
            metrics: Metrics::default(),
            audit,
            purposes,
            options,
            replay_timeout: Duration::from_millis(config.replay.timeout_ms),
            challenge_ttl: Duration::from_secs(config.replay.challenge_ttl_seconds),
            verifier: RwLock::new((generation, Arc::new(verifier))),
            signers: config
                .counters
                .iter()
                .filter_map(|c| Some((c.id.clone(), Arc::clone(c.signer.as_ref()?))))
                .collect(),
            desk: crate::desk::session::Sessions::new(
                Duration::from_secs(u64::from(config.desk.session_hours) * 3600),
                config.desk.secure_cookie,
            ),
            sources,
            replay,
        }
    }

    /// The names of the purposes this service verifies for, in configuration order.
    pub(crate) fn purpose_names(&self) -> impl Iterator<Item = &'static str> + '_ {
        self.purposes.iter().map(|p| p.purpose.as_str())
    }

    /// Whether this service verifies for `purpose`.
    pub(crate) fn verifies_for(&self, purpose: Purpose) -> bool {
        self.purposes.iter().any(|p| p.purpose == purpose)
    }

    /// A new desk's purpose until it chooses: the first configured.
    pub(crate) fn default_desk_purpose(&self) -> Purpose {
        self.purposes
            .first()
            .map_or(Purpose::HotelCheckIn, |p| p.purpose)
    }

    /// The verifier for the current trust list, rebuilt when the list changed.
    fn verifier(&self) -> Arc<Verifier> {
        let (generation, trust) = self.sources.trust();
        {
            let slot = self
                .verifier
                .read()
                .unwrap_or_else(std::sync::PoisonError::into_inner);
            if slot.0 >= generation {
                return Arc::clone(&slot.1);
            }
        }
        let fresh = Arc::new(build_verifier(
            &trust,
            &self.options,
            &self.purposes,
            &self.sources,
        ));
        let mut slot = self
            .verifier
            .write()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        if slot.0 < generation {
            *slot = (generation, Arc::clone(&fresh));
        }
        fresh
    }
}

fn build_verifier(
    trust: &TrustList,
    options: &VerifierOptions,
    purposes: &[ResolvedPurpose],
    sources: &TrustAndStatus,
) -> Verifier {
    let mut verifier =
        Verifier::with_options(trust.clone(), Box::new(SystemClock), options.clone());
    for p in purposes {
        verifier.set_policy(p.purpose, p.policy.clone());
    }
    verifier.set_status_lookup(Box::new(sources.status_lookup()));
    verifier
}

/// Every second until `shutdown` turns true: bring the replay cache's memory starts up to date,
/// so after a Redis loses its data every bucket's memory restarts within a second, not when a
/// code first lands in it. Failures are the checks' business (they answer 503), so they are
/// only logged when they begin.
pub async fn keep_replay_memory(
    state: Arc<AppState>,
    mut shutdown: tokio::sync::watch::Receiver<bool>,
) {
    let mut failing = false;
    loop {
        tokio::select! {
            () = tokio::time::sleep(Duration::from_secs(1)) => {}
            changed = shutdown.changed() => {
                if changed.is_err() || *shutdown.borrow() {
                    return;
                }
            }
        }
        match state.replay.keep_memory_starts(unix_millis()).await {
            Ok(()) => failing = false,
            Err(e) => {
                if !failing {
                    eprintln!("netid-verifier: replay cache unavailable: {e}");
                }
                failing = true;
            }
        }
    }
}

/// The router, with every gate in place.
pub fn router(state: Arc<AppState>, max_body_bytes: usize, request_timeout: Duration) -> Router {
    let v1 = Router::new()
        .route("/v1/verify", post(verify))
        .route("/v1/challenge", post(challenge))
        .layer(DefaultBodyLimit::max(max_body_bytes))
        .route_layer(middleware::from_fn_with_state(
            Arc::clone(&state),
            authenticate,
        ));
    Router::new()
        .merge(v1)
        .merge(crate::desk::router(max_body_bytes))
        .route("/healthz", get(healthz))
        .route("/readyz", get(readyz))
        .route("/metrics", get(metrics))
        .fallback(not_found)
        .layer(middleware::from_fn(move |req: Request, next: Next| {
            within(request_timeout, req, next)
        }))
        .with_state(state)
}

/// A request that takes longer than `timeout` as a whole (a client trickling its body) is
/// answered 408 and its connection closed.
async fn within(timeout: Duration, req: Request, next: Next) -> Response {
    match tokio::time::timeout(timeout, next.run(req)).await {
        Ok(response) => response,
        Err(_) => {
            let mut response = problem(
                StatusCode::REQUEST_TIMEOUT,
                "request-timeout",
                "the request took too long to arrive; send it again in one go",
            );
            response
                .headers_mut()
                .insert(header::CONNECTION, HeaderValue::from_static("close"));
            response
        }
    }
}

/// Counter authentication and the counter's rate, before the body is read.
async fn authenticate(State(app): State<Arc<AppState>>, mut req: Request, next: Next) -> Response {
    let header = req
        .headers()
        .get(header::AUTHORIZATION)
        .map(HeaderValue::as_bytes);
    let Some(counter) = app.counters.authenticate(header) else {
        app.metrics.turned_away(401);
        let mut response = problem(
            StatusCode::UNAUTHORIZED,
            "unauthorized",
            "send this counter's token as `Authorization: Bearer <token>`",
        );
        response.headers_mut().insert(
            header::WWW_AUTHENTICATE,
            HeaderValue::from_static("Bearer realm=\"netid-verifier\""),
        );
        return response;
    };
    if let Err(wait) = app.rates.take(&counter.0, Instant::now()) {
        app.metrics.turned_away(429);
        let seconds = wait.as_secs() + u64::from(wait.subsec_nanos() > 0);
        let mut response = problem(
            StatusCode::TOO_MANY_REQUESTS,
            "rate-limited",
            "this counter is over its rate; wait for Retry-After seconds",
        );
        response
            .headers_mut()
            .insert(header::RETRY_AFTER, HeaderValue::from(seconds.max(1)));
        return response;
    }
    req.extensions_mut().insert(counter);
    next.run(req).await
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct VerifyBody {
    qr: String,
    purpose: String,
    #[serde(default)]
    audience: Option<String>,
    #[serde(default)]
    nonce: Option<String>,
}

async fn verify(
    State(app): State<Arc<AppState>>,
    Extension(counter): Extension<CounterId>,
    body: Result<Bytes, BytesRejection>,
) -> Response {
    let body = match body {
        Ok(body) => body,
        Err(rejection) => return body_problem(&app, &rejection),
    };
    let (request, qr) = match parse_verify_body(&app, &body) {
        Ok(parsed) => parsed,
        Err(BadRequest(kind, message)) => {
            app.metrics.turned_away(400);
            return problem(StatusCode::BAD_REQUEST, kind, &message);
        }
    };
    let verification = match verify_code(&app, &counter, &request, &qr).await {
        Ok(verification) => verification,
        Err(BadRequest(kind, message)) => {
            app.metrics.turned_away(400);
            return problem(StatusCode::BAD_REQUEST, kind, &message);
        }
    };
    let body = match &verification.result {
        Ok(verified) => accepted_json(verified, verification.purpose),
        Err(refusal) => refusal_json(refusal.kind, &refusal.message),
    };
    let mut response = (verification.status, Json(body)).into_response();
    response
        .headers_mut()
        .insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    response
}

/// What verifying one code for one counter came to.
pub(crate) struct Verification {
    /// 200, or 503 when the replay cache did not answer.
    pub status: StatusCode,
    pub purpose: Purpose,
    pub result: Result<VerifiedPresentation, Refusal>,
}

/// A refused code: its stable kind and a message in English for logs and API clients.
pub(crate) struct Refusal {
    pub kind: &'static str,
    pub message: String,
}

/// The whole decision for one code — the request's challenge, the core's checks, the shared
/// replay cache — with its metrics and audit record: what `/v1/verify` and the desk page share.
pub(crate) async fn verify_code(
    app: &AppState,
    counter: &CounterId,
    request: &VerifyRequest,
    qr: &str,
) -> Result<Verification, BadRequest> {
    let started = Instant::now();
    let purpose = request.purpose;
    let issued = answering(app, counter, request)?;
    let outcome = decide(app, counter, qr, request, issued.as_ref()).await;
    let took = started.elapsed();
    let (status, result) = match outcome {
        Outcome::Accepted(verified) => (StatusCode::OK, Ok(verified)),
        Outcome::Refused { kind, message } => (StatusCode::OK, Err(Refusal { kind, message })),
        Outcome::Unavailable(e) => {
            app.metrics.replay_error(match e {
                ReplayUnavailable::Timeout(_) => "timeout",
                ReplayUnavailable::Backend(_) => "backend",
            });
            // The backend's message (a connection error) goes to the operator's log, not to
            // the counter.
            eprintln!("netid-verifier: replay cache unavailable: {e}");
            (
                StatusCode::SERVICE_UNAVAILABLE,
                Err(Refusal {
                    kind: REPLAY_CACHE_UNAVAILABLE,
                    message: "the shared replay cache did not answer, so the code cannot be \
                              accepted safely; scan again in a moment"
                        .into(),
                }),
            )
        }
    };
    let (kind, doc_type) = match &result {
        Ok(verified) => ("accepted", Some(verified.doc_type().as_str())),
        Err(refusal) => (refusal.kind, None),
    };
    app.metrics.verification(kind, took);
    app.audit.record(AuditRecord {
        counter: counter.0.clone(),
        purpose: purpose.as_str(),
        outcome: kind,
        doc_type,
        status: status.as_u16(),
        micros: u64::try_from(took.as_micros()).unwrap_or(u64::MAX),
    });
    Ok(Verification {
        status,
        purpose,
        result,
    })
}

/// A request body that is not a verification request: its error kind and message.
pub(crate) struct BadRequest(pub &'static str, pub String);

fn parse_verify_body(app: &AppState, body: &[u8]) -> Result<(VerifyRequest, String), BadRequest> {
    let parsed: VerifyBody = serde_json::from_slice(body).map_err(|e| {
        // serde_json's message names the field and position, never the value.
        BadRequest(
            "bad-request",
            format!(
                "the body must be JSON {{\"qr\", \"purpose\", \"audience\"?, \"nonce\"?}}: {}",
                redact_serde_error(&e)
            ),
        )
    })?;
    let purpose = Purpose::from_name(&parsed.purpose)
        .filter(|p| app.purposes.iter().any(|r| r.purpose == *p))
        .ok_or_else(|| {
            let names: Vec<&str> = app.purposes.iter().map(|p| p.purpose.as_str()).collect();
            BadRequest(
                "unknown-purpose",
                format!("this service verifies for: {}", names.join(", ")),
            )
        })?;
    if let Some(audience) = &parsed.audience
        && !AUDIENCE_BYTES.contains(&audience.len())
    {
        return Err(BadRequest(
            "bad-request",
            "`audience` must be 1 to 256 bytes".into(),
        ));
    }
    let nonce = match &parsed.nonce {
        None => None,
        Some(text) => match hex::decode(text) {
            Ok(bytes) if NONCE_BYTES.contains(&bytes.len()) => Some(bytes),
            _ => {
                return Err(BadRequest(
                    "bad-request",
                    "`nonce` must be 8 to 64 bytes as hexadecimal (16 to 128 digits)".into(),
                ));
            }
        },
    };
    Ok((
        VerifyRequest {
            purpose,
            audience: parsed.audience,
            nonce,
        },
        parsed.qr,
    ))
}

/// serde_json's error without any quoted input it might echo (`invalid value: string "…"`).
fn redact_serde_error(e: &serde_json::Error) -> String {
    let category = match e.classify() {
        serde_json::error::Category::Io => "could not be read",
        serde_json::error::Category::Syntax => "is not valid JSON",
        serde_json::error::Category::Data => "has a missing, unknown or mistyped field",
        serde_json::error::Category::Eof => "ends early",
    };
    format!("it {category} (line {}, column {})", e.line(), e.column())
}

enum Outcome {
    Accepted(VerifiedPresentation),
    Refused { kind: &'static str, message: String },
    Unavailable(ReplayUnavailable),
}

/// For a registered counter naming a nonce: the record of the signed request that nonce belongs
/// to, as far as the counter's own request can be rebuilt (its id, the purpose, the nonce). The
/// challenge store holds the nonce bound to this counter and purpose, and only until the
/// request expired: redeeming it (after the core's checks) is what proves the request is live and
/// unanswered, so the rebuilt record's expiry is now.
fn answering(
    app: &AppState,
    counter: &CounterId,
    request: &VerifyRequest,
) -> Result<Option<IssuedRequest>, BadRequest> {
    let (Some(signer), Some(nonce)) = (app.signers.get(&counter.0), &request.nonce) else {
        return Ok(None);
    };
    if request.audience.is_some() {
        return Err(BadRequest(
            "bad-request",
            "a registered counter's answers are bound to its registered id: leave out `audience`"
                .into(),
        ));
    }
    let nonce: [u8; 16] = nonce.as_slice().try_into().map_err(|_| {
        BadRequest(
            "bad-request",
            "a registered counter's `nonce` is the 16 bytes (32 hex digits) of its challenge"
                .into(),
        )
    })?;
    Ok(Some(IssuedRequest::from_parts(
        signer.counter_id().to_owned(),
        request.purpose,
        None,
        nonce,
        netid_core::time::UnixTime::from_secs(unix_millis() / 1000),
    )))
}

/// What a challenge is bound to in the store: the counter, and for a signed request its purpose.
fn challenge_binding(counter: &CounterId, purpose: Option<Purpose>) -> String {
    match purpose {
        Some(purpose) => format!("{}\u{1f}{}", counter.0, purpose.as_str()),
        None => counter.0.clone(),
    }
}

/// The core's checks, the challenge (if any), then the shared replay cache.
async fn decide(
    app: &AppState,
    counter: &CounterId,
    qr: &str,
    request: &VerifyRequest,
    issued: Option<&IssuedRequest>,
) -> Outcome {
    let checked = netid_core::credential::from_qr_text(qr)
        .map_err(VerifyError::Malformed)
        .and_then(|bytes| match issued {
            Some(issued) => app.verifier().check_response_all_but_replay(&bytes, issued),
            None => app.verifier().check_all_but_replay(&bytes, request),
        });
    let unrecorded: UnrecordedPresentation = match checked {
        Ok(u) => u,
        Err(e) => {
            return Outcome::Refused {
                kind: e.kind(),
                message: e.to_string(),
            };
        }
    };
    let now_ms = unix_millis();
    if let Some(nonce) = &request.nonce {
        match with_deadline(
            app.replay_timeout,
            app.replay.redeem_challenge(
                nonce,
                &challenge_binding(counter, issued.map(|_| request.purpose)),
                now_ms,
            ),
        )
        .await
        {
            Ok(Redeemed::Yes) => {}
            Ok(Redeemed::No) => {
                return Outcome::Refused {
                    kind: CHALLENGE_UNKNOWN,
                    message: "this challenge was not issued to this counter, has expired or \
                              was used already — show a new challenge (POST /v1/challenge) and \
                              scan again"
                        .into(),
                };
            }
            Err(e) => return Outcome::Unavailable(e),
        }
    }
    let until_ms = unrecorded.replay_until().as_secs().saturating_mul(1000);
    let issued_ms = unrecorded.issued_at().as_secs().saturating_mul(1000);
    let decision = with_deadline(
        app.replay_timeout,
        app.replay
            .check_and_insert(unrecorded.replay_identity(), now_ms, until_ms, issued_ms),
    )
    .await;
    match decision {
        Ok(ReplayDecision::First) => Outcome::Accepted(unrecorded.into_verified_after_recording()),
        Ok(ReplayDecision::Replayed) => Outcome::Refused {
            kind: VerifyError::Replayed.kind(),
            message: VerifyError::Replayed.to_string(),
        },
        Ok(ReplayDecision::BeforeMemory { .. }) => Outcome::Refused {
            kind: REPLAY_CACHE_RESET,
            message: "this code was made before the shared replay cache's memory began (a \
                      restart or failover), so it may have been used already — ask the resident \
                      to refresh the code and scan again"
                .into(),
        },
        Ok(ReplayDecision::Full) => Outcome::Refused {
            kind: VerifyError::ReplayCacheFull.kind(),
            message: VerifyError::ReplayCacheFull.to_string(),
        },
        Err(e) => Outcome::Unavailable(e),
    }
}

/// `operation`, or [`ReplayUnavailable::Timeout`] once `deadline` passed: the backends have
/// their own timeouts, and this one holds whatever they do.
async fn with_deadline<T>(
    deadline: Duration,
    operation: impl std::future::Future<Output = Result<T, ReplayUnavailable>>,
) -> Result<T, ReplayUnavailable> {
    tokio::time::timeout(deadline, operation)
        .await
        .unwrap_or(Err(ReplayUnavailable::Timeout(deadline)))
}

fn unix_millis() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| i64::try_from(d.as_millis()).unwrap_or(i64::MAX))
}

fn accepted_json(v: &VerifiedPresentation, purpose: Purpose) -> Value {
    let claims: serde_json::Map<String, Value> = v
        .claims()
        .iter()
        .map(|(name, value)| (name.as_str().to_owned(), value.display().into()))
        .collect();
    let mut body = json!({
        "accepted": true,
        "purpose": purpose.as_str(),
        "doc_type": v.doc_type().as_str(),
        "assurance_level": v.assurance_level().as_str(),
        "issuer": v.issuer(),
        "issued_at": v.issued_at().as_secs(),
        "expires": v.expires().as_secs(),
        "claims": claims,
    });
    if let Some(until) = v.credential_valid_until() {
        body["credential_valid_until"] = until.as_secs().into();
    }
    if let Some(since) = v.status_stale_since() {
        body["status_stale_since"] = since.as_secs().into();
    }
    body
}

fn refusal_json(kind: &str, message: &str) -> Value {
    json!({ "accepted": false, "reason": kind, "message": message })
}

/// A JSON error answer for a request that was not verified.
fn problem(status: StatusCode, kind: &str, message: &str) -> Response {
    (
        status,
        Json(json!({ "error": { "kind": kind, "message": message } })),
    )
        .into_response()
}

fn body_problem(app: &AppState, rejection: &BytesRejection) -> Response {
    let status = rejection.status();
    if status == StatusCode::PAYLOAD_TOO_LARGE {
        app.metrics.turned_away(413);
        let mut response = problem(
            status,
            "body-too-large",
            "the body is larger than this service accepts; a QR code's text is a few KiB",
        );
        response
            .headers_mut()
            .insert(header::CONNECTION, HeaderValue::from_static("close"));
        return response;
    }
    app.metrics.turned_away(400);
    problem(
        StatusCode::BAD_REQUEST,
        "bad-request",
        "the request body could not be read",
    )
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct ChallengeBody {
    purpose: String,
}

async fn challenge(
    State(app): State<Arc<AppState>>,
    Extension(counter): Extension<CounterId>,
    body: Result<Bytes, BytesRejection>,
) -> Response {
    let body = match body {
        Ok(body) => body,
        Err(rejection) => return body_problem(&app, &rejection),
    };
    let signer = app.signers.get(&counter.0);
    // A registered counter's challenge is a signed request for a purpose (docs/FORMAT.md §13);
    // any other counter's is a bare nonce, as before.
    let purpose = match (signer, body.is_empty()) {
        (_, true) => None,
        (None, false) => {
            app.metrics.turned_away(400);
            return problem(
                StatusCode::BAD_REQUEST,
                "not-registered",
                "this counter has no registered-counter certificate: send no body for a bare nonce, or configure `registered` for it",
            );
        }
        (Some(_), false) => {
            let parsed: Result<ChallengeBody, _> = serde_json::from_slice(&body);
            match parsed.ok().and_then(|b| Purpose::from_name(&b.purpose)) {
                Some(purpose) => Some(purpose),
                None => {
                    app.metrics.turned_away(400);
                    return problem(
                        StatusCode::BAD_REQUEST,
                        "bad-request",
                        "the body must be JSON {\"purpose\": \"hotel\" | \"cafe\" | \"ticket\" | \"gov\"}",
                    );
                }
            }
        }
    };
    match issue_challenge(&app, &counter, purpose).await {
        Ok(issued) => {
            let mut response = Json(issued.to_json()).into_response();
            response
                .headers_mut()
                .insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
            response
        }
        Err(response) => response,
    }
}

/// A challenge stored in the shared cache: a bare nonce, or a registered counter's signed request.
pub(crate) struct IssuedChallenge {
    pub nonce: [u8; 16],
    pub ttl_seconds: u64,
    pub expires_at: i64,
    /// The signed request's text (`NRQ1:…`), its counter id and purpose.
    pub request: Option<(String, String, Purpose)>,
}

impl IssuedChallenge {
    fn to_json(&self) -> Value {
        let mut answer = json!({
            "nonce": hex::encode(self.nonce),
            "ttl_seconds": self.ttl_seconds,
            "expires_at": self.expires_at,
        });
        if let Some((text, counter_id, purpose)) = &self.request {
            answer["request"] = text.as_str().into();
            answer["counter_id"] = counter_id.as_str().into();
            answer["purpose"] = purpose.as_str().into();
        }
        answer
    }
}

/// Whether `counter` signs requests (has a registered-counter certificate).
pub(crate) fn is_registered(app: &AppState, counter: &CounterId) -> bool {
    app.signers.contains_key(&counter.0)
}

/// A fresh challenge for `counter` — a signed request for `purpose` when the counter is
/// registered and names one — stored in the shared cache; the error is the response to give.
pub(crate) async fn issue_challenge(
    app: &AppState,
    counter: &CounterId,
    purpose: Option<Purpose>,
) -> Result<IssuedChallenge, Response> {
    let signer = app.signers.get(&counter.0);
    let now_ms = unix_millis();
    let (nonce, request) = match (signer, purpose) {
        (Some(signer), Some(purpose)) => {
            let lifetime = u32::try_from(app.challenge_ttl.as_secs())
                .unwrap_or(u32::MAX)
                .min(MAX_REQUEST_LIFETIME_SECS);
            let now = netid_core::time::UnixTime::from_secs(now_ms / 1000);
            match signer.request(purpose, None, lifetime, now) {
                Ok((text, issued)) => (*issued.nonce(), Some((text, issued))),
                Err(e) => {
                    app.metrics.turned_away(400);
                    return Err(problem(StatusCode::BAD_REQUEST, e.kind(), &e.to_string()));
                }
            }
        }
        _ => {
            let mut nonce = [0u8; 16];
            OsRng.fill_bytes(&mut nonce);
            (nonce, None)
        }
    };
    let ttl = match &request {
        Some((_, issued)) => Duration::from_secs(
            u64::try_from(issued.expires().as_secs() - now_ms / 1000).unwrap_or(0),
        ),
        None => app.challenge_ttl,
    };
    match with_deadline(
        app.replay_timeout,
        app.replay
            .store_challenge(&nonce, &challenge_binding(counter, purpose), now_ms, ttl),
    )
    .await
    {
        Ok(()) => {
            app.metrics.challenge_issued();
            let ttl_seconds = ttl.as_secs();
            Ok(IssuedChallenge {
                nonce,
                ttl_seconds,
                expires_at: now_ms / 1000 + i64::try_from(ttl_seconds).unwrap_or(i64::MAX),
                request: request.map(|(text, issued)| {
                    (
                        text.to_string(),
                        issued.counter_id().to_owned(),
                        issued.purpose(),
                    )
                }),
            })
        }
        Err(e) => {
            eprintln!("netid-verifier: replay cache unavailable for a challenge: {e}");
            Err(problem(
                StatusCode::SERVICE_UNAVAILABLE,
                REPLAY_CACHE_UNAVAILABLE,
                "the shared replay cache did not answer; try again in a moment",
            ))
        }
    }
}

async fn healthz() -> Response {
    Json(json!({ "status": "alive" })).into_response()
}

async fn readyz(State(app): State<Arc<AppState>>) -> Response {
    let now = u64::try_from(unix_millis() / 1000).unwrap_or(0);
    let sources = app.sources.readiness(now);
    let replay = with_deadline(app.replay_timeout, app.replay.ping()).await;
    let replay_json = match &replay {
        Ok(()) => json!({ "backend": app.replay.kind(), "reachable": true }),
        Err(e) => {
            json!({ "backend": app.replay.kind(), "reachable": false, "error": e.to_string() })
        }
    };
    let ready = sources.ready && replay.is_ok();
    let body = json!({
        "ready": ready,
        "replay_cache": replay_json,
        "sources": sources,
    });
    let status = if ready {
        StatusCode::OK
    } else {
        StatusCode::SERVICE_UNAVAILABLE
    };
    (status, Json(body)).into_response()
}

async fn metrics(State(app): State<Arc<AppState>>) -> Response {
    let text = app
        .metrics
        .render(&app.sources.metrics(), app.replay.kind());
    (
        [(
            header::CONTENT_TYPE,
            HeaderValue::from_static("text/plain; version=0.0.4; charset=utf-8"),
        )],
        text,
    )
        .into_response()
}

async fn not_found() -> Response {
    problem(
        StatusCode::NOT_FOUND,
        "not-found",
        "no such endpoint; see docs/service.md (POST /v1/verify, POST /v1/challenge, GET /healthz, GET /readyz, GET /metrics)",
    )
}

/// A code from before the replay cache's memory began.
pub const REPLAY_CACHE_RESET: &str = "replay-cache-reset";
/// The replay cache did not answer (503).
pub const REPLAY_CACHE_UNAVAILABLE: &str = "replay-cache-unavailable";
/// A nonce not issued to this counter, expired or used.
pub const CHALLENGE_UNKNOWN: &str = "challenge-unknown";

/// The refusal kinds only the service gives (the core's are in docs/cli.md).
pub const SERVICE_REFUSAL_KINDS: [&str; 3] = [
    REPLAY_CACHE_RESET,
    REPLAY_CACHE_UNAVAILABLE,
    CHALLENGE_UNKNOWN,
];

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn docs_service_md_lists_every_refusal_kind_the_service_can_give() {
        let doc = include_str!("../../docs/service.md");
        let core_kinds = [
            VerifyError::Replayed.kind(),
            VerifyError::ReplayCacheFull.kind(),
            VerifyError::Revoked.kind(),
            VerifyError::StatusUnavailable.kind(),
        ];
        for kind in SERVICE_REFUSAL_KINDS.iter().chain(core_kinds.iter()) {
            assert!(
                doc.contains(&format!("`{kind}`")),
                "docs/service.md does not list the refusal kind `{kind}`"
            );
        }
    }
}
