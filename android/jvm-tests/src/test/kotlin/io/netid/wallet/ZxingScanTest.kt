package io.netid.wallet

import com.google.zxing.BinaryBitmap
import com.google.zxing.DecodeHintType
import com.google.zxing.NotFoundException
import com.google.zxing.RGBLuminanceSource
import com.google.zxing.ReaderException
import com.google.zxing.common.HybridBinarizer
import com.google.zxing.qrcode.QRCodeReader
import kotlinx.coroutines.runBlocking
import org.junit.jupiter.api.Assertions.assertEquals
import org.junit.jupiter.api.Test
import org.junit.jupiter.api.io.TempDir
import java.io.ByteArrayInputStream
import java.nio.file.Files
import java.nio.file.Path
import java.nio.file.Paths
import javax.imageio.ImageIO

/**
 * The PNG the wallet renders is read by ZXing's finder-pattern detector, as Android counter apps
 * read camera frames: `HybridBinarizer` with the default hints (ZXing's own scanner app and
 * zxing-android-embedded set no `TRY_HARDER`), and again with `TRY_HARDER`, which some apps turn
 * on. There is no `PURE_BARCODE` fallback: a symbol the detector misses in a clean rendering is
 * one a counter's camera misses too (core/src/qr/mask.rs says how the renderer avoids that).
 */
class ZxingScanTest {
    @TempDir
    lateinit var dir: Path

    /** Every way a counter app decodes, each of which must return the same text. */
    private val scannerHints = listOf(
        "default hints" to emptyMap<DecodeHintType, Any>(),
        "TRY_HARDER" to mapOf(DecodeHintType.TRY_HARDER to true),
    )

    private fun decodeWithZxing(png: ByteArray, hints: Map<DecodeHintType, Any>): String {
        val image = ImageIO.read(ByteArrayInputStream(png))
        val pixels = IntArray(image.width * image.height)
        image.getRGB(0, 0, image.width, image.height, pixels, 0, image.width)
        val source = RGBLuminanceSource(image.width, image.height, pixels)
        return QRCodeReader().decode(BinaryBitmap(HybridBinarizer(source)), hints).text
    }

    /**
     * Decodes [png] every way in [scannerHints] and checks the text. On a miss the image is kept
     * under target/zxing-misses (the code's text is not printed: it carries the fixture's claims
     * and proves nothing more than the picture does) so the symbol can be examined.
     */
    private fun assertZxingReads(png: ByteArray, expected: String, what: String) {
        for ((name, hints) in scannerHints) {
            val decoded = try {
                decodeWithZxing(png, hints)
            } catch (e: ReaderException) {
                val kept = Paths.get("target", "zxing-misses").also { Files.createDirectories(it) }
                    .resolve("${what.replace(' ', '-')}.png")
                Files.write(kept, png)
                val kind = if (e is NotFoundException) "found no QR code" else "could not decode (${e.javaClass.simpleName})"
                throw AssertionError("ZXing ($name) $kind in $what; the PNG is kept at ${kept.toAbsolutePath()}", e)
            }
            assertEquals(expected, decoded, "ZXing ($name) read other text from $what")
        }
    }

    @Test
    fun zxingDecodesTheRenderedPngAndTheDecodedTextVerifies() = runBlocking<Unit> {
        WalletFixture(dir).use { f ->
            for (purpose in listOf(Purpose.HOTEL_CHECK_IN, Purpose.TRAIN_TICKET)) {
                f.wallet.showQr(f.documentId, QrRequest(purpose)).use { qr ->
                    assertZxingReads(qr.qrPng(4u), qr.qrText(), "$purpose v${qr.qrModules().version}")
                    val verified = f.verifier.verify(qr.qrText(), purpose)
                    assertEquals(DocType.RESIDENT_ID, verified.docType)
                }
            }
        }
    }

    /**
     * Many codes, because each presentation is a different symbol (fresh salts and signature) and
     * a detector miss depends on the modules: before the mask choice avoided finder look-alikes,
     * this test failed on its first run (ZXing found no code in a version-19 train ticket code). Each fixture has its own
     * development issuer key, so the credential's bytes differ too.
     */
    @Test
    fun zxingFindsEveryCodeOfManyPresentations() = runBlocking<Unit> {
        var codes = 0
        for (wallet in 1..2) {
            WalletFixture(Files.createDirectories(dir.resolve("wallet-$wallet"))).use { f ->
                // A gov code (the largest symbol) is shown only in answer to a registered
                // counter's signed request: one fresh request per code.
                val registrar = DevRegistrar("cn-dev-registrar")
                val trust = registrar.trustedBy(f.trust)
                val gov = registrar.registerCounter(
                    "gov-bj-01", "政务大厅", "Gov Hall", listOf(Purpose.GOVERNMENT_SERVICE), 0u,
                ).let { CounterSigner(it.certificate, it.privateKey) }
                suspend fun show(purpose: Purpose): Presentation =
                    if (purpose == Purpose.GOVERNMENT_SERVICE) {
                        gov.request(purpose, null, java.time.Duration.ofMinutes(2)).use { issued ->
                            f.wallet.parseRequest(issued.text(), trust).use { request ->
                                f.wallet.showQrForRequest(f.documentId, request)
                            }
                        }
                    } else {
                        f.wallet.showQr(f.documentId, QrRequest(purpose))
                    }
                for (purpose in Purpose.values()) {
                    repeat(CODES_PER_PURPOSE) { index ->
                        show(purpose).use { qr ->
                            val what = "wallet $wallet $purpose code $index v${qr.qrModules().version}"
                            assertZxingReads(qr.qrPng(4u), qr.qrText(), what)
                            codes++
                        }
                    }
                }
                gov.close()
                trust.close()
                registrar.close()
            }
        }
        assertEquals(2 * Purpose.values().size * CODES_PER_PURPOSE, codes)
    }

    private companion object {
        const val CODES_PER_PURPOSE = 25
    }
}
