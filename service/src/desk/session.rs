//! Desk sessions: which counter a browser at a desk signed in as, with that desk's choices.
//!
//! A desk signs in once with its counter's bearer token and then holds only a random session id
//! in an `HttpOnly`, `SameSite=Strict` cookie. This module owns the session table and the checks
//! every state-changing desk request passes (same origin, JSON body, the session's CSRF token).
//! The table is keyed by the SHA-256 of the session id, so neither a memory dump nor a debug
//! print of it yields a cookie that signs in; session ids and CSRF tokens are never logged. It
//! must never hand out a session without a valid counter token, and never keep one past its
//! lifetime.

use std::collections::HashMap;
use std::sync::Mutex;
use std::time::{Duration, Instant};

use axum::http::{HeaderMap, HeaderValue, header};
use netid_core::present::Purpose;
use netid_i18n::Lang;
use rand_core::{OsRng, RngCore};
use sha2::{Digest, Sha256};
use zeroize::Zeroizing;

use crate::auth::CounterId;

/// Most sessions kept at once; past it the oldest is signed out. Sessions exist only after a
/// valid counter token, so this bounds a misbehaving desk's reloads, not an attacker.
const MAX_SESSIONS: usize = 10_000;

/// One signed-in desk.
#[derive(Clone, Debug)]
pub struct Session {
    pub counter: CounterId,
    /// Sent back by the page in `X-Netid-Csrf` on every state-changing request.
    pub csrf: String,
    pub purpose: Purpose,
    /// The language the clerk chose with the switch; `None` follows the browser.
    pub lang: Option<Lang>,
    expires: Instant,
    opened: Instant,
}

/// Why a desk request was turned away before it did anything.
#[derive(Debug, PartialEq, Eq)]
pub enum Refused {
    /// No cookie, an unknown or expired session: sign in (again).
    NoSession,
    /// Not from the desk page itself: another origin, a plain form, no or a wrong CSRF token.
    CrossSite,
}

/// The desk session table.
pub struct Sessions {
    table: Mutex<HashMap<[u8; 32], Session>>,
    /// The purpose each counter's desk last chose, so the next sign-in starts there.
    remembered: Mutex<HashMap<String, Purpose>>,
    lifetime: Duration,
    secure_cookie: bool,
}

impl Sessions {
    pub fn new(lifetime: Duration, secure_cookie: bool) -> Self {
        Self {
            table: Mutex::new(HashMap::new()),
            remembered: Mutex::new(HashMap::new()),
            lifetime,
            secure_cookie,
        }
    }

