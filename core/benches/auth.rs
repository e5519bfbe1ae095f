//! What user authentication costs on the paths with budgets: a checked signature from the software
//! secure area (inside the "presentation signed → QR" budget), the same through `Auth` with its
//! persisted counter, and a wallet PIN check at the recommended Argon2id cost. Bare P-256 sign and
//! verify run alongside as the yardstick.

use std::hint::black_box;
use std::time::Duration;

use criterion::{Criterion, criterion_group, criterion_main};
use netid_core::auth::{
    Action, Auth, AuthPolicy, MemoryAuthStateStore, Pin, PinLayer, PinParams, SystemClock,
};
use netid_core::block_on::block_on;
use netid_core::secure_area::{
    KeyAlias, KeyAuthPolicy, KeyWrappingKey, MemoryKeyBlobStore, PromptReason, RecordedHolderKey,
    SecureAreaError, SoftwareAuthenticator, SoftwareSecureArea, UserVerifier,
};
use p256::ecdsa::signature::{Signer, Verifier};
use zeroize::Zeroizing;

/// A desktop user who is always there: measures the cryptography, not a person.
struct Present;

impl UserVerifier for Present {
    async fn verify_user(&self, _reason: PromptReason) -> Result<(), SecureAreaError> {
        Ok(())
    }
}

fn software_area() -> SoftwareSecureArea<SoftwareAuthenticator<Present>, MemoryKeyBlobStore> {
    let authenticator = SoftwareAuthenticator::new(
        &SoftwareAuthenticator::<Present>::generate_secret(),
        Present,
    )
    .expect("fresh secret");
    SoftwareSecureArea::new(
        KeyWrappingKey::new(Zeroizing::new([0x42; 32])),
        authenticator,
        MemoryKeyBlobStore::new(),
    )
}

fn signing(c: &mut Criterion) {
    let area = software_area();
    let key = block_on(RecordedHolderKey::create(
        &area,
        KeyAlias::new("bench").expect("alias"),
        KeyAuthPolicy::EveryUse,
    ))
    .expect("key");
    let message = vec![0xA5u8; 600]; // about the size of a hotel-disclosure Sig_structure
    c.bench_function("software_secure_area/sign_checked", |b| {
        b.iter(|| {
            block_on(key.sign(&area, black_box(&message), PromptReason::ShowQr)).expect("sign")
        })
    });

    // Bare ECDSA on the same machine and load: the yardstick for the secure area's overhead.
    let bare = p256::ecdsa::SigningKey::random(&mut rand_core::OsRng);
    let bare_signature: p256::ecdsa::Signature = bare.sign(&message);
    c.bench_function("reference/p256_sign", |b| {
        b.iter(|| -> p256::ecdsa::Signature { bare.sign(black_box(&message)) })
    });
    c.bench_function("reference/p256_verify", |b| {
        b.iter(|| {
            bare.verifying_key()
                .verify(black_box(&message), &bare_signature)
                .expect("verifies")
        })
    });

    let auth = Auth::open(
        AuthPolicy::default(),
        MemoryAuthStateStore::new(),
        SystemClock,
    )
    .expect("auth");
    c.bench_function("auth/sign_authenticated_software", |b| {
        b.iter(|| {
            block_on(auth.sign_authenticated(Action::ShowQr, &area, &key, black_box(&message)))
                .expect("sign")
        })
    });
}

fn pin(c: &mut Criterion) {
    let auth = Auth::open(
        AuthPolicy::default(),
        MemoryAuthStateStore::new(),
        SystemClock,
    )
    .expect("auth");
    let secret = [7u8; 32];
    let pin = Pin::new("135790").expect("pin");
    let layer = PinLayer::seal(&pin, &secret, &[9u8; 32], PinParams::RECOMMENDED).expect("seal");
    let mut group = c.benchmark_group("pin");
    group
        .sample_size(10)
        .measurement_time(Duration::from_secs(8));
    // One PIN unlock: the attempt reserved, one Argon2id derivation at the recommended cost,
    // the PIN layer opened, the success recorded.
    group.bench_function("open_pin_layer_recommended_argon2id", |b| {
        b.iter(|| {
            auth.attempt_pin(|| layer.open(black_box(&pin), &secret))
                .expect("right PIN")
        })
    });
    group.finish();
}

criterion_group!(benches, signing, pin);
criterion_main!(benches);
