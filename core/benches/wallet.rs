//! Budgets of DESIGN.md §7 for the wallet facade: an unlocked wallet makes a signed hotel
//! presentation and its QR text (through the software secure area: user check, key unsealing,
//! signing, and the core's two signature checks; SVG rendering is benched with the QR module), and
//! opening a wallet of 20 documents (unwrap the data key, open and verify the store, list) within
//! 15 ms.

#[path = "../tests/vectors/fixtures.rs"]
mod fixtures;

use std::hint::black_box;
use std::sync::Arc;

use criterion::{Criterion, criterion_group, criterion_main};
use netid_core::auth::{AuthPolicy, PinParams};
use netid_core::block_on::block_on;
use netid_core::issuer::parse_claims_file;
use netid_core::keystore::InMemoryKeyWrapper;
use netid_core::present::{PresentationRequest, Purpose};
use netid_core::secure_area::{PromptReason, SecureAreaError, SoftwareAuthenticator, UserVerifier};
use netid_core::time::{FixedClock, UnixTime};
use netid_core::wallet::{
    EnrolmentChallenge, LockedWallet, SoftwareArea, WalletConfig, issue_for_proof,
};
use zeroize::Zeroizing;

/// A user who always passes the prompt at once, so the bench measures the wallet, not a person.
struct Yes;

impl UserVerifier for Yes {
    async fn verify_user(&self, _reason: PromptReason) -> Result<(), SecureAreaError> {
        Ok(())
    }
}

type Wallet =
    LockedWallet<InMemoryKeyWrapper, SoftwareArea<SoftwareAuthenticator<Yes>>, FixedClock>;

fn wallet_with(dir: &std::path::Path, documents: usize) -> Wallet {
    let authenticator =
        Arc::new(SoftwareAuthenticator::new(&Zeroizing::new([0x17; 32]), Yes).unwrap());
    let config = WalletConfig {
        wrapper: InMemoryKeyWrapper::from_kek([0x5a; 32]),
        area: SoftwareArea::new(authenticator),
        clock: Arc::new(FixedClock::new(UnixTime::from_secs(fixtures::NOW))),
        policy: AuthPolicy::default(),
        session_secs: 86_400,
        pin_params: PinParams::INSECURE_FAST_FOR_TESTS,
        pool: Default::default(),
        presentation: Default::default(),
    };
    let locked = LockedWallet::create(dir, config).unwrap();
    let mut unlocked = locked.unlock(None).unwrap();
    let claims = parse_claims_file(fixtures::resident_id_json()).unwrap();
    let now = UnixTime::from_secs(fixtures::NOW);
    for _ in 0..documents {
        let challenge = EnrolmentChallenge::random(fixtures::ISSUER_ID).unwrap();
        let pending = block_on(unlocked.begin_enrolment(&challenge)).unwrap();
        let credential = issue_for_proof(
            &fixtures::issuer(),
            &claims,
            &challenge,
            pending.proof(),
            now,
        )
        .unwrap();
        block_on(unlocked.complete_enrolment(
            pending,
            &credential.to_bytes(),
            &fixtures::trust_list(),
            None,
        ))
        .unwrap();
    }
    unlocked.lock()
}

fn benches(c: &mut Criterion) {
    let dir = tempfile::tempdir().unwrap();
    let locked = wallet_with(dir.path(), 20);

    let mut unlocked = locked.unlock(None).unwrap();
    let id = unlocked.documents().unwrap()[0].id;
    let hotel = PresentationRequest::for_purpose(Purpose::HotelCheckIn);
    c.bench_function("wallet_show_hotel_qr_text", |b| {
        b.iter(|| {
            let shown = block_on(unlocked.show_qr(black_box(id), &hotel)).unwrap();
            black_box(shown.qr_text())
        })
    });
    drop(unlocked);

    c.bench_function("wallet_unlock_and_list_20_documents", |b| {
        b.iter(|| {
            let mut unlocked = locked.unlock(None).unwrap();
            let listed = unlocked.documents().unwrap();
            assert_eq!(listed.len(), 20);
            black_box(unlocked.lock())
        })
    });
}

criterion_group!(wallet, benches);
criterion_main!(wallet);
