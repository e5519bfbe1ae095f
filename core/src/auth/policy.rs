//! The user-authentication policy: which actions need a fresh authentication, how long one counts,
//! and how many failures lead to how long a lockout.
//!
//! This module owns only the policy values and their defaults (the seeds' "four gates"). It must
//! never hold state or decide outcomes; `auth::Auth` applies the policy.

use std::num::NonZeroU32;
use std::time::Duration;

use crate::secure_area::{KeyAuthPolicy, PromptReason};

/// How fresh a user authentication must be before an action.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Gate {
    /// No authentication needed.
    None,
    /// An authentication proven within this many seconds counts.
    FreshWithin(NonZeroU32),
    /// A new authentication every time.
    EveryTime,
}

/// A wallet action the policy gates.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Action {
    /// Open a document's details page.
    ViewDetails,
    /// Show a presentation QR code.
    ShowQr,
    /// Delete a document.
    DeleteDocument,
    /// Export the activity log.
    ExportLog,
}

impl Action {
    /// What the host's prompt should say the authentication is for.
    pub fn prompt_reason(self) -> PromptReason {
        match self {
            Self::ViewDetails => PromptReason::ViewDetails,
            Self::ShowQr => PromptReason::ShowQr,
            Self::DeleteDocument => PromptReason::DeleteDocument,
            Self::ExportLog => PromptReason::ExportLog,
        }
    }

    /// Stable one-byte code, bound into authentication challenges.
    pub(crate) fn code(self) -> u8 {
        match self {
            Self::ViewDetails => 1,
            Self::ShowQr => 2,
            Self::DeleteDocument => 3,
            Self::ExportLog => 4,
        }
    }
}

/// Window a holder key gets when showing a QR needs no gate of the core's own: the key is still
/// bound to a device authentication within five minutes, so a stolen unlocked phone goes cold.
pub const UNGATED_KEY_WINDOW_SECONDS: NonZeroU32 = NonZeroU32::new(300).unwrap();

/// How later lockouts grow: the `n`-th lockout lasts `lockout × LOCKOUT_ESCALATION[n-1]` (the
/// last factor repeats), until the permanent one.
pub const LOCKOUT_ESCALATION: [u32; 4] = [1, 5, 15, 60];

/// Which actions a resident who cannot use biometrics may confirm with the device passcode (or
/// pattern, or password) instead: Android `BIOMETRIC_STRONG | DEVICE_CREDENTIAL`, iOS
/// `.userPresence` / `.deviceOwnerAuthentication`. Off for every action by default. A passcode
/// is weaker than a biometric (it can be watched over a shoulder and then typed by anyone holding
/// the phone), so it is an accessibility choice made per action, and a presentation of the whole
/// card (`gov`) never falls back unless the issuer's policy allows it ([`Self::gov_presentations`]).
///
/// The core passes the answer for each prompt to the secure area ([`crate::secure_area::Prompt`]),
/// and asks for holder keys the OS may release after a passcode only when some action allows it.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct DeviceCredentialFallback {
    /// Opening a document's details may be confirmed with the device passcode.
    pub view_details: bool,
    /// Showing a QR code (other than the whole card) may be confirmed with the device passcode.
    pub show_qr: bool,
    /// Deleting a document may be confirmed with the device passcode.
    pub delete_document: bool,
    /// Exporting the activity log may be confirmed with the device passcode.
    pub export_log: bool,
    /// Whether a presentation of the whole card (`gov`) may also fall back (with `show_qr`).
    /// Set it only where the issuer's policy allows; the default, `false`, never allows it.
    pub gov_presentations: bool,
}

impl DeviceCredentialFallback {
    /// Whether any action may fall back, so holder keys must accept a device-passcode
    /// authentication at all.
    pub fn any(&self) -> bool {
        self.view_details || self.show_qr || self.delete_document || self.export_log
    }

    /// Whether a prompt for `reason` may accept the device passcode; `whole_card` says a
    /// presentation shows the whole card (`gov`). Enrolling (and refilling) falls back whenever
    /// any action does: a resident who cannot use biometrics must be able to enrol.
    pub fn allows(&self, reason: PromptReason, whole_card: bool) -> bool {
        match reason {
            PromptReason::ViewDetails => self.view_details,
            PromptReason::ShowQr => self.show_qr && (!whole_card || self.gov_presentations),
            PromptReason::DeleteDocument => self.delete_document,
            PromptReason::ExportLog => self.export_log,
            PromptReason::Enrolment => self.any(),
        }
    }
}

