//! Registered counters (issue 13, docs/FORMAT.md §13): a registrar certifies a counter, the
//! counter signs a request, the wallet checks it before any prompt and answers it bound to the
//! counter and its nonce, the counter accepts that answer once, and the activity log names the
//! counter. Every refusal is typed, and leaves no log entry and no prompt behind.

#[path = "auth_support/mod.rs"]
mod auth_support;
#[path = "vectors/fixtures.rs"]
mod fixtures;
#[path = "wallet_support/mod.rs"]
mod wallet_support;

use auth_support::ScriptedUser;
use netid_core::auth::AuthPolicy;
use netid_core::base45;
use netid_core::block_on::block_on;
use netid_core::counter::{
    CounterRegistration, CounterSigner, IssuedRequest, MAX_REQUEST_LIFETIME_SECS,
    REQUEST_TEXT_PREFIX, Registrar, RegistrationError, RequestError, purpose_claims,
};
use netid_core::credential::cbor::{self, Cbor};
use netid_core::credential::{ClaimName, Purpose};
use netid_core::issuer::TrustList;
use netid_core::qr::QrMatrix;
use netid_core::store::{ActivityKind, DocumentId};
use netid_core::time::{CivilDate, FixedClock, UnixTime};
use netid_core::verify::{Verifier, VerifyError};
use netid_core::wallet::{NextStep, WalletError};
use p256::pkcs8::EncodePrivateKey;
use wallet_support::*;

const REGISTRAR_KID: &[u8] = &[0x52];

fn registrar() -> Registrar {
    Registrar::generate("cn-dev-registrar", REGISTRAR_KID)
}

fn trust_with(registrar: &Registrar) -> TrustList {
    let mut trust = fixtures::trust_list();
    trust
        .add_registrar(registrar.trust_entry(
            UnixTime::from_secs(1_704_067_200),
            UnixTime::from_secs(2_240_611_200),
        ))
        .unwrap();
    trust
}

fn day(y: i32, m: u8, d: u8) -> CivilDate {
    CivilDate::new(y, m, d).unwrap()
}

fn registration(
    id: &str,
    purposes: &[Purpose],
    claims: Option<Vec<ClaimName>>,
    key: &p256::ecdsa::SigningKey,
) -> CounterRegistration {
    CounterRegistration {
        id: id.to_owned(),
        name_zh: "锦江之星".to_owned(),
        name_en: "Jinjiang Inn".to_owned(),
        purposes: purposes.to_vec(),
        claims,
        keeps_days: 30,
        // fixtures::NOW is 2026-01-15.
        valid_from: day(2026, 1, 1),
        valid_until: day(2027, 1, 1),
        key: p256::PublicKey::from(key.verifying_key()),
    }
}

fn counter(
    registrar: &Registrar,
    id: &str,
    purposes: &[Purpose],
    claims: Option<Vec<ClaimName>>,
) -> CounterSigner {
    let key = p256::ecdsa::SigningKey::random(&mut rand_core::OsRng);
    let certificate = registrar
        .register(&registration(id, purposes, claims, &key))
        .unwrap();
    let pem = key.to_pkcs8_pem(Default::default()).unwrap();
    CounterSigner::new(&certificate, &pem).unwrap()
}

fn now() -> UnixTime {
    UnixTime::from_secs(fixtures::NOW)
}

fn verifier(trust: &TrustList) -> Verifier {
    Verifier::new(trust.clone(), Box::new(FixedClock::new(now())))
}

struct Setup {
    _dir: tempfile::TempDir,
    host: Host,
    wallet: SoftUnlocked,
    document: DocumentId,
    registrar: Registrar,
    trust: TrustList,
}

fn setup() -> Setup {
    let dir = tempfile::tempdir().unwrap();
    let host = Host::new(ScriptedUser::default());
    let mut wallet = host
        .create(dir.path(), AuthPolicy::default())
        .unlock(None)
        .unwrap();
    let document = enrol(&mut wallet, host.now()).unwrap().id;
    let registrar = registrar();
    let trust = trust_with(&registrar);
    Setup {
        _dir: dir,
        host,
        wallet,
        document,
        registrar,
        trust,
    }
}

