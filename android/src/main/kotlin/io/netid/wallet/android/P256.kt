package io.netid.wallet.android

import io.netid.wallet.HostException
import java.math.BigInteger
import java.security.AlgorithmParameters
import java.security.KeyFactory
import java.security.interfaces.ECPublicKey
import java.security.spec.ECFieldFp
import java.security.spec.ECGenParameterSpec
import java.security.spec.ECParameterSpec
import java.security.spec.ECPoint
import java.security.spec.ECPublicKeySpec

/**
 * P-256 public keys between Java's [ECPublicKey] and SEC1 bytes, the form the core exchanges
 * (65-byte uncompressed `04 ‖ X ‖ Y`, or 33-byte compressed). It checks every point it decodes is
 * on the curve, and must never accept another curve or encoding.
 */
internal object P256 {
    private const val COORDINATE = 32

    private val params: ECParameterSpec by lazy {
        AlgorithmParameters.getInstance("EC")
            .apply { init(ECGenParameterSpec("secp256r1")) }
            .getParameterSpec(ECParameterSpec::class.java)
    }

    /** The uncompressed SEC1 point of [key] (65 bytes). */
    fun encode(key: ECPublicKey): ByteArray {
        if (key.params.order != params.order || key.params.curve != params.curve) throw HostException.Unavailable("the key store returned a key that is not P-256")
        return byteArrayOf(0x04) + fixed(key.w.affineX) + fixed(key.w.affineY)
    }

    /** A Java public key for a SEC1 point; [HostException.Unavailable] if it is not a P-256 point. */
    fun decode(sec1: ByteArray): ECPublicKey {
        val p = (params.curve.field as ECFieldFp).p
        val x: BigInteger
        val y: BigInteger
        when {
            sec1.size == 1 + 2 * COORDINATE && sec1[0] == 0x04.toByte() -> {
                x = BigInteger(1, sec1.copyOfRange(1, 1 + COORDINATE))
                y = BigInteger(1, sec1.copyOfRange(1 + COORDINATE, sec1.size))
            }
            sec1.size == 1 + COORDINATE && (sec1[0] == 0x02.toByte() || sec1[0] == 0x03.toByte()) -> {
                x = BigInteger(1, sec1.copyOfRange(1, sec1.size))
                // p ≡ 3 (mod 4), so a square root of r is r^((p+1)/4).
                val root = rightSide(x, p).modPow(p.add(BigInteger.ONE).shiftRight(2), p)
                y = if (root.testBit(0) == (sec1[0] == 0x03.toByte())) root else p.subtract(root).mod(p)
            }
            else -> throw notAPoint()
        }
        if (x >= p || y >= p || y.multiply(y).mod(p) != rightSide(x, p)) throw notAPoint()
        return KeyFactory.getInstance("EC").generatePublic(ECPublicKeySpec(ECPoint(x, y), params)) as ECPublicKey
    }

    /** x³ + ax + b (mod p). */
    private fun rightSide(x: BigInteger, p: BigInteger): BigInteger =
        x.pow(3).add(params.curve.a.multiply(x)).add(params.curve.b).mod(p)

    private fun notAPoint() = HostException.Unavailable("the core sent a public key that is not a P-256 point")

    /** [value] as exactly 32 big-endian bytes. */
    private fun fixed(value: BigInteger): ByteArray {
        val bytes = value.toByteArray()
        return when {
            bytes.size == COORDINATE -> bytes
            bytes.size > COORDINATE -> bytes.copyOfRange(bytes.size - COORDINATE, bytes.size)
            else -> ByteArray(COORDINATE - bytes.size) + bytes
        }
    }
}