/// The wallet's authentication policy.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct AuthPolicy {
    /// Gate before a document's details are shown.
    pub view_details: Gate,
    /// Gate before a presentation QR is produced.
    pub show_qr: Gate,
    /// Gate before a document is deleted.
    pub delete_document: Gate,
    /// Gate before the activity log is exported.
    pub export_log: Gate,
    /// Failed attempts (wrong PIN, unrecognised biometric) in a row before a lockout.
    pub max_failed_attempts: NonZeroU32,
    /// How long the first lockout lasts (at least one second); later ones escalate by
    /// [`LOCKOUT_ESCALATION`] (with the default of one minute: 1, 5, 15, 60, 60 minutes).
    pub lockout: Duration,
    /// The lockout that makes the wallet unusable for good: reaching `max_failed_attempts` for the
    /// `max_lockouts`-th time since the last success locks it permanently, and only resetting the
    /// wallet (destroy, then enrol again) helps, as phones erase after too many passcode guesses.
    pub max_lockouts: NonZeroU32,
    /// Whether a wallet PIN must exist and be given to open the wallet. A PIN that has been set
    /// is checked at every unlock either way; this also refuses a wallet that has none yet.
    pub require_pin: bool,
    /// Which actions may be confirmed with the device passcode instead of a biometric (none by
    /// default; never a whole-card presentation unless the issuer allows).
    pub device_credential: DeviceCredentialFallback,
}

impl Default for AuthPolicy {
    /// The seeds' gates: details within 5 minutes of an authentication; a QR, a deletion and an
    /// export each need their own. Five failures lock for 1 minute, then 5, 15, 60 and 60; the
    /// sixth lockout is permanent (30 failures without a success). No PIN by default.
    fn default() -> Self {
        Self {
            view_details: Gate::FreshWithin(NonZeroU32::new(300).unwrap_or(NonZeroU32::MIN)),
            show_qr: Gate::EveryTime,
            delete_document: Gate::EveryTime,
            export_log: Gate::EveryTime,
            max_failed_attempts: NonZeroU32::new(5).unwrap_or(NonZeroU32::MIN),
            lockout: Duration::from_secs(60),
            max_lockouts: NonZeroU32::new(6).unwrap_or(NonZeroU32::MIN),
            require_pin: false,
            device_credential: DeviceCredentialFallback::default(),
        }
    }
}

impl AuthPolicy {
    /// The gate for `action`.
    pub fn gate(&self, action: Action) -> Gate {
        match action {
            Action::ViewDetails => self.view_details,
            Action::ShowQr => self.show_qr,
            Action::DeleteDocument => self.delete_document,
            Action::ExportLog => self.export_log,
        }
    }

    /// The policy to create holder keys with, so the secure area itself enforces the strictest
    /// gate even if the core were bypassed (every gate is passed by a holder-key signature):
    /// any `EveryTime` gate → a prompt for every signature; otherwise the shortest
    /// `FreshWithin(n)` → usable within `n` seconds of an authentication; all gates `None` →
    /// [`UNGATED_KEY_WINDOW_SECONDS`].
    pub fn holder_key_policy(&self) -> KeyAuthPolicy {
        let gates = [
            self.view_details,
            self.show_qr,
            self.delete_document,
            self.export_log,
        ];
        if gates.contains(&Gate::EveryTime) {
            return KeyAuthPolicy::EveryUse;
        }
        let shortest = gates
            .iter()
            .filter_map(|gate| match gate {
                Gate::FreshWithin(seconds) => Some(*seconds),
                Gate::None | Gate::EveryTime => None,
            })
            .min();
        KeyAuthPolicy::WithinSeconds(shortest.unwrap_or(UNGATED_KEY_WINDOW_SECONDS))
    }

    /// First lockout length in whole seconds, or `None` if it is shorter than one second.
    pub(crate) fn lockout_seconds(&self) -> Option<u64> {
        Some(self.lockout.as_secs()).filter(|seconds| *seconds > 0)
    }

    /// How long the `nth` lockout since the last success lasts (1-based), or `None` when it is
    /// the permanent one.
    pub fn lockout_for(&self, nth: u32) -> Option<Duration> {
        if nth >= self.max_lockouts.get() {
            return None;
        }
        let step = usize::try_from(nth.saturating_sub(1)).unwrap_or(usize::MAX);
        let factor = LOCKOUT_ESCALATION
            .get(step)
            .or(LOCKOUT_ESCALATION.last())
            .copied()
            .unwrap_or(1);
        Some(self.lockout.saturating_mul(factor))
    }
}
