//! Shared by the `wallet_*` tests: a software-secure-area wallet on a manual clock, and the dev
//! issuer's side of an enrolment.
#![allow(dead_code)]

use std::path::Path;
use std::sync::Arc;

use netid_core::auth::{AuthPolicy, PinParams};
use netid_core::block_on::block_on;
use netid_core::issuer::parse_claims_file;
use netid_core::keystore::InMemoryKeyWrapper;
use netid_core::secure_area::SoftwareAuthenticator;
use netid_core::time::UnixTime;
use netid_core::wallet::{
    DocumentSummary, EnrolmentChallenge, LockedWallet, SoftwareArea, UnlockedWallet, WalletConfig,
    WalletError, issue_for_proof,
};
use zeroize::Zeroizing;

use crate::auth_support::{AUTHENTICATOR_SECRET, ManualClock, ScriptedUser};
use crate::fixtures;

pub const KEK: [u8; 32] = [0x5a; 32];
pub const SESSION_SECS: u32 = 120;

pub type Authenticator = SoftwareAuthenticator<ScriptedUser>;
pub type SoftWallet = LockedWallet<InMemoryKeyWrapper, SoftwareArea<Authenticator>, ManualClock>;
pub type SoftUnlocked =
    UnlockedWallet<InMemoryKeyWrapper, SoftwareArea<Authenticator>, ManualClock>;

/// A software wallet's host parts, kept by the test so it can reopen the wallet later. Its key
/// wrapper keeps the rollback anchors in `anchor_dir`, outside any wallet directory, standing in
/// for the platform key store.
pub struct Host {
    pub clock: Arc<ManualClock>,
    pub authenticator: Arc<Authenticator>,
    pub anchor_dir: tempfile::TempDir,
}

impl Host {
    pub fn new(user: ScriptedUser) -> Self {
        Self::with_secret(AUTHENTICATOR_SECRET, user)
    }

    pub fn with_secret(secret: [u8; 32], user: ScriptedUser) -> Self {
        Self::with_clock(secret, user, ManualClock::at(fixtures::NOW as u64))
    }

    pub fn with_clock(secret: [u8; 32], user: ScriptedUser, clock: ManualClock) -> Self {
        Self {
            anchor_dir: tempfile::tempdir().unwrap(),
            clock: Arc::new(clock),
            authenticator: Arc::new(
                SoftwareAuthenticator::new(&Zeroizing::new(secret), user).unwrap(),
            ),
        }
    }

    pub fn user(&self) -> &ScriptedUser {
        self.authenticator.verifier()
    }

    pub fn config(
        &self,
        policy: AuthPolicy,
    ) -> WalletConfig<InMemoryKeyWrapper, SoftwareArea<Authenticator>, ManualClock> {
        WalletConfig {
            wrapper: self.wrapper(),
            area: SoftwareArea::new(Arc::clone(&self.authenticator)),
            clock: Arc::clone(&self.clock),
            policy,
            session_secs: SESSION_SECS,
            pin_params: PinParams::INSECURE_FAST_FOR_TESTS,
            pool: Default::default(),
            presentation: Default::default(),
        }
    }

    /// The key wrapper every wallet of this host uses (same KEK, same anchors).
    pub fn wrapper(&self) -> InMemoryKeyWrapper {
        InMemoryKeyWrapper::from_kek(KEK).with_anchor_dir(self.anchor_dir.path())
    }

    pub fn create(&self, dir: &Path, policy: AuthPolicy) -> SoftWallet {
        LockedWallet::create(dir, self.config(policy)).unwrap()
    }

    pub fn open(&self, dir: &Path, policy: AuthPolicy) -> SoftWallet {
        LockedWallet::open(dir, self.config(policy)).unwrap()
    }

    pub fn now(&self) -> UnixTime {
        use netid_core::time::Clock;
        self.clock.now()
    }
}

/// Runs both halves of an enrolment against the fixtures' development issuer.
pub fn enrol<W, P, C>(
    wallet: &mut UnlockedWallet<W, P, C>,
    now: UnixTime,
) -> Result<DocumentSummary, WalletError>
where
    W: netid_core::keystore::KeyWrapper,
    P: netid_core::wallet::AreaProvider,
    C: netid_core::time::Clock,
{
    let issuer = fixtures::issuer();
    let challenge = EnrolmentChallenge::random(fixtures::ISSUER_ID).unwrap();
    let pending = block_on(wallet.begin_enrolment(&challenge))?;
    let claims = parse_claims_file(fixtures::resident_id_json()).unwrap();
    let credential = issue_for_proof(&issuer, &claims, &challenge, pending.proof(), now).unwrap();
    block_on(wallet.complete_enrolment(
        pending,
        &credential.to_bytes(),
        &fixtures::trust_list(),
        Some("my card".to_owned()),
    ))
}