impl Setup {
    fn presentations(&mut self) -> Vec<String> {
        block_on(self.wallet.export_activity(100))
            .unwrap()
            .into_iter()
            .filter(|e| e.kind == ActivityKind::Presentation)
            .map(|e| e.detail.clone())
            .collect()
    }

    /// Refused by the wallet with `expected`, before any prompt, with nothing logged.
    fn assert_refused(&mut self, text: &str, expected: RequestError) {
        let prompts = self.host.user().prompts();
        let error = self.wallet.parse_request(text, &self.trust).unwrap_err();
        match error {
            WalletError::Request(got) => assert_eq!(got, expected),
            other => panic!("expected {expected:?}, got {other:?}"),
        }
        assert_eq!(self.host.user().prompts(), prompts, "no prompt was raised");
        assert!(self.presentations().is_empty(), "nothing was logged");
    }
}

#[test]
fn a_registered_counter_request_is_consented_answered_accepted_once_and_logged() {
    let mut s = setup();
    let hotel = counter(
        &s.registrar,
        "hotel-bj-0042",
        &[Purpose::HotelCheckIn],
        None,
    );
    let (text, issued) = hotel
        .request(Purpose::HotelCheckIn, None, 120, now())
        .unwrap();

    // The consent screen's data, before any prompt.
    let prompts = s.host.user().prompts();
    let request = s.wallet.parse_request(&text, &s.trust).unwrap();
    assert_eq!(s.host.user().prompts(), prompts);
    assert_eq!(request.counter_id(), "hotel-bj-0042");
    assert_eq!(request.name_zh(), "锦江之星");
    assert_eq!(request.name_en(), "Jinjiang Inn");
    assert_eq!(request.registrar(), "cn-dev-registrar");
    assert_eq!(request.purpose(), Purpose::HotelCheckIn);
    assert_eq!(
        request.requested_claims(),
        purpose_claims(Purpose::HotelCheckIn)
    );
    assert_eq!(request.keeps_days(), 30);
    assert!(!request.asks_full_card());

    let shown = block_on(s.wallet.show_qr_for_request(s.document, &request)).unwrap();
    assert_eq!(s.host.user().prompts(), prompts + 1, "one biometric prompt");
    assert_eq!(shown.answers_counter.as_deref(), Some("hotel-bj-0042"));

    let verifier = verifier(&s.trust);
    let accepted = verifier
        .verify_response_text(&shown.qr_text(), &issued)
        .unwrap();
    assert_eq!(accepted.audience(), "hotel-bj-0042");
    assert_eq!(accepted.nonce(), Some(&issued.nonce()[..]));
    assert!(accepted.claim(ClaimName::IdNumber).is_some());

    // The same answer again, and the request answered again: refused.
    assert_eq!(
        verifier
            .verify_response_text(&shown.qr_text(), &issued)
            .unwrap_err(),
        VerifyError::Replayed
    );
    let error = s.wallet.parse_request(&text, &s.trust).unwrap_err();
    assert!(matches!(
        error,
        WalletError::Request(RequestError::Replayed)
    ));
    assert_eq!(error.next_step(), NextStep::ScanCounterRequest);
    assert!(matches!(
        block_on(s.wallet.show_qr_for_request(s.document, &request)).unwrap_err(),
        WalletError::Request(RequestError::Replayed)
    ));
    // Remembered in the encrypted store: a reopened wallet refuses it too.
    s.wallet = relock(&s);
    assert!(matches!(
        s.wallet.parse_request(&text, &s.trust).unwrap_err(),
        WalletError::Request(RequestError::Replayed)
    ));

    // The receipt names the counter as registered, and what was shown.
    let log = s.presentations();
    assert_eq!(log.len(), 1);
    assert!(
        log[0].contains("锦江之星 / Jinjiang Inn [hotel-bj-0042]"),
        "{}",
        log[0]
    );
    assert!(
        log[0].contains("registered by cn-dev-registrar"),
        "{}",
        log[0]
    );
    assert!(log[0].contains("shown: name,id_number"), "{}", log[0]);
}

