#!/usr/bin/env python3
"""Decode the QR code in a PNG with zxing-cpp, an independent scanner library.

Usage: qr_decode.py FILE.png
Prints the decoded text exactly (no trailing newline) and exits 0; exits 2 with a message on
stderr when the file cannot be read or holds no readable QR code, or holds more than one.
Used by core/tests/qr_scanner_zxing.rs; the PNG is opened with Pillow, so the project's own PNG
writer is checked by a second, independent decoder as well.
"""
import sys

import zxingcpp
from PIL import Image


def main() -> int:
    if len(sys.argv) != 2:
        print("usage: qr_decode.py FILE.png", file=sys.stderr)
        return 2
    try:
        image = Image.open(sys.argv[1])
        image.load()
    except OSError as err:
        print(f"cannot read PNG {sys.argv[1]}: {err}", file=sys.stderr)
        return 2
    results = zxingcpp.read_barcodes(image.convert("L"), formats=zxingcpp.BarcodeFormat.QRCode)
    if len(results) != 1:
        print(f"expected exactly one QR code, zxing-cpp found {len(results)}", file=sys.stderr)
        return 2
    result = results[0]
    if not result.valid:
        print(f"zxing-cpp found a QR code but could not decode it: {result.error}", file=sys.stderr)
        return 2
    # Report the symbol's properties on stderr so the Rust test can check the encoding mode.
    print(f"symbology={result.symbology_identifier} ec={result.ec_level} "
          f"content_type={result.content_type}", file=sys.stderr)
    sys.stdout.write(result.text)
    return 0


if __name__ == "__main__":
    sys.exit(main())