    /// The cookie's name: `__Host-` (the browser then insists on Secure, Path=/ and no Domain)
    /// whenever the cookie is Secure.
    pub fn cookie_name(&self) -> &'static str {
        if self.secure_cookie {
            "__Host-netid-desk"
        } else {
            "netid-desk"
        }
    }

    /// A new session for `counter`; its `Set-Cookie` value (holding the session id, so
    /// zeroized after use) and the session.
    pub fn open(
        &self,
        counter: CounterId,
        default_purpose: Purpose,
        now: Instant,
    ) -> (Zeroizing<String>, Session) {
        let mut id = Zeroizing::new([0u8; 32]);
        OsRng.fill_bytes(id.as_mut());
        let mut csrf = [0u8; 32];
        OsRng.fill_bytes(&mut csrf);
        let purpose = self
            .remembered
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .get(&counter.0)
            .copied()
            .unwrap_or(default_purpose);
        let session = Session {
            counter,
            csrf: hex::encode(csrf),
            purpose,
            lang: None,
            expires: now + self.lifetime,
            opened: now,
        };
        let mut table = self.lock();
        table.retain(|_, s| s.expires > now);
        if table.len() >= MAX_SESSIONS
            && let Some(oldest) = table
                .iter()
                .min_by_key(|(_, s)| s.opened)
                .map(|(digest, _)| *digest)
        {
            table.remove(&oldest);
        }
        table.insert(digest(id.as_ref()), session.clone());
        let value = Zeroizing::new(hex::encode(id.as_ref()));
        let cookie = Zeroizing::new(format!(
            "{}={}; Path=/; HttpOnly; SameSite=Strict; Max-Age={}{}",
            self.cookie_name(),
            value.as_str(),
            self.lifetime.as_secs(),
            if self.secure_cookie { "; Secure" } else { "" }
        ));
        (cookie, session)
    }

    /// The `Set-Cookie` value that removes the desk cookie.
    pub fn expired_cookie(&self) -> String {
        format!(
            "{}=; Path=/; HttpOnly; SameSite=Strict; Max-Age=0{}",
            self.cookie_name(),
            if self.secure_cookie { "; Secure" } else { "" }
        )
    }

    /// The session the request's cookie names, if it is live.
    pub fn find(&self, headers: &HeaderMap, now: Instant) -> Result<Session, Refused> {
        let digest = self.cookie_digest(headers).ok_or(Refused::NoSession)?;
        let mut table = self.lock();
        match table.get(&digest) {
            Some(session) if session.expires > now => Ok(session.clone()),
            Some(_) => {
                table.remove(&digest);
                Err(Refused::NoSession)
            }
            None => Err(Refused::NoSession),
        }
    }

    /// The session of a state-changing request, after the cross-site checks: the request comes
    /// from this origin (`Origin` or `Sec-Fetch-Site`), carries JSON (a cross-site HTML form
    /// cannot send it without a CORS preflight this service never answers), and echoes the
    /// session's CSRF token.
    pub fn find_for_change(&self, headers: &HeaderMap, now: Instant) -> Result<Session, Refused> {
        same_origin_json(headers)?;
        let session = self.find(headers, now)?;
        let presented = headers
            .get("x-netid-csrf")
            .map(HeaderValue::as_bytes)
            .unwrap_or_default();
        if !constant_time_eq(presented, session.csrf.as_bytes()) {
            return Err(Refused::CrossSite);
        }
        Ok(session)
    }

    /// Sign the request's session out.
    pub fn close(&self, headers: &HeaderMap) {
        if let Some(digest) = self.cookie_digest(headers) {
            self.lock().remove(&digest);
        }
    }

    /// Change the session's purpose (and remember it for the counter's next sign-in) and
    /// language.
    pub fn update(
        &self,
        headers: &HeaderMap,
        purpose: Option<Purpose>,
        lang: Option<Lang>,
    ) -> Result<Session, Refused> {
        let digest = self.cookie_digest(headers).ok_or(Refused::NoSession)?;
        let mut table = self.lock();
        let session = table.get_mut(&digest).ok_or(Refused::NoSession)?;
        if let Some(purpose) = purpose {
            session.purpose = purpose;
            self.remembered
                .lock()
                .unwrap_or_else(std::sync::PoisonError::into_inner)
                .insert(session.counter.0.clone(), purpose);
        }
        if lang.is_some() {
            session.lang = lang;
        }
        Ok(session.clone())
    }

    /// How many sessions are live (for tests and metrics).
    pub fn live(&self, now: Instant) -> usize {
        self.lock().values().filter(|s| s.expires > now).count()
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, HashMap<[u8; 32], Session>> {
        self.table
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    fn cookie_digest(&self, headers: &HeaderMap) -> Option<[u8; 32]> {
        let wanted = self.cookie_name();
        for value in headers.get_all(header::COOKIE) {
            let Ok(text) = value.to_str() else { continue };
            for pair in text.split(';') {
                let Some((name, value)) = pair.trim().split_once('=') else {
                    continue;
                };
                if name == wanted {
                    let id = Zeroizing::new(hex::decode(value).ok()?);
                    return (id.len() == 32).then(|| digest(&id));
                }
            }
        }
        None
    }
}

/// The request came from a page of this origin and carries JSON.
pub fn same_origin_json(headers: &HeaderMap) -> Result<(), Refused> {
    let json = headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.split(';').next())
        .is_some_and(|v| v.trim().eq_ignore_ascii_case("application/json"));
    if !json {
        return Err(Refused::CrossSite);
    }
    if let Some(site) = headers.get("sec-fetch-site")
        && site.as_bytes() != b"same-origin"
    {
        return Err(Refused::CrossSite);
    }
    let host = headers.get(header::HOST).map(HeaderValue::as_bytes);
    match (headers.get(header::ORIGIN), host) {
        (Some(origin), Some(host)) => {
            // Compare the authority only: behind a TLS-terminating proxy the scheme the
            // browser used is not the one this service sees.
            let origin = origin.as_bytes();
            let authority = origin
                .strip_prefix(b"https://")
                .or_else(|| origin.strip_prefix(b"http://"))
                .unwrap_or(b"");
            if authority == host {
                Ok(())
            } else {
                Err(Refused::CrossSite)
            }
        }
        // Every browser sends Origin on a fetch POST; a request without one is not the page.
        _ => Err(Refused::CrossSite),
    }
}

fn digest(id: &[u8]) -> [u8; 32] {
    Sha256::digest(id).into()
}

/// Equality whose running time does not depend on where the inputs differ (lengths may leak:
/// a CSRF token's length is public).
fn constant_time_eq(a: &[u8], b: &[u8]) -> bool {
    if a.len() != b.len() {
        return false;
    }
    let difference = a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y));
    std::hint::black_box(difference) == 0
}

#[cfg(test)]
mod tests {
    use super::*;