#[test]
fn the_answer_is_refused_at_another_counter_with_another_nonce_or_after_the_request_expired() {
    let mut s = setup();
    let hotel = counter(
        &s.registrar,
        "hotel-bj-0042",
        &[Purpose::HotelCheckIn],
        None,
    );
    let other = counter(
        &s.registrar,
        "hotel-sh-0007",
        &[Purpose::HotelCheckIn],
        None,
    );
    let (text, issued) = hotel
        .request(Purpose::HotelCheckIn, None, 120, now())
        .unwrap();
    let (_, other_issued) = other
        .request(Purpose::HotelCheckIn, None, 120, now())
        .unwrap();
    let request = s.wallet.parse_request(&text, &s.trust).unwrap();
    let shown = block_on(s.wallet.show_qr_for_request(s.document, &request)).unwrap();
    let code = shown.qr_text();
    let verifier = verifier(&s.trust);

    // Another counter's request record: another id (and nonce).
    assert_eq!(
        verifier
            .verify_response_text(&code, &other_issued)
            .unwrap_err(),
        VerifyError::WrongAudience
    );
    // This counter, another nonce.
    let (_, second) = hotel
        .request(Purpose::HotelCheckIn, None, 120, now())
        .unwrap();
    assert_eq!(
        verifier.verify_response_text(&code, &second).unwrap_err(),
        VerifyError::NonceMismatch
    );
    // Past the request's expiry (plus skew).
    let late = Verifier::new(
        s.trust.clone(),
        Box::new(FixedClock::new(now().saturating_add(120 + 31))),
    );
    assert_eq!(
        late.verify_response_text(&code, &issued).unwrap_err(),
        VerifyError::RequestExpired
    );
    // The answer as a plain code for the purpose: its audience is the counter, not `hotel`.
    assert_eq!(
        verifier
            .verify_qr_text(
                &code,
                &netid_core::verify::VerifyRequest::for_purpose(Purpose::HotelCheckIn)
            )
            .unwrap_err(),
        VerifyError::WrongAudience
    );
    // Still good for the right counter.
    verifier.verify_response_text(&code, &issued).unwrap();
}

#[test]
fn a_gov_code_needs_a_signed_request_at_the_wallet_and_at_the_counter() {
    let mut s = setup();
    let gov = netid_core::present::PresentationRequest::for_purpose(Purpose::GovernmentService);
    let prompts = s.host.user().prompts();
    let error = block_on(s.wallet.show_qr(s.document, &gov)).unwrap_err();
    assert!(matches!(error, WalletError::RequestRequired), "{error:?}");
    assert_eq!(error.next_step(), NextStep::ScanCounterRequest);
    // The whole card by name is the same thing.
    let every = netid_core::present::PresentationRequest {
        disclose: netid_core::present::Disclose::Claims(ClaimName::ALL.to_vec()),
        audience: Some("somewhere".into()),
        ..gov.clone()
    };
    assert!(matches!(
        block_on(s.wallet.show_qr(s.document, &every)).unwrap_err(),
        WalletError::RequestRequired | WalletError::Present(_)
    ));
    assert_eq!(s.host.user().prompts(), prompts);
    assert!(s.presentations().is_empty());

    // A gov code made anyway (a credential shown by a wallet with the policy off, here by the
    // library directly) is refused by the counter's default policy.
    let credential = fixtures::credential(netid_core::credential::DocType::ResidentId);
    let code = netid_core::present::present(
        &credential,
        &gov,
        &fixtures::holder(),
        &FixedClock::new(now()),
    )
    .unwrap();
    assert_eq!(
        verifier(&s.trust)
            .verify_qr_text(
                &code.qr_text(),
                &netid_core::verify::VerifyRequest::for_purpose(Purpose::GovernmentService)
            )
            .unwrap_err(),
        VerifyError::RequestRequired
    );

    // With a registered gov counter's request, the whole card goes, and is accepted.
    let office = counter(
        &s.registrar,
        "gov-bj-01",
        &[Purpose::GovernmentService],
        None,
    );
    let (text, issued) = office
        .request(Purpose::GovernmentService, None, 120, now())
        .unwrap();
    let request = s.wallet.parse_request(&text, &s.trust).unwrap();
    assert!(request.asks_full_card());
    let shown = block_on(s.wallet.show_qr_for_request(s.document, &request)).unwrap();
    // The enrolled test card is of basic assurance; `gov` asks enhanced by default.
    let mut counter_side = verifier(&s.trust);
    let mut policy = netid_core::verify::Policy::for_purpose(Purpose::GovernmentService);
    policy.min_assurance = netid_core::credential::AssuranceLevel::Basic;
    assert!(policy.requires_signed_request);
    counter_side.set_policy(Purpose::GovernmentService, policy);
    let accepted = counter_side
        .verify_response_text(&shown.qr_text(), &issued)
        .unwrap();
    assert!(accepted.claim(ClaimName::Address).is_some());
}

