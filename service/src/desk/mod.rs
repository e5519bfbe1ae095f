//! The counter desk (docs/desk.md): the page a hotel receptionist or kiosk attendant works with,
//! served at `/desk` — sign-in with the counter's token, a scanner field and the camera, the
//! interactive (signed request) mode, and the verdict in Chinese or English.
//!
//! This module owns the desk's routes, its security headers and the mapping of a verification to
//! what the page shows. Every verification goes through the same `api::verify_code` as
//! `/v1/verify` — the core's checks, the shared replay cache, metrics and audit — so a code
//! accepted at a desk is refused at the next one. It must never put personal data in a URL, a log
//! or a cacheable response, and never act on a request that did not come from the page itself.

pub mod assets;
pub mod session;

use std::sync::Arc;
use std::time::Instant;

use axum::body::Bytes;
use axum::extract::rejection::BytesRejection;
use axum::extract::{DefaultBodyLimit, Path, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::middleware;
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use netid_core::present::Purpose;
use netid_core::qr::QrMatrix;
use netid_core::verify::VerifyRequest;
use serde::Deserialize;
use serde_json::{Value, json};
use zeroize::Zeroizing;

use crate::api::{AppState, BadRequest, Verification, is_registered, issue_challenge, verify_code};
use netid_i18n::Lang;
use session::{Refused, Session};

/// Seconds a verdict with personal data stays on the page before the page removes it.
pub const CLEAR_AFTER_SECONDS: u64 = 60;

/// The page's Content-Security-Policy: scripts, styles and connections from this origin only,
/// no inline script or style, WebAssembly compilation for the QR decoder (not JavaScript
/// `eval`), images from this origin and the `blob:` URL of the challenge QR, no framing.
pub const CONTENT_SECURITY_POLICY: &str = "default-src 'none'; script-src 'self' 'wasm-unsafe-eval'; style-src 'self'; img-src 'self' blob:; connect-src 'self'; form-action 'self'; base-uri 'none'; frame-ancestors 'none'";

/// The desk's routes, merged into the service's router.
pub fn router(max_body_bytes: usize) -> Router<Arc<AppState>> {
    Router::new()
        .route("/desk", get(page))
        .route("/desk/assets/{name}", get(asset))
        .route("/desk/i18n/{file}", get(catalogue))
        .route("/desk/sign-in", post(sign_in))
        .route("/desk/sign-out", post(sign_out))
        .route("/desk/api/verify", post(verify))
        .route("/desk/api/challenge", post(challenge))
        .route("/desk/api/settings", post(settings))
        .layer(DefaultBodyLimit::max(max_body_bytes))
        .layer(middleware::map_response(security_headers))
}

/// Headers on every desk response. Everything but the static assets is `no-store`: the page
/// and the API answers can carry personal data, and a shared desk computer's cache must not
/// keep it.
async fn security_headers(mut response: Response) -> Response {
    let headers = response.headers_mut();
    headers.insert(
        header::CONTENT_SECURITY_POLICY,
        HeaderValue::from_static(CONTENT_SECURITY_POLICY),
    );
    headers.insert(
        header::X_CONTENT_TYPE_OPTIONS,
        HeaderValue::from_static("nosniff"),
    );
    headers.insert(
        header::REFERRER_POLICY,
        HeaderValue::from_static("no-referrer"),
    );
    headers.insert(header::X_FRAME_OPTIONS, HeaderValue::from_static("DENY"));
    headers.insert(
        "permissions-policy",
        HeaderValue::from_static("camera=(self), microphone=(), geolocation=(), payment=()"),
    );
    headers.insert(
        "cross-origin-opener-policy",
        HeaderValue::from_static("same-origin"),
    );
    headers.insert(
        "cross-origin-resource-policy",
        HeaderValue::from_static("same-origin"),
    );
    if !headers.contains_key(header::CACHE_CONTROL) {
        headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    }
    response
}

/// `GET /desk`: the desk for a signed-in browser, else the sign-in page.
async fn page(State(app): State<Arc<AppState>>, headers: HeaderMap) -> Response {
    let browser_lang = headers
        .get(header::ACCEPT_LANGUAGE)
        .and_then(|v| v.to_str().ok())
        .map_or(Lang::En, Lang::negotiate);
    let html = match app.desk.find(&headers, Instant::now()) {
        Ok(session) => desk_html(&app, &session, browser_lang),
        Err(_) => assets::SIGN_IN_HTML.replace("{{lang}}", browser_lang.tag()),
    };
    (
        [(
            header::CONTENT_TYPE,
            HeaderValue::from_static("text/html; charset=utf-8"),
        )],
        html,
    )
        .into_response()
}

fn desk_html(app: &AppState, session: &Session, browser_lang: Lang) -> String {
    let options: String = app
        .purpose_names()
        .map(|name| {
            let selected = if name == session.purpose.as_str() {
                " selected"
            } else {
                ""
            };
            let name = assets::escape_html(name);
            format!(
                "<option value=\"{name}\" data-l10n-id=\"purpose-{name}\"{selected}>{name}</option>"
            )
        })
        .collect();
    assets::DESK_HTML
        .replace("{{lang}}", session.lang.unwrap_or(browser_lang).tag())
        .replace("{{csrf}}", &session.csrf)
        .replace("{{counter}}", &assets::escape_html(&session.counter.0))
        .replace("{{purpose_options}}", &options)
        .replace(
            "{{registered}}",
            if is_registered(app, &session.counter) {
                "true"
            } else {
                "false"
            },
        )
        .replace("{{clear_after}}", &CLEAR_AFTER_SECONDS.to_string())
}

/// `GET /desk/assets/NAME`: an embedded file. No personal data, so it may be cached, but only
/// after asking (`no-cache`): a new service version's scripts take effect at the next load.
async fn asset(Path(name): Path<String>) -> Response {
    match assets::asset(&name) {
        Some(asset) => (
            [
                (
                    header::CONTENT_TYPE,
                    HeaderValue::from_static(asset.content_type),
                ),
                (header::CACHE_CONTROL, HeaderValue::from_static("no-cache")),
            ],
            asset.body,
        )
            .into_response(),
        None => desk_problem(StatusCode::NOT_FOUND, "not-found", "no such desk file"),
    }
}

/// `GET /desk/i18n/TAG.ftl`: the message catalogue in one language.
async fn catalogue(Path(file): Path<String>) -> Response {
    match file.strip_suffix(".ftl").and_then(assets::catalogue) {
        Some(text) => (
            [
                (
                    header::CONTENT_TYPE,
                    HeaderValue::from_static("text/plain; charset=utf-8"),
                ),
                (header::CACHE_CONTROL, HeaderValue::from_static("no-cache")),
            ],
            text,
        )
            .into_response(),
        None => desk_problem(
            StatusCode::NOT_FOUND,
            "not-found",
            "the desk speaks en and zh-CN",
        ),
    }
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct SignInBody {
    token: String,
}

/// `POST /desk/sign-in {"token"}`: the counter's bearer token, once per desk; answers with the
/// session cookie. The token is hashed at once and never kept.
async fn sign_in(
    State(app): State<Arc<AppState>>,
    headers: HeaderMap,
    body: Result<Bytes, BytesRejection>,
) -> Response {
    if session::same_origin_json(&headers).is_err() {
        return turned_away(&app, Refused::CrossSite);
    }
    let Ok(body) = body else {
        return desk_problem(
            StatusCode::BAD_REQUEST,
            "bad-request",
            "the sign-in could not be read",
        );
    };
    let parsed: Option<SignInBody> = serde_json::from_slice(&body).ok();
    let authorization = parsed.map(|b| Zeroizing::new(format!("Bearer {}", b.token)));
    let counter = authorization
        .as_ref()
        .and_then(|a| app.counters.authenticate(Some(a.as_bytes())));
    let Some(counter) = counter else {
        app.metrics.turned_away(401);
        return desk_problem(
            StatusCode::UNAUTHORIZED,
            "sign-in-refused",
            "this is not a counter token of this service; ask the service's operator for the desk's token",
        );
    };
    let (cookie, _) = app
        .desk
        .open(counter, app.default_desk_purpose(), Instant::now());
    let mut response = StatusCode::NO_CONTENT.into_response();
    if let Ok(value) = HeaderValue::from_str(&cookie) {
        response.headers_mut().insert(header::SET_COOKIE, value);
    }
    response
}

/// `POST /desk/sign-out`.
async fn sign_out(State(app): State<Arc<AppState>>, headers: HeaderMap) -> Response {
    if let Err(refused) = app.desk.find_for_change(&headers, Instant::now()) {
        return turned_away(&app, refused);
    }
    app.desk.close(&headers);
    let mut response = StatusCode::NO_CONTENT.into_response();
    if let Ok(value) = HeaderValue::from_str(&app.desk.expired_cookie()) {
        response.headers_mut().insert(header::SET_COOKIE, value);
    }
    response
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct VerifyBody {
    qr: String,
    /// The challenge's nonce (hex) while the desk waits for the answer to its signed request.
    #[serde(default)]
    nonce: Option<String>,
}

/// `POST /desk/api/verify {"qr", "nonce"?}`: verify a scanned code for the desk's purpose.
async fn verify(
    State(app): State<Arc<AppState>>,
    headers: HeaderMap,
    body: Result<Bytes, BytesRejection>,
) -> Response {
    let now = Instant::now();
    let session = match app.desk.find_for_change(&headers, now) {
        Ok(session) => session,
        Err(refused) => return turned_away(&app, refused),
    };
    if let Some(response) = over_rate(&app, &session, now) {
        return response;
    }
    let Some(parsed) = body
        .ok()
        .and_then(|b| serde_json::from_slice::<VerifyBody>(&b).ok())
    else {
        app.metrics.turned_away(400);
        return desk_problem(
            StatusCode::BAD_REQUEST,
            "bad-request",
            "the body must be JSON {\"qr\", \"nonce\"?}",
        );
    };
    let nonce = match parsed.nonce.as_deref().map(hex::decode) {
        None => None,
        Some(Ok(bytes)) if bytes.len() == 16 => Some(bytes),
        Some(_) => {
            app.metrics.turned_away(400);
            return desk_problem(
                StatusCode::BAD_REQUEST,
                "bad-request",
                "`nonce` must be the 32 hex digits of this desk's challenge",
            );
        }
    };
    let request = VerifyRequest {
        purpose: session.purpose,
        audience: None,
        nonce,
    };
    // Scanners add stray whitespace; the code itself never has any.
    let qr = parsed.qr.trim();
    match verify_code(&app, &session.counter, &request, qr).await {
        Ok(verification) => verdict(&verification),
        Err(BadRequest(kind, message)) => {
            app.metrics.turned_away(400);
            desk_problem(StatusCode::BAD_REQUEST, kind, &message)
        }
    }
}

/// What the page shows for a verification: the verdict, the refusal's kind (the page looks up
/// the clerk's sentence for it in the catalogue) or the disclosed claims in the credential's
/// order.
fn verdict(verification: &Verification) -> Response {
    let body = match &verification.result {
        Ok(verified) => {
            let claims: Vec<Value> = verified
                .claims()
                .iter()
                .map(|(name, value)| json!({ "name": name.as_str(), "value": value.display() }))
                .collect();
            json!({
                "accepted": true,
                "kind": "accepted",
                "purpose": verification.purpose.as_str(),
                "doc_type": verified.doc_type().as_str(),
                "assurance_level": verified.assurance_level().as_str(),
                "claims": claims,
                "clear_after_seconds": CLEAR_AFTER_SECONDS,
            })
        }
        Err(refusal) => json!({
            "accepted": false,
            "kind": refusal.kind,
            "message": refusal.message,
            "clear_after_seconds": CLEAR_AFTER_SECONDS,
        }),
    };
    (verification.status, Json(body)).into_response()
}

/// `POST /desk/api/challenge {}`: a signed request for the desk's purpose, as text and as an SVG
/// QR code for the resident's phone to scan.
async fn challenge(State(app): State<Arc<AppState>>, headers: HeaderMap) -> Response {
    let now = Instant::now();
    let session = match app.desk.find_for_change(&headers, now) {
        Ok(session) => session,
        Err(refused) => return turned_away(&app, refused),
    };
    if !is_registered(&app, &session.counter) {
        return desk_problem(
            StatusCode::BAD_REQUEST,
            "not-registered",
            "this counter has no registered-counter certificate, so it cannot sign requests",
        );
    }
    if let Some(response) = over_rate(&app, &session, now) {
        return response;
    }
    let issued = match issue_challenge(&app, &session.counter, Some(session.purpose)).await {
        Ok(issued) => issued,
        Err(response) => return response,
    };
    let Some((text, counter_id, purpose)) = issued.request else {
        return desk_problem(
            StatusCode::INTERNAL_SERVER_ERROR,
            "internal",
            "no signed request was made",
        );
    };
    let svg = match QrMatrix::encode(&text).and_then(|m| m.to_svg(6)) {
        Ok(svg) => svg,
        Err(e) => {
            return desk_problem(
                StatusCode::INTERNAL_SERVER_ERROR,
                "internal",
                &e.to_string(),
            );
        }
    };
    Json(json!({
        "request": text,
        "svg": svg,
        "nonce": hex::encode(issued.nonce),
        "ttl_seconds": issued.ttl_seconds,
        "counter_id": counter_id,
        "purpose": purpose.as_str(),
    }))
    .into_response()
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct SettingsBody {
    #[serde(default)]
    purpose: Option<String>,
    #[serde(default)]
    lang: Option<String>,
}

/// `POST /desk/api/settings {"purpose"?, "lang"?}`: the desk's purpose (remembered for the
/// counter's next sign-in) and the clerk's language.
async fn settings(
    State(app): State<Arc<AppState>>,
    headers: HeaderMap,
    body: Result<Bytes, BytesRejection>,
) -> Response {
    if let Err(refused) = app.desk.find_for_change(&headers, Instant::now()) {
        return turned_away(&app, refused);
    }
    let Some(parsed) = body
        .ok()
        .and_then(|b| serde_json::from_slice::<SettingsBody>(&b).ok())
    else {
        return desk_problem(
            StatusCode::BAD_REQUEST,
            "bad-request",
            "the body must be JSON {\"purpose\"?, \"lang\"?}",
        );
    };
    let purpose = match parsed.purpose.as_deref() {
        None => None,
        Some(name) => match Purpose::from_name(name).filter(|p| app.verifies_for(*p)) {
            Some(purpose) => Some(purpose),
            None => {
                return desk_problem(
                    StatusCode::BAD_REQUEST,
                    "unknown-purpose",
                    "this service does not verify for that purpose",
                );
            }
        },
    };
    let lang = match parsed.lang.as_deref() {
        None => None,
        Some(tag) => match Lang::from_tag(tag) {
            Some(lang) => Some(lang),
            None => {
                return desk_problem(
                    StatusCode::BAD_REQUEST,
                    "unknown-language",
                    "the desk speaks en and zh-CN",
                );
            }
        },
    };
    match app.desk.update(&headers, purpose, lang) {
        Ok(session) => Json(json!({
            "purpose": session.purpose.as_str(),
            "lang": session.lang.map(Lang::tag),
        }))
        .into_response(),
        Err(refused) => turned_away(&app, refused),
    }
}

/// The counter's rate applies at the desk as on `/v1/*`.
fn over_rate(app: &AppState, session: &Session, now: Instant) -> Option<Response> {
    let wait = app.rates.take(&session.counter.0, now).err()?;
    app.metrics.turned_away(429);
    let seconds = (wait.as_secs() + u64::from(wait.subsec_nanos() > 0)).max(1);
    let mut response = desk_problem(
        StatusCode::TOO_MANY_REQUESTS,
        "rate-limited",
        "this desk is scanning faster than its counter's rate allows; wait a moment",
    );
    response
        .headers_mut()
        .insert(header::RETRY_AFTER, HeaderValue::from(seconds));
    Some(response)
}

fn turned_away(app: &AppState, refused: Refused) -> Response {
    match refused {
        Refused::NoSession => {
            app.metrics.turned_away(401);
            desk_problem(
                StatusCode::UNAUTHORIZED,
                "no-session",
                "this desk is not signed in (or its session ended): reload the page and sign in",
            )
        }
        Refused::CrossSite => {
            app.metrics.turned_away(403);
            desk_problem(
                StatusCode::FORBIDDEN,
                "cross-site",
                "desk requests come only from the desk page itself",
            )
        }
    }
}

fn desk_problem(status: StatusCode, kind: &str, message: &str) -> Response {
    (
        status,
        Json(json!({ "error": { "kind": kind, "message": message } })),
    )
        .into_response()
}
