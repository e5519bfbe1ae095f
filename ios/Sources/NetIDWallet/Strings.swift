import Foundation

/// The package's generated string tables (Resources/<lang>.lproj/NetID.strings, from the shared
/// catalogue; docs/i18n.md). `Bundle.module` is internal to this package, so apps read the words
/// through here. Owns only the lookup; it never decides which message to show.
public enum NetIDStrings {
    /// The bundle holding `NetID.strings` (en, zh-Hans).
    public static var bundle: Bundle { .module }

    /// Message `key` (`"wallet-error-locked-out"`) in the user's language, English when the
    /// language is not one the package has; with `arguments` for its `%1$@`, `%2$@`… in order.
    public static func text(_ key: String, _ arguments: CVarArg...) -> String {
        let format = NSLocalizedString(key, tableName: "NetID", bundle: .module, comment: "")
        return arguments.isEmpty ? format : String(format: format, arguments: arguments)
    }
}