#[test]
fn requests_the_certificate_does_not_allow_are_refused_before_any_prompt() {
    let mut s = setup();
    let hotel = counter(
        &s.registrar,
        "hotel-bj-0042",
        &[Purpose::HotelCheckIn],
        None,
    );

    // The counter's own side refuses to sign them...
    assert_eq!(
        hotel
            .request(Purpose::GovernmentService, None, 120, now())
            .unwrap_err(),
        RequestError::PurposeNotCertified(Purpose::GovernmentService)
    );
    // ...and the wallet refuses them when a counter signs them anyway.
    let (gov, _) = hotel
        .request_unchecked(Purpose::GovernmentService, None, 120, now())
        .unwrap();
    s.assert_refused(
        &gov,
        RequestError::PurposeNotCertified(Purpose::GovernmentService),
    );
    let (address, _) = hotel
        .request_unchecked(
            Purpose::HotelCheckIn,
            Some(vec![ClaimName::Name, ClaimName::Address]),
            120,
            now(),
        )
        .unwrap();
    s.assert_refused(
        &address,
        RequestError::ClaimNotCertified(ClaimName::Address),
    );

    // A certificate listing its claims allows exactly those.
    let cafe = counter(
        &s.registrar,
        "cafe-9",
        &[Purpose::InternetCafe],
        Some(vec![ClaimName::AgeOver18]),
    );
    let (default_set, _) = cafe
        .request_unchecked(Purpose::InternetCafe, None, 120, now())
        .unwrap();
    s.assert_refused(
        &default_set,
        RequestError::ClaimNotCertified(ClaimName::Name),
    );
}

