//! The `uniffi-bindgen` command, built at the workspace's pinned uniffi version.
//!
//! Generated bindings and the runtime scaffolding in `netid-ffi` must come from the same uniffi
//! release, or the generated code rejects the library at load time. Building the generator here,
//! rather than installing one globally, makes that impossible to get wrong. It owns nothing else
//! and must never be linked into the shipped library. Use it through `scripts/gen-bindings.sh`.

fn main() {
    uniffi::uniffi_bindgen_main()
}
