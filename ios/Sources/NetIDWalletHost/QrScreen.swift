import Foundation
// Generated in Swift 5 mode: a Sendable gap in its declarations is a warning here (Package.swift).
@preconcurrency import NetIDWallet

/// One frame of the QR screen: the code to draw and the time it has left. `presentation` belongs
/// to the `QrScreen` stream: draw it (`qrModules()`) until the next frame arrives; printing a
/// frame shows no code text.
public struct QrFrame: CustomStringConvertible {
    public let presentation: Presentation
    public let timeLeft: TimeInterval

    public var description: String { "QrFrame(timeLeft: \(Int(timeLeft))s)" }
}

/// Runs a wallet call so that cancelling the Swift `Task` reaches Rust: uniffi's Swift async
/// calls do not cancel their Rust future by themselves, so the handler asks the wallet to end
/// every authentication in flight (`cancelAuthentication`), which drops the call's future and the
/// host prompt it waits on. The call then throws `WalletError.cancelled`.
public func withWalletCancellation<T>(
    _ wallet: Wallet,
    _ operation: () async throws -> T
) async throws -> T {
    try await withTaskCancellationHandler {
        try await operation()
    } onCancel: {
        wallet.cancelAuthentication()
    }
}

/// The QR screen as an `AsyncThrowingStream`: iterating it shows a code for `request` (through
/// the wallet's gate: Face ID / Touch ID), then yields a `QrFrame` every `tick` seconds with the
/// time left, signs a new code (through the gate again) when less than `refreshBefore` is left or
/// when `refresh()` was called, and stops when the iterating `Task` is cancelled — the Rust call
/// in flight is cancelled and a prompt still showing is dismissed.
///
/// ```swift
/// .task { for try await frame in screen.frames() { self.frame = frame } }  // SwiftUI
/// ```
public final class QrScreen: @unchecked Sendable {
    private let wallet: Wallet
    private let documentId: String
    private let request: QrRequest
    private let refreshBefore: TimeInterval
    private let tick: TimeInterval
    // Read and written only under `lock`: `refresh()` may come from the main actor while the
    // stream's task reads it.
    private let lock = NSLock()
    private var refreshAsked = false

    public init(
        wallet: Wallet,
        documentId: String,
        request: QrRequest,
        refreshBefore: TimeInterval = 15,
        tick: TimeInterval = 1
    ) {
        self.wallet = wallet
        self.documentId = documentId
        self.request = request
        self.refreshBefore = refreshBefore
        self.tick = tick
    }

    /// Ask for a new code at the next tick (the resident tapped "new code"); it passes the gate.
    public func refresh() {
        lock.lock()
        refreshAsked = true
        lock.unlock()
    }

    private func takeRefresh() -> Bool {
        lock.lock()
        defer { lock.unlock() }
        let asked = refreshAsked
        refreshAsked = false
        return asked
    }

    public func frames() -> AsyncThrowingStream<QrFrame, Error> {
        AsyncThrowingStream { continuation in
            let task = Task {
                do {
                    var shown = try await withWalletCancellation(wallet) {
                        try await wallet.showQr(documentId: documentId, request: request)
                    }
                    while !Task.isCancelled {
                        continuation.yield(
                            QrFrame(presentation: shown, timeLeft: max(0, shown.expiresAt().timeIntervalSinceNow)))
                        try await Task.sleep(nanoseconds: UInt64(tick * 1_000_000_000))
                        if takeRefresh() || shown.expiresAt().timeIntervalSinceNow <= refreshBefore {
                            // Longer than any code's life: the wallet always signs a new one.
                            shown = try await withWalletCancellation(wallet) {
                                try await wallet.refreshQr(presentation: shown, minRemaining: 86_400)
                            }
                        }
                    }
                    continuation.finish()
                } catch {
                    continuation.finish(throwing: error)
                }
            }
            continuation.onTermination = { _ in
                task.cancel()
            }
        }
    }
}