#[test]
fn unregistered_forged_expired_and_tampered_requests_are_refused() {
    let mut s = setup();
    let hotel = counter(
        &s.registrar,
        "hotel-bj-0042",
        &[Purpose::HotelCheckIn],
        None,
    );

    // Certified by a registrar this wallet does not trust (another kid).
    let stranger = Registrar::generate("someone", &[0x99]);
    let rogue = counter(&stranger, "hotel-bj-0042", &[Purpose::HotelCheckIn], None);
    let (text, _) = rogue
        .request(Purpose::HotelCheckIn, None, 120, now())
        .unwrap();
    s.assert_refused(&text, RequestError::UnknownRegistrar);

    // Certified under the trusted kid by another key: a forged certificate.
    let forger = Registrar::generate("cn-dev-registrar", REGISTRAR_KID);
    let forged = counter(&forger, "hotel-bj-0042", &[Purpose::HotelCheckIn], None);
    let (text, _) = forged
        .request(Purpose::HotelCheckIn, None, 120, now())
        .unwrap();
    s.assert_refused(&text, RequestError::BadCertificateSignature);

    // A genuine certificate carried by a request signed with another (unregistered) key.
    let (genuine, _) = hotel
        .request(Purpose::HotelCheckIn, None, 120, now())
        .unwrap();
    let other_key = p256::ecdsa::SigningKey::random(&mut rand_core::OsRng);
    s.assert_refused(
        &resign(&genuine, &other_key),
        RequestError::BadRequestSignature,
    );

    // Expired certificate: the wallet's clock past its last day.
    s.host
        .clock
        .set(day(2027, 1, 1).start_utc().as_secs() as u64);
    let (late, _) = hotel
        .request(Purpose::HotelCheckIn, None, 120, s.host.now())
        .unwrap();
    s.wallet = relock(&s);
    s.assert_refused(&late, RequestError::CertificateNotValid);
    s.host.clock.set(fixtures::NOW as u64);
    s.wallet = relock(&s);

    // An expired request, and one that would live longer than a request may.
    let (old, _) = hotel
        .request(Purpose::HotelCheckIn, None, 60, now().saturating_add(-200))
        .unwrap();
    s.assert_refused(&old, RequestError::RequestExpired);
    let (long, _) = hotel
        .request_unchecked(
            Purpose::HotelCheckIn,
            None,
            MAX_REQUEST_LIFETIME_SECS + 3_600,
            now(),
        )
        .unwrap();
    s.assert_refused(&long, RequestError::RequestExpired);

    // Every single-byte change of a genuine request is refused.
    let bytes = base45::decode(genuine.strip_prefix(REQUEST_TEXT_PREFIX).unwrap()).unwrap();
    for index in 0..bytes.len() {
        for flip in [0x01u8, 0x80] {
            let mut tampered = bytes.clone();
            tampered[index] ^= flip;
            let text = format!("{REQUEST_TEXT_PREFIX}{}", base45::encode(&tampered));
            let error = s.wallet.parse_request(&text, &s.trust).unwrap_err();
            assert!(
                matches!(error, WalletError::Request(_)),
                "byte {index} ^ {flip:#04x}: {error:?}"
            );
        }
    }
    assert!(s.presentations().is_empty());
    // The genuine one still works.
    s.wallet.parse_request(&genuine, &s.trust).unwrap();
}

/// Locks and unlocks the wallet (a clock jump ends the session).
fn relock(s: &Setup) -> SoftUnlocked {
    s.host
        .open(s._dir.path(), AuthPolicy::default())
        .unlock(None)
        .unwrap()
}

/// The request re-signed by `key` (the certificate untouched), as the counter format signs it.
fn resign(text: &str, key: &p256::ecdsa::SigningKey) -> String {
    use p256::ecdsa::signature::Signer as _;
    let bytes = base45::decode(text.strip_prefix(REQUEST_TEXT_PREFIX).unwrap()).unwrap();
    let mut parts = cbor::decode(&bytes).unwrap().as_array().unwrap().to_vec();
    let protected = parts[0].as_bytes().unwrap().to_vec();
    let payload = parts[2].as_bytes().unwrap().to_vec();
    let tbs = Cbor::Array(vec![
        Cbor::Text("Signature1".into()),
        Cbor::Bytes(protected),
        Cbor::Bytes(b"netid counter request v1".to_vec()),
        Cbor::Bytes(payload),
    ])
    .to_vec();
    let signature: p256::ecdsa::Signature = key.sign(&tbs);
    parts[3] = Cbor::Bytes(signature.to_bytes().to_vec());
    format!(
        "{REQUEST_TEXT_PREFIX}{}",
        base45::encode(&Cbor::Array(parts).to_vec())
    )
}

