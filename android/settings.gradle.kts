// The netid Android library: generated Kotlin bindings + the Rust core for every shipped ABI.
// See docs/kotlin.md. This build needs the Android SDK and NDK; the repository's test command
// cannot run it and instead compiles the same Kotlin in android/compile-check (Maven).
pluginManagement {
    repositories {
        google()
        mavenCentral()
        gradlePluginPortal()
    }
}

dependencyResolutionManagement {
    repositoriesMode.set(RepositoriesMode.FAIL_ON_PROJECT_REPOS)
    repositories {
        google()
        mavenCentral()
    }
}

rootProject.name = "netid-android"
