package io.netid.wallet.android

import io.netid.wallet.NextStep
import io.netid.wallet.VerifyException
import io.netid.wallet.WalletException

// Every case of the generated error classes carries these fields, but the sealed base classes do
// not declare them; these read them without a `when` over every case. They only read the error
// and decide nothing.

/** The step to offer the person for any [WalletException]. */
val WalletException.nextStep: NextStep
    get() = when (this) {
        is WalletException.Locked -> nextStep
        is WalletException.PinRequired -> nextStep
        is WalletException.WrongPin -> nextStep
        is WalletException.LockedOut -> nextStep
        is WalletException.Cancelled -> nextStep
        is WalletException.NotRecognised -> nextStep
        is WalletException.BiometricsNotEnrolled -> nextStep
        is WalletException.SystemLockedOut -> nextStep
        is WalletException.HolderKeyInvalidated -> nextStep
        is WalletException.AuthenticatorInvalidated -> nextStep
        is WalletException.HostMisbehaved -> nextStep
        is WalletException.HostUnavailable -> nextStep
        is WalletException.KeyUnavailable -> nextStep
        is WalletException.StoreDamaged -> nextStep
        is WalletException.StorageFailed -> nextStep
        is WalletException.NoSuchDocument -> nextStep
        is WalletException.CredentialRefused -> nextStep
        is WalletException.PoolEmpty -> nextStep
        is WalletException.RequestRefused -> nextStep
        is WalletException.RequestRequired -> nextStep
        is WalletException.Busy -> nextStep
        is WalletException.InvalidInput -> nextStep
        is WalletException.Internal -> nextStep
    }

/** The English sentence explaining any [WalletException], for logs and support; never personal data. */
val WalletException.reason: String
    get() = when (this) {
        is WalletException.Locked -> reason
        is WalletException.PinRequired -> reason
        is WalletException.WrongPin -> reason
        is WalletException.LockedOut -> reason
        is WalletException.Cancelled -> reason
        is WalletException.NotRecognised -> reason
        is WalletException.BiometricsNotEnrolled -> reason
        is WalletException.SystemLockedOut -> reason
        is WalletException.HolderKeyInvalidated -> reason
        is WalletException.AuthenticatorInvalidated -> reason
        is WalletException.HostMisbehaved -> reason
        is WalletException.HostUnavailable -> reason
        is WalletException.KeyUnavailable -> reason
        is WalletException.StoreDamaged -> reason
        is WalletException.StorageFailed -> reason
        is WalletException.NoSuchDocument -> reason
        is WalletException.CredentialRefused -> reason
        is WalletException.PoolEmpty -> reason
        is WalletException.RequestRefused -> reason
        is WalletException.RequestRequired -> reason
        is WalletException.Busy -> reason
        is WalletException.InvalidInput -> reason
        is WalletException.Internal -> reason
    }

/** The English sentence for the clerk explaining any [VerifyException]; never personal data. */
val VerifyException.reason: String
    get() = when (this) {
        is VerifyException.Malformed -> reason
        is VerifyException.UnknownIssuer -> reason
        is VerifyException.BadIssuerSignature -> reason
        is VerifyException.BadHolderSignature -> reason
        is VerifyException.DisclosureMismatch -> reason
        is VerifyException.Expired -> reason
        is VerifyException.NotYetValid -> reason
        is VerifyException.IssuedInFuture -> reason
        is VerifyException.Replayed -> reason
        is VerifyException.ReplayCacheFull -> reason
        is VerifyException.WrongAudience -> reason
        is VerifyException.NonceMismatch -> reason
        is VerifyException.PolicyUnmet -> reason
        is VerifyException.CredentialExpired -> reason
        is VerifyException.Revoked -> reason
        is VerifyException.Suspended -> reason
        is VerifyException.StatusUnavailable -> reason
        is VerifyException.StatusStale -> reason
        is VerifyException.RequestRequired -> reason
        is VerifyException.RequestExpired -> reason
        is VerifyException.InvalidConfiguration -> reason
    }