#[test]
fn a_request_fits_a_version_12_code_and_registration_refuses_what_would_not() {
    let registrar = registrar();
    let key = p256::ecdsa::SigningKey::random(&mut rand_core::OsRng);
    // The worked example's counter, asking the most it may (every allowed claim by name).
    let hotel = counter(&registrar, "hotel-bj-0042", &[Purpose::HotelCheckIn], None);
    let (text, _) = hotel
        .request(
            Purpose::HotelCheckIn,
            Some(purpose_claims(Purpose::HotelCheckIn).to_vec()),
            120,
            now(),
        )
        .unwrap();
    assert!(
        QrMatrix::encode(&text).unwrap().version() <= 12,
        "{}",
        text.len()
    );

    // The limit itself: 276 bytes are a version-12 code, 277 are not.
    let limit = netid_core::counter::request::MAX_REQUEST_BYTES;
    let at = format!(
        "{REQUEST_TEXT_PREFIX}{}",
        base45::encode(&vec![0x41; limit])
    );
    let over = format!(
        "{REQUEST_TEXT_PREFIX}{}",
        base45::encode(&vec![0x41; limit + 1])
    );
    assert_eq!(QrMatrix::encode(&at).unwrap().version(), 12);
    assert_eq!(QrMatrix::encode(&over).unwrap().version(), 13);

    // Long names that would not fit are refused, saying by how much.
    let mut long = registration("gov-beijing-haidian-service-01", &Purpose::ALL, None, &key);
    long.name_zh = "北京市海淀区政务服务中心大厅".into();
    long.name_en = "Haidian Government Service Hall".into();
    match registrar.register(&long).unwrap_err() {
        RegistrationError::TooLarge { bytes, limit, over } => {
            assert_eq!(bytes - limit, over);
            assert!(over > 0);
        }
        other => panic!("{other:?}"),
    }

    // Names that could read as another (direction overrides, control characters) are refused.
    for name in ["Jinjiang\u{202E}nnI", "Jin\u{0007}jiang", " Jinjiang", ""] {
        let mut bad = registration("hotel-1", &[Purpose::HotelCheckIn], None, &key);
        bad.name_en = name.into();
        assert!(matches!(
            registrar.register(&bad).unwrap_err(),
            RegistrationError::Invalid { .. }
        ));
    }
    let mut upper = registration("Hotel-1", &[Purpose::HotelCheckIn], None, &key);
    assert!(registrar.register(&upper).is_err());
    upper.id = "hotel-1".into();
    registrar.register(&upper).unwrap();
}

#[test]
fn the_trust_list_carries_registrars_through_json() {
    let registrar = registrar();
    let trust = trust_with(&registrar);
    let json = trust.to_json();
    assert!(json.contains("\"registrars\""));
    let back = TrustList::from_json(&json).unwrap();
    assert_eq!(back.registrars(), trust.registrars());
    // An older list without registrars still loads, trusting no counter.
    let old = TrustList::from_json(&fixtures::trust_list().to_json()).unwrap();
    assert!(old.registrars().is_empty());
}

/// The counter's record can be rebuilt from what a shared store keeps.
#[test]
fn an_issued_request_round_trips_through_its_parts() {
    let registrar = registrar();
    let hotel = counter(&registrar, "hotel-bj-0042", &[Purpose::HotelCheckIn], None);
    let (_, issued) = hotel
        .request(Purpose::HotelCheckIn, None, 120, now())
        .unwrap();
    let rebuilt = IssuedRequest::from_parts(
        issued.counter_id().to_owned(),
        issued.purpose(),
        issued.claims().map(<[ClaimName]>::to_vec),
        *issued.nonce(),
        issued.expires(),
    );
    assert_eq!(rebuilt, issued);
}

mod properties {
    use super::*;
    use proptest::prelude::*;
    use proptest::test_runner::{Config, RngAlgorithm, TestRng, TestRunner};

    fn subset<T: Copy>(all: &[T], mask: u32) -> Vec<T> {
        all.iter()
            .enumerate()
            .filter(|(i, _)| mask & (1 << i) != 0)
            .map(|(_, t)| *t)
            .collect()
    }

    /// The rule, written out independently of the library: the purpose certified, and every
    /// claim asked for (by name, or the purpose's set) listed in the certificate or, when it lists
    /// none, in one of its purposes' sets.
    fn model_allows(
        cert_purposes: &[Purpose],
        cert_claims: &Option<Vec<ClaimName>>,
        purpose: Purpose,
        asked: &Option<Vec<ClaimName>>,
    ) -> bool {
        let asked: Vec<ClaimName> = asked
            .clone()
            .unwrap_or_else(|| purpose_claims(purpose).to_vec());
        cert_purposes.contains(&purpose)
            && asked.iter().all(|c| match cert_claims {
                Some(listed) => listed.contains(c),
                None => cert_purposes.iter().any(|p| purpose_claims(*p).contains(c)),
            })
    }

