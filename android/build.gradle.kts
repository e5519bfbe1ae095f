// Android library "io.netid.wallet": the Android-variant generated bindings (src/generated/kotlin,
// written by scripts/gen-bindings.sh), the host glue (src/main/kotlin), and libnetid_ffi.so built
// by cargo-ndk for arm64-v8a, armeabi-v7a and x86_64 with 16 KB page alignment.
//
// Needs: Android SDK (platform 34), NDK r27c (27.2.12479018) or newer, rustup targets
// aarch64-linux-android armv7-linux-androideabi x86_64-linux-android, and cargo-ndk 3.5
// (`cargo install cargo-ndk --version ~3.5 --locked`). Keep library versions in step with
// android/compile-check/pom.xml, which compiles the same Kotlin in the repository's test command.
import org.jetbrains.kotlin.gradle.dsl.JvmTarget

plugins {
    id("com.android.library") version "8.7.3"
    id("org.jetbrains.kotlin.android") version "2.1.20"
    `maven-publish`
}

// The coordinates apps depend on: io.netid:netid-android:<version>. Keep the version equal to the
// Cargo workspace version (Cargo.toml), like android/jvm/pom.xml.
group = "io.netid"
version = "0.1.0"

// Where cargo-ndk writes <abi>/libnetid_ffi.so; packaged as the library's jniLibs.
val rustJniLibs = layout.buildDirectory.dir("rustJniLibs")
// minSdk of the library, and the API level cargo-ndk links libnetid_ffi.so against. (Not named
// minSdkVersion: inside android {} the DSL member of that name would shadow it.)
val androidMinSdk = 28

android {
    namespace = "io.netid.wallet"
    compileSdk = 34
    // r27 is the first NDK with 16 KB page-size support; the alignment itself is requested by
    // bindings/build.rs and verified by build-rust.sh, so a newer NDK works the same way.
    ndkVersion = "27.2.12479018"

    defaultConfig {
        // API 28: the framework BiometricPrompt with a CryptoObject, StrongBox and
        // unlocked-device-required keys, which KeystoreKeyWrapper and KeystoreSecureArea build on
        // (newer APIs are used behind Build.VERSION checks). BiometricUserAuthenticator needs a
        // Keystore key agreement (PURPOSE_AGREE_KEY, API 31) and a per-use binding through
        // BiometricPrompt.CryptoObject(KeyAgreement), found by reflection while compileSdk is 34;
        // where either is missing it throws Unavailable (see its KDoc).
        minSdk = androidMinSdk
        consumerProguardFiles("consumer-rules.pro")
        ndk {
            abiFilters += listOf("arm64-v8a", "armeabi-v7a", "x86_64")
        }
    }

    sourceSets {
        getByName("main") {
            java.srcDirs("src/main/kotlin", "src/generated/kotlin")
            jniLibs.srcDir(rustJniLibs.get().asFile)
        }
    }

    compileOptions {
        sourceCompatibility = JavaVersion.VERSION_17
        targetCompatibility = JavaVersion.VERSION_17
    }

    // The release AAR (with its sources jar) is the one published variant; see `publishing` below.
    publishing {
        singleVariant("release") {
            withSourcesJar()
        }
    }

    packaging {
        jniLibs {
            // Store .so files uncompressed and 16 KB-aligned in the APK so they load in place on
            // 16 KB-page devices (AGP 8.5.1+ aligns them; legacy packaging would extract them).
            useLegacyPackaging = false
        }
    }
}

kotlin {
    compilerOptions {
        jvmTarget.set(JvmTarget.JVM_17)
    }
}

dependencies {
    // The aar, not the jar: it carries libjnidispatch.so for each Android ABI. At least 5.17.0:
    // the first release whose libjnidispatch.so works on 16 KB-page devices (JNA issues #1618 and
    // #1647). Keep in step with jvm-tests/pom.xml, compile-check/pom.xml and jvm/pom.xml.
    implementation("net.java.dev.jna:jna:5.18.1@aar")
    implementation("org.jetbrains.kotlinx:kotlinx-coroutines-android:1.10.1")
    implementation("androidx.annotation:annotation:1.9.1")
}

// `./gradlew publishReleasePublicationToNetidLocalRepository` writes the AAR, its sources jar, its
// POM and its Gradle module metadata to build/maven-repo (`publishToMavenLocal` to ~/.m2). The POM
// lists the `implementation` dependencies above in runtime scope, JNA with <type>aar</type> (the
// `@aar` artifact selector; Gradle module metadata records it as an artifactSelector), so an app
// that depends on io.netid:netid-android gets JNA's aar and kotlinx-coroutines without naming them.
publishing {
    publications {
        register<MavenPublication>("release") {
            artifactId = "netid-android"
            // AGP creates the "release" component only after this script has been evaluated.
            afterEvaluate {
                from(components["release"])
            }
            pom {
                name.set("netid for Android")
                description.set(
                    "The netid wallet core for Android: Kotlin bindings, Keystore and " +
                        "BiometricPrompt host glue, and libnetid_ffi.so for arm64-v8a, armeabi-v7a and x86_64.",
                )
                licenses {
                    license {
                        name.set("Apache-2.0")
                        url.set("https://www.apache.org/licenses/LICENSE-2.0")
                    }
                }
            }
        }
    }
    repositories {
        maven {
            name = "netidLocal"
            url = uri(layout.buildDirectory.dir("maven-repo"))
        }
    }
}

// Release build of the Rust library for every ABI above. Always release: a debug build of the core
// is several times larger and much slower. AGP strips the symbols when it packages the .so files.
val cargoNdkBuild by tasks.registering(Exec::class) {
    description = "Builds libnetid_ffi.so for each ABI with cargo-ndk and checks its 16 KB alignment."
    group = "build"
    workingDir = projectDir
    commandLine(
        "bash", "build-rust.sh",
        "--out", rustJniLibs.get().asFile.absolutePath,
        "--platform", androidMinSdk.toString(),
    )
    inputs.files(
        fileTree("../core/src"),
        fileTree("../bindings/src"),
        "../bindings/build.rs",
        "../Cargo.toml",
        "../Cargo.lock",
        "../core/Cargo.toml",
        "../bindings/Cargo.toml",
        "build-rust.sh",
    )
    outputs.dir(rustJniLibs)
}

tasks.named("preBuild") {
    dependsOn(cargoNdkBuild)
}
