#if canImport(UIKit)
import UIKit
// Generated in Swift 5 mode: a Sendable gap in its declarations is a warning here (Package.swift).
@preconcurrency import NetIDWallet

/// The secure screen around a shown code: the code is blanked while the screen is captured
/// (recording, AirPlay mirroring: `UIScreen.capturedDidChangeNotification`), the wallet is locked
/// when the app goes to the background, and the screen is at full brightness while a code shows
/// (a counter's scanner reads a bright screen first time). Start it when the QR screen appears and
/// call `stop()` when it disappears; it restores the brightness it found.
///
/// iOS cannot block screenshots; `UIApplication.userDidTakeScreenshotNotification` arrives after
/// the fact: `onScreenshot` lets the app tell the resident the code is now in their photos.
@MainActor
public final class SecureQrScreen {
    private let wallet: Wallet
    private var observers: [NSObjectProtocol] = []
    private var savedBrightness: CGFloat?

    /// Whether the code must be hidden now (the screen is being captured). Draw a placeholder.
    public private(set) var blanked: Bool = UIScreen.main.isCaptured
    /// Called when `blanked` changes.
    public var onBlankedChange: ((Bool) -> Void)?
    /// Called after the resident took a screenshot.
    public var onScreenshot: (() -> Void)?

    public init(wallet: Wallet) {
        self.wallet = wallet
    }

    public func start() {
        let center = NotificationCenter.default
        observers.append(center.addObserver(
            forName: UIScreen.capturedDidChangeNotification, object: nil, queue: .main
        ) { [weak self] _ in
            Task { @MainActor [weak self] in
                guard let self else { return }
                self.blanked = UIScreen.main.isCaptured
                self.onBlankedChange?(self.blanked)
            }
        })
        observers.append(center.addObserver(
            forName: UIApplication.didEnterBackgroundNotification, object: nil, queue: .main
        ) { [weak self] _ in
            // Locking wipes keys and decrypted claims; the next code needs the gate again.
            Task { @MainActor [weak self] in self?.wallet.lock() }
        })
        observers.append(center.addObserver(
            forName: UIApplication.userDidTakeScreenshotNotification, object: nil, queue: .main
        ) { [weak self] _ in
            Task { @MainActor [weak self] in self?.onScreenshot?() }
        })
        savedBrightness = UIScreen.main.brightness
        UIScreen.main.brightness = 1.0
        blanked = UIScreen.main.isCaptured
    }

    public func stop() {
        observers.forEach(NotificationCenter.default.removeObserver)
        observers.removeAll()
        if let saved = savedBrightness {
            UIScreen.main.brightness = saved
            savedBrightness = nil
        }
    }
}
#endif