    /// No request the certificate does not allow reaches the authenticator: over random
    /// certificates and requests, the wallet raises a prompt exactly when the rule allows it.
    /// Seeded; the seed is printed on failure (set NETID_PROPTEST_SEED to replay another).
    #[test]
    fn no_request_beyond_its_certificate_reaches_the_authenticator() {
        let seed: u64 = std::env::var("NETID_PROPTEST_SEED")
            .ok()
            .and_then(|s| s.parse().ok())
            .unwrap_or(0x006e_6574_6964_3133);
        let mut seed_bytes = [0u8; 32];
        seed_bytes[..8].copy_from_slice(&seed.to_le_bytes());
        let mut runner = TestRunner::new_with_rng(
            Config {
                cases: 48,
                failure_persistence: None,
                ..Config::default()
            },
            TestRng::from_seed(RngAlgorithm::ChaCha, &seed_bytes),
        );
        let s = std::cell::RefCell::new(setup());
        let (refused, answered) = (std::cell::Cell::new(0), std::cell::Cell::new(0));
        let strategy = (
            1u32..16,
            prop::option::of(1u32..(1 << 13)),
            0usize..4,
            prop::option::of(1u32..(1 << 13)),
        );
        let result = runner.run(&strategy, |(purposes, claims, asked_purpose, asked)| {
            let cert_purposes = subset(&Purpose::ALL, purposes);
            let cert_claims = claims.map(|m| subset(&ClaimName::ALL, m));
            let purpose = Purpose::ALL[asked_purpose];
            let asked = asked.map(|m| subset(&ClaimName::ALL, m));
            let s = &mut *s.borrow_mut();
            let key = p256::ecdsa::SigningKey::random(&mut rand_core::OsRng);
            let registration = registration("c-1", &cert_purposes, cert_claims.clone(), &key);
            let Ok(certificate) = s.registrar.register(&registration) else {
                // Too large to register: it cannot reach a wallet at all.
                return Ok(());
            };
            let signer = CounterSigner::with_key(&certificate, key).unwrap();
            let (text, _) = signer
                .request_unchecked(purpose, asked.clone(), 120, now())
                .unwrap();
            let allowed = model_allows(&cert_purposes, &cert_claims, purpose, &asked);
            let prompts = s.host.user().prompts();
            let outcome = s
                .wallet
                .parse_request(&text, &s.trust)
                .and_then(|r| block_on(s.wallet.show_qr_for_request(s.document, &r)));
            let prompted = s.host.user().prompts() > prompts;
            if !allowed {
                refused.set(refused.get() + 1);
                prop_assert!(!prompted, "a disallowed request reached the authenticator");
                prop_assert!(
                    matches!(
                        outcome,
                        Err(WalletError::Request(
                            RequestError::PurposeNotCertified(_)
                                | RequestError::ClaimNotCertified(_)
                        ))
                    ),
                    "{:?}",
                    outcome.err()
                );
            } else if let Err(error) = &outcome {
                // Allowed by the certificate but not answerable from this card (a claim it
                // does not carry): refused before the prompt too.
                prop_assert!(!prompted, "{error:?}");
                prop_assert!(matches!(error, WalletError::Present(_)), "{error:?}");
            } else {
                answered.set(answered.get() + 1);
                prop_assert!(prompted);
            }
            Ok(())
        });
        if let Err(failure) = result {
            panic!("seed {seed} (NETID_PROPTEST_SEED={seed}): {failure}");
        }
        // Both sides of the rule were exercised.
        assert!(
            refused.get() > 0 && answered.get() > 0,
            "seed {seed}: {refused:?} {answered:?}"
        );
    }
}

