package io.netid.wallet

import kotlinx.coroutines.runBlocking
import java.nio.file.Path

/**
 * One resident's wallet with the resident ID enrolled, and a counter that trusts its issuer.
 * Closing it closes every native object it made, in reverse order.
 */
class WalletFixture(
    dir: Path,
    options: WalletOptions = WalletOptions(),
) : AutoCloseable {
    val authenticator = ScriptedAuthenticator()
    val keyWrapper = MemoryKeyWrapper()
    val walletDir: String = dir.resolve("wallet").toString()
    val issuer = DevIssuer("gov.example.test")
    val holderKeys = HolderKeys.software(authenticator)
    val wallet = Wallet.create(walletDir, keyWrapper, holderKeys, options)
    val trust = issuer.trustList()
    val verifier = Verifier(trust, VerifierOptions())
    val documentId: String

    init {
        documentId = runBlocking {
            wallet.unlock(null)
            enrolResidentId(wallet, issuer)
        }
    }

    /** Shows a code for [purpose] and returns its text (the presentation object is closed). */
    suspend fun showText(purpose: Purpose = Purpose.HOTEL_CHECK_IN): String =
        wallet.showQr(documentId, QrRequest(purpose)).use { it.qrText() }

    override fun close() {
        verifier.close()
        trust.close()
        wallet.close()
        holderKeys.close()
        issuer.close()
    }
}
