package io.netid.wallet

import com.google.zxing.BinaryBitmap
import com.google.zxing.DecodeHintType
import com.google.zxing.RGBLuminanceSource
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

    private fun decodeWithZxing(png: ByteArray): String {
        val image = ImageIO.read(ByteArrayInputStream(png))
        val pixels = IntArray(image.width * image.height)
        image.getRGB(0, 0, image.width, image.height, pixels, 0, image.width)
        val bitmap = BinaryBitmap(HybridBinarizer(RGBLuminanceSource(image.width, image.height, pixels)))
        return QRCodeReader().decode(bitmap, mapOf(DecodeHintType.TRY_HARDER to true)).text
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