/// FORMAT.md §13.4: in the largest case (every purpose, every claim listed and asked for by name,
/// ten years' retention) the id and both names share exactly 45 bytes.
#[test]
fn the_id_and_names_share_45_bytes_in_the_largest_case() {
    let registrar = registrar();
    let key = p256::ecdsa::SigningKey::random(&mut rand_core::OsRng);
    let with_total = |total: usize| {
        // id 15 bytes, Chinese name 5 characters (15 bytes), English name the rest.
        let mut r = registration(
            "gov-bj-haidian1",
            &Purpose::ALL,
            Some(ClaimName::ALL.to_vec()),
            &key,
        );
        r.name_zh = "海淀政务中".into();
        r.name_en = "E".repeat(total - 30);
        r.keeps_days = 3_650;
        registrar.register(&r)
    };
    with_total(45).unwrap();
    match with_total(46).unwrap_err() {
        RegistrationError::TooLarge { bytes, limit, over } => {
            assert_eq!((bytes, limit, over), (277, 276, 1));
        }
        other => panic!("{other:?}"),
    }
}

/// A registrar that signs a name with a direction override (bypassing `Registrar::register`) does
/// not get it shown: the wallet's reading refuses the certificate.
#[test]
fn a_signed_certificate_with_a_spoofing_name_is_refused_when_read() {
    use p256::ecdsa::signature::Signer as _;
    let scalar = [7u8; 32];
    let registrar =
        Registrar::from_scalar_bytes(&scalar, "cn-dev-registrar", REGISTRAR_KID).unwrap();
    let registrar_key = p256::ecdsa::SigningKey::from_slice(&scalar).unwrap();
    let mut s = setup();
    s.trust = trust_with(&registrar);
    let counter_key = p256::ecdsa::SigningKey::random(&mut rand_core::OsRng);
    let sign1 = |protected: Cbor, payload: Cbor, aad: &[u8], key: &p256::ecdsa::SigningKey| {
        let (protected, payload) = (protected.to_vec(), payload.to_vec());
        let tbs = Cbor::Array(vec![
            Cbor::Text("Signature1".into()),
            Cbor::Bytes(protected.clone()),
            Cbor::Bytes(aad.to_vec()),
            Cbor::Bytes(payload.clone()),
        ])
        .to_vec();
        let signature: p256::ecdsa::Signature = key.sign(&tbs);
        Cbor::Array(vec![
            Cbor::Bytes(protected),
            Cbor::Map(vec![]),
            Cbor::Bytes(payload),
            Cbor::Bytes(signature.to_bytes().to_vec()),
        ])
    };
    for name_en in ["Jinjiang Inn", "Jinjiang\u{202E}nnI"] {
        let certificate = sign1(
            Cbor::Map(vec![
                (Cbor::int(1), Cbor::int(-7)),
                (Cbor::int(4), Cbor::Bytes(REGISTRAR_KID.to_vec())),
            ]),
            Cbor::Array(vec![
                Cbor::Text("hotel-1".into()),
                Cbor::Text("锦江之星".into()),
                Cbor::Text(name_en.into()),
                Cbor::int(1 << 1),
                Cbor::int(0),
                Cbor::int(30),
                Cbor::int(day(2026, 1, 1).days_since_epoch()),
                Cbor::int(day(2027, 1, 1).days_since_epoch()),
                Cbor::Bytes(
                    counter_key
                        .verifying_key()
                        .to_encoded_point(true)
                        .as_bytes()
                        .to_vec(),
                ),
            ]),
            b"netid counter certificate v1",
            &registrar_key,
        );
        let nonce = [name_en.len() as u8; 16];
        let request = sign1(
            Cbor::Map(vec![(Cbor::int(1), Cbor::int(-7))]),
            Cbor::Array(vec![
                Cbor::int(1),
                Cbor::int(0),
                Cbor::Bytes(nonce.to_vec()),
                Cbor::int(fixtures::NOW + 120),
                certificate,
            ]),
            b"netid counter request v1",
            &counter_key,
        );
        let text = format!("{REQUEST_TEXT_PREFIX}{}", base45::encode(&request.to_vec()));
        if name_en == "Jinjiang Inn" {
            // The hand-built shape itself is accepted, so the refusal below is the name's.
            assert_eq!(
                s.wallet.parse_request(&text, &s.trust).unwrap().name_en(),
                name_en
            );
        } else {
            s.assert_refused(
                &text,
                RequestError::Malformed("the counter certificate's contents are damaged"),
            );
        }
    }
}
