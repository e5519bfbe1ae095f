package io.netid.wallet

import com.sun.jna.NativeLibrary
import org.junit.jupiter.api.Assertions.assertEquals
import org.junit.jupiter.api.Assertions.assertTrue
import org.junit.jupiter.api.Test
import java.io.File
import java.util.concurrent.Callable
import java.util.concurrent.Executors
import java.util.concurrent.TimeUnit

/**
 * The generated JVM bindings, loaded through JNA, reach the library cargo has just built.
 *
 * Both expectations come from outside the JVM (scripts/test.sh passes them): the version from
 * `cargo metadata`, the library directory from CARGO_TARGET_DIR. Nothing here is hard-coded.
 */
class LibraryLoadingTest {
    private fun requiredProperty(name: String): String {
        val value = System.getProperty(name)
        require(!value.isNullOrBlank()) {
            "system property $name is not set: run these tests through scripts/test.sh " +
                "(or pass -D$name=... to mvn, see pom.xml)"
        }
        return value
    }

    @Test
    fun libraryVersionIsTheCargoPackageVersion() {
        assertEquals(requiredProperty("netid.expectedVersion"), libraryVersion())
    }

    @Test
    fun libraryIsLoadedFromTheCargoTargetDirectory() {
        // The first call runs the generated loader (and uniffi's contract-version check).
        libraryVersion()
        val expected = File(requiredProperty("netid.ffiLibDir"), System.mapLibraryName("netid_ffi"))
        assertTrue(expected.isFile, "no library at $expected: build netid-ffi first")
        val loaded = NativeLibrary.getInstance("netid_ffi").file
        assertEquals(expected.canonicalFile, loaded.canonicalFile)
    }

    @Test
    fun stringsCrossTheBoundaryIntactFromManyThreads() {
        // Every call allocates a Rust buffer that Kotlin copies out and hands back to Rust to free;
        // a mistake in that ownership shows up as corrupted strings or a crash under contention.
        val expected = requiredProperty("netid.expectedVersion")
        val pool = Executors.newFixedThreadPool(4)
        try {
            val results = pool.invokeAll(
                List(4) { Callable { List(5_000) { libraryVersion() }.count { it == expected } } },
            )
            assertEquals(List(4) { 5_000 }, results.map { it.get(30, TimeUnit.SECONDS) })
        } finally {
            pool.shutdownNow()
        }
    }
}
