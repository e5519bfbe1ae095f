package io.netid.consumer

import com.sun.jna.NativeLibrary
import io.netid.wallet.DevIssuer
import io.netid.wallet.Purpose
import io.netid.wallet.TrustList
import io.netid.wallet.Verifier
import io.netid.wallet.VerifierOptions
import io.netid.wallet.VerifyException
import io.netid.wallet.libraryVersion
import kotlinx.coroutines.runBlocking
import org.junit.jupiter.api.Assertions.assertEquals
import org.junit.jupiter.api.Assertions.assertNotNull
import org.junit.jupiter.api.Assertions.assertNull
import org.junit.jupiter.api.Assertions.assertTrue
import org.junit.jupiter.api.Test
import org.junit.jupiter.api.assertThrows

/** The published io.netid:netid-jvm, used as a dependent project uses it. */
class ConsumerTest {
    @Test
    fun theLibraryComesFromTheArtifactJar() {
        // No library path is set: JNA must find the library as a class-path resource.
        assertNull(System.getProperty("jna.library.path"))
        val resource = javaClass.classLoader.getResource("linux-x86-64/libnetid_ffi.so")
        assertNotNull(resource, "the netid-jvm jar carries linux-x86-64/libnetid_ffi.so")
        assertTrue(resource!!.toString().contains("netid-jvm-"), "resource from the netid-jvm jar: $resource")
        assertEquals(System.getProperty("netid.expectedVersion"), libraryVersion())
        // JNA extracted the resource to a temporary file (jna<digits>.tmp, deleted once loaded on
        // Linux) and loaded that, not a library from some directory.
        val loaded = NativeLibrary.getInstance("netid_ffi").file
        assertTrue(Regex("jna-?[0-9]+\\.tmp").matches(loaded.name), "loaded from $loaded")
    }

    @Test
    fun aCounterRefusesAForgedCodeWithATypedError() = runBlocking<Unit> {
        DevIssuer("gov.example.consumer").use { issuer ->
            val json = issuer.trustList().use { it.toJson() }
            assertTrue(json.contains("gov.example.consumer"), "trust list names its issuer: $json")
            TrustList.fromJson(json).use { trust ->
                Verifier(trust, VerifierOptions()).use { counter ->
                    assertThrows<VerifyException.Malformed> {
                        counter.verify("NID1:not-a-code", Purpose.HOTEL_CHECK_IN)
                    }
                }
            }
        }
    }
}