    fn headers(pairs: &[(&'static str, &str)]) -> HeaderMap {
        let mut map = HeaderMap::new();
        for (name, value) in pairs {
            map.append(*name, HeaderValue::from_str(value).unwrap());
        }
        map
    }

    fn cookie_pair(set_cookie: &str) -> String {
        set_cookie.split(';').next().unwrap().to_owned()
    }

    #[test]
    fn a_session_is_found_by_its_cookie_until_it_expires() {
        let sessions = Sessions::new(Duration::from_secs(60), true);
        let now = Instant::now();
        let (cookie, session) =
            sessions.open(CounterId("desk-1".into()), Purpose::HotelCheckIn, now);
        assert!(cookie.contains("HttpOnly") && cookie.contains("SameSite=Strict"));
        assert!(cookie.contains("; Secure") && cookie.starts_with("__Host-"));
        let request = headers(&[("cookie", &cookie_pair(&cookie))]);
        assert_eq!(sessions.find(&request, now).unwrap().csrf, session.csrf);
        assert_eq!(
            sessions
                .find(&request, now + Duration::from_secs(61))
                .unwrap_err(),
            Refused::NoSession
        );
        // Expired sessions are removed, not only refused.
        assert_eq!(sessions.live(now), 0);
    }

    #[test]
    fn a_changed_or_missing_cookie_is_no_session() {
        let sessions = Sessions::new(Duration::from_secs(60), false);
        let now = Instant::now();
        let (cookie, _) = sessions.open(CounterId("desk-1".into()), Purpose::HotelCheckIn, now);
        let pair = cookie_pair(&cookie);
        let mut changed = pair.clone().into_bytes();
        let last = changed.len() - 1;
        changed[last] = if changed[last] == b'0' { b'1' } else { b'0' };
        for cookie in [String::from_utf8(changed).unwrap(), "netid-desk=".into()] {
            assert_eq!(
                sessions
                    .find(&headers(&[("cookie", &cookie)]), now)
                    .unwrap_err(),
                Refused::NoSession
            );
        }
        assert!(sessions.find(&HeaderMap::new(), now).is_err());
        assert!(sessions.find(&headers(&[("cookie", &pair)]), now).is_ok());
    }

    #[test]
    fn changes_need_same_origin_json_and_the_csrf_token() {
        let sessions = Sessions::new(Duration::from_secs(60), false);
        let now = Instant::now();
        let (cookie, session) =
            sessions.open(CounterId("desk-1".into()), Purpose::HotelCheckIn, now);
        let pair = cookie_pair(&cookie);
        let good = [
            ("cookie", pair.as_str()),
            ("host", "desk.example:8088"),
            ("origin", "http://desk.example:8088"),
            ("content-type", "application/json"),
            ("x-netid-csrf", session.csrf.as_str()),
        ];
        assert!(sessions.find_for_change(&headers(&good), now).is_ok());
        let wrong_csrf = "0".repeat(64);
        let swaps: [(usize, &str); 5] = [
            (2, "http://evil.example"),
            (2, "http://desk.example:8089"),
            (3, "application/x-www-form-urlencoded"),
            (3, "text/plain"),
            (4, wrong_csrf.as_str()),
        ];
        for (index, value) in swaps {
            let mut bad = good;
            bad[index].1 = value;
            assert_eq!(
                sessions.find_for_change(&headers(&bad), now).unwrap_err(),
                Refused::CrossSite,
                "{bad:?}"
            );
        }
        let mut cross_site = good.to_vec();
        cross_site.push(("sec-fetch-site", "cross-site"));
        assert!(
            sessions
                .find_for_change(&headers(&cross_site), now)
                .is_err()
        );
        let without_origin: Vec<_> = good.iter().filter(|(n, _)| *n != "origin").collect();
        let mut map = HeaderMap::new();
        for (n, v) in without_origin {
            map.append(*n, HeaderValue::from_str(v).unwrap());
        }
        assert!(sessions.find_for_change(&map, now).is_err());
    }

    #[test]
    fn the_chosen_purpose_is_remembered_for_the_counters_next_sign_in() {
        let sessions = Sessions::new(Duration::from_secs(60), false);
        let now = Instant::now();
        let (cookie, _) = sessions.open(CounterId("desk-1".into()), Purpose::HotelCheckIn, now);
        let request = headers(&[("cookie", &cookie_pair(&cookie))]);
        sessions
            .update(&request, Some(Purpose::TrainTicket), Some(Lang::ZhCn))
            .unwrap();
        let (_, next) = sessions.open(CounterId("desk-1".into()), Purpose::HotelCheckIn, now);
        assert_eq!(next.purpose, Purpose::TrainTicket);
        let (_, other) = sessions.open(CounterId("desk-2".into()), Purpose::HotelCheckIn, now);
        assert_eq!(other.purpose, Purpose::HotelCheckIn);
    }
}
