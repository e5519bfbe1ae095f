package io.netid.wallet.android

import android.content.Context
import android.security.keystore.KeyGenParameterSpec
import android.security.keystore.KeyProperties
import io.netid.wallet.HostException
import io.netid.wallet.KeyWrapper
import javax.crypto.AEADBadTagException
import javax.crypto.Cipher
import javax.crypto.KeyGenerator
import javax.crypto.SecretKey
import javax.crypto.spec.GCMParameterSpec

/**
 * Keeps one wallet's 32-byte data key at rest: AES-256-GCM under a non-exportable Android Keystore
 * AES key named [alias] (StrongBox when present, else the TEE), created on the first [wrap]. The
 * wrapped form is `version (1 byte) ‖ IV (12 bytes) ‖ ciphertext ‖ tag (16 bytes)`, the version
 * byte also authenticated as associated data.
 *
 * The key needs no biometric, so the wallet can be opened; with [requireUnlockedDevice] (the
 * default) the Keystore releases it only while the device is unlocked, which is the phone-lock
 * gate of docs/SECURITY.md. Turn that off only for devices without a secure lock screen, where
 * some Android versions refuse such keys after a reboot.
 *
 * Owns the Keystore entry [alias]: use one alias per wallet directory. It must never return bytes
 * that did not authenticate (a wrong key or altered blob throws), never keep the data key: the
 * caller's array is overwritten as soon as it is encrypted; and [forget] deletes the entry, after
 * which nothing wrapped under it can be opened again.
 */
class KeystoreKeyWrapper @JvmOverloads constructor(
    context: Context,
    private val alias: String,
    private val requireUnlockedDevice: Boolean = true,
) : KeyWrapper {
    private val strongBox = Keystore.hasStrongBox(context.applicationContext ?: context)
    private val anchorRoot: java.io.File = (context.applicationContext ?: context).noBackupFilesDir
    private val lock = Any()

    init {
        require(alias.isNotBlank()) { "the Keystore alias must not be blank" }
    }

    override fun wrap(dataKey: ByteArray): ByteArray = try {
        hostCall("wrapping the data key") {
            val key = synchronized(lock) { existingKey() ?: createKey() }
            val cipher = Cipher.getInstance(TRANSFORMATION)
            cipher.init(Cipher.ENCRYPT_MODE, key) // the Keystore picks a fresh random IV
            cipher.updateAAD(ASSOCIATED_DATA)
            val sealed = cipher.doFinal(dataKey)
            val iv = cipher.iv
            if (iv == null || iv.size != IV_LENGTH) {
                throw HostException.Unavailable("the key store chose an unexpected GCM nonce length")
            }
            byteArrayOf(VERSION) + iv + sealed
        }
    } finally {
        dataKey.fill(0)
    }

    override fun unwrap(wrapped: ByteArray): ByteArray = hostCall("unwrapping the data key") {
        if (wrapped.size < HEADER_LENGTH + TAG_LENGTH || wrapped[0] != VERSION) {
            throw HostException.Unavailable("the wrapped data key has an unknown format")
        }
        val key = synchronized(lock) { existingKey() } ?: throw HostException.KeyNotFound()
        val cipher = Cipher.getInstance(TRANSFORMATION)
        cipher.init(Cipher.DECRYPT_MODE, key, GCMParameterSpec(TAG_LENGTH * 8, wrapped, 1, IV_LENGTH))
        cipher.updateAAD(ASSOCIATED_DATA)
        try {
            cipher.doFinal(wrapped, HEADER_LENGTH, wrapped.size - HEADER_LENGTH)
        } catch (e: AEADBadTagException) {
            // Not this key's blob (the entry was replaced) or altered: the data key is out of reach.
            throw HostException.KeyPermanentlyInvalidated()
        }
    }

    override fun forget(wrapped: ByteArray) = hostCall("deleting the data key's Keystore entry") {
        synchronized(lock) {
            val store = Keystore.open()
            if (!store.containsAlias(alias)) throw HostException.KeyNotFound()
            store.deleteEntry(alias)
        }
    }

    /**
     * Rollback anchors live as files in `noBackupFilesDir/netid-anchors/`: outside the wallet
     * directory and excluded from Auto Backup and device transfer, so a directory put back from
     * an old copy is noticed. (Someone with root can rewrite them too: they defend against a
     * restored directory, not against a rooted attacker; docs/SECURITY.md.)
     */
    override fun loadAnchor(name: String): ByteArray? = hostCall("reading a rollback anchor") {
        val file = anchorFile(name)
        if (file.exists()) file.readBytes() else null
    }

    override fun saveAnchor(name: String, value: ByteArray) = hostCall("saving a rollback anchor") {
        val file = anchorFile(name)
        val temporary = java.io.File(file.parentFile, "${file.name}.tmp")
        java.io.FileOutputStream(temporary).use { out ->
            out.write(value)
            out.fd.sync()
        }
        if (!temporary.renameTo(file)) {
            throw HostException.Unavailable("a rollback anchor could not be saved")
        }
    }

    override fun forgetAnchor(name: String) = hostCall("deleting a rollback anchor") {
        val file = anchorFile(name)
        if (file.exists() && !file.delete()) {
            throw HostException.Unavailable("a rollback anchor could not be deleted")
        }
    }

    private fun anchorFile(name: String): java.io.File {
        require(name.all { it.isLetterOrDigit() || it == '-' }) { "unexpected anchor name" }
        val dir = java.io.File(anchorRoot, "netid-anchors")
        if (!dir.isDirectory && !dir.mkdirs()) {
            throw HostException.Unavailable("the rollback anchor folder could not be created")
        }
        return java.io.File(dir, name)
    }

    private fun existingKey(): SecretKey? = Keystore.open().getKey(alias, null) as? SecretKey

    private fun createKey(): SecretKey = Keystore.strongBoxOrTee(strongBox) { inStrongBox ->
        val spec = KeyGenParameterSpec.Builder(alias, KeyProperties.PURPOSE_ENCRYPT or KeyProperties.PURPOSE_DECRYPT)
            .setKeySize(256)
            .setBlockModes(KeyProperties.BLOCK_MODE_GCM)
            .setEncryptionPaddings(KeyProperties.ENCRYPTION_PADDING_NONE)
            .setRandomizedEncryptionRequired(true)
            .setUnlockedDeviceRequired(requireUnlockedDevice)
            .setIsStrongBoxBacked(inStrongBox)
            .build()
        KeyGenerator.getInstance(KeyProperties.KEY_ALGORITHM_AES, Keystore.PROVIDER)
            .apply { init(spec) }
            .generateKey()
    }

    private companion object {
        const val VERSION: Byte = 1
        const val IV_LENGTH = 12
        const val TAG_LENGTH = 16
        const val HEADER_LENGTH = 1 + IV_LENGTH
        const val TRANSFORMATION = "AES/GCM/NoPadding"

        /** The version byte, authenticated with the ciphertext so a blob cannot change version. */
        val ASSOCIATED_DATA = byteArrayOf(VERSION)
    }
}
