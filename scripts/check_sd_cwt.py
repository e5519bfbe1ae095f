#!/usr/bin/env python3
"""Independent verifier for the netid SD-CWT profile, written from docs/FORMAT.md alone.

It shares no code with netid-core: CBOR comes from cbor2, ECDSA from `cryptography`, Base45 is
re-implemented here. It checks
  * the worked example in docs/FORMAT.md: QR text -> Base45 -> SD-KBT, both signatures, every
    disclosure digest (nested details map included), the disclosed values and the time rules;
  * that tampering with the example is detected;
  * the SD-CWT draft's own vectors copied into core/tests/vectors/sd-cwt-draft/.
Exit status 0 means every check passed.
"""

import datetime
import hashlib
import pathlib
import re
import sys

import cbor2
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, utils

ROOT = pathlib.Path(__file__).resolve().parent.parent
B45 = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ $%*+-./:"
REDACTED_KEYS = cbor2.CBORSimpleValue(59)


class CheckFailed(Exception):
    pass


def check(cond, what):
    if not cond:
        raise CheckFailed(what)


def b45decode(text):
    vals = [B45.index(c) for c in text]
    check(len(vals) % 3 != 1, "base45 length")
    out = bytearray()
    for i in range(0, len(vals), 3):
        chunk = vals[i:i + 3]
        n = sum(v * 45 ** k for k, v in enumerate(chunk))
        if len(chunk) == 3:
            check(n <= 0xFFFF, "base45 triple range")
            out += n.to_bytes(2, "big")
        else:
            check(n <= 0xFF, "base45 pair range")
            out.append(n)
    return bytes(out)


def sign1(value):
    check(isinstance(value, cbor2.CBORTag) and value.tag == 18, "COSE_Sign1 tag 18")
    protected, unprotected, payload, signature = value.value
    return protected, cbor2.loads(protected), unprotected, payload, signature


def tbs(protected, payload):
    return cbor2.dumps(["Signature1", protected, b"", payload])


def verify_ecdsa(public_key, alg, message, signature):
    digest = {-7: hashes.SHA256(), -9: hashes.SHA256(), -35: hashes.SHA384(), -51: hashes.SHA384()}[alg]
    half = len(signature) // 2
    der = utils.encode_dss_signature(int.from_bytes(signature[:half], "big"), int.from_bytes(signature[half:], "big"))
    try:
        public_key.verify(der, message, ec.ECDSA(digest))
        return True
    except InvalidSignature:
        return False


def holder_key(claims):
    key = claims[8][1]
    check(key[1] == 2 and key[-1] == 1, "cnf is an EC2 P-256 key")
    y = key[-3]
    point = (bytes([3 if y else 2]) + key[-2]) if isinstance(y, bool) else (b"\x04" + key[-2] + y)
    return ec.EllipticCurvePublicKey.from_encoded_point(ec.SECP256R1(), point)


def digest(disclosure):
    # SHA-256 over the disclosure as a CBOR byte string, head included (FORMAT.md 2.4).
    return hashlib.sha256(cbor2.dumps(disclosure)).digest()


def apply_disclosures(claims, disclosures):
    table = {}
    for d in disclosures:
        h = digest(d)
        check(h not in table, "duplicate disclosure")
        decoded = cbor2.loads(d)
        check(isinstance(decoded, list) and len(decoded[0]) >= 16, "disclosure shape / salt length")
        table[h] = decoded
    used = set()

    def walk(v):
        if isinstance(v, dict):
            out = {}
            for k, val in v.items():
                if k == REDACTED_KEYS:
                    for h in val:
                        if h in table:
                            check(h not in used, "digest used twice")
                            used.add(h)
                            entry = table[h]
                            if len(entry) == 3:
                                check(entry[2] not in out, "duplicate claim key")
                                out[entry[2]] = walk(entry[1])
                else:
                    check(k not in out, "duplicate claim key")
                    out[k] = walk(val)
            return out
        if isinstance(v, list):
            out = []
            for item in v:
                if isinstance(item, cbor2.CBORTag) and item.tag == 60:
                    if item.value in table:
                        used.add(item.value)
                        out.append(walk(table[item.value][1]))
                else:
                    out.append(walk(item))
            return out
        return v

    result = walk(claims)
    check(used == set(table), "every disclosure matches a digest")
    return result


def verify_presentation(kbt_bytes, issuer_key, audience, nonce=None):
    """Return (validated SD-CWT claims, KBT claims) or raise CheckFailed."""
    kbt_protected_bytes, kbt_protected, _, kbt_payload, kbt_sig = sign1(cbor2.loads(kbt_bytes))
    check(kbt_protected.get(16) == 294, "KBT typ 294")
    cwt_protected_bytes, cwt_protected, cwt_unprotected, cwt_payload, cwt_sig = sign1(kbt_protected[13])
    check(cwt_protected.get(16) == 293, "SD-CWT typ 293")
    check(cwt_protected.get(170, -16) == -16, "sd_alg SHA-256")
    check(verify_ecdsa(issuer_key, cwt_protected[1], tbs(cwt_protected_bytes, cwt_payload), cwt_sig), "issuer signature")
    claims = cbor2.loads(cwt_payload)
    check(verify_ecdsa(holder_key(claims), kbt_protected[1], tbs(kbt_protected_bytes, kbt_payload), kbt_sig), "holder signature")
    disclosures = cwt_unprotected.get(17, [])
    validated = apply_disclosures(claims, disclosures)
    kbt_claims = cbor2.loads(kbt_payload)
    check(kbt_claims[3] == audience, "audience")
    if nonce is not None:
        check(kbt_claims.get(39) == nonce, "cnonce")
    k_iat, k_exp = kbt_claims[6], kbt_claims.get(4)
    c_iat, c_nbf, c_exp = claims.get(6), claims.get(5), claims.get(4)
    if k_exp is not None:
        check(k_iat < k_exp, "KBT iat < exp")
        if c_exp is not None:
            check(k_exp <= c_exp, "KBT exp <= SD-CWT exp")
    if c_iat is not None:
        check(k_iat >= c_iat, "KBT iat >= SD-CWT iat")
    if c_nbf is not None:
        check(k_iat >= c_nbf, "KBT iat >= SD-CWT nbf")
    return validated, kbt_claims


def worked_example():
    doc = (ROOT / "docs" / "FORMAT.md").read_text(encoding="utf-8")
    block = doc.split("<!-- worked-example:begin", 1)[1].split("<!-- worked-example:end -->", 1)[0]
    issuer_hex = re.search(r"\| issuer public key \(SEC1\) \| `([0-9a-f]+)` \|", block).group(1)
    issuer_key = ec.EllipticCurvePublicKey.from_encoded_point(ec.SECP256R1(), bytes.fromhex(issuer_hex))
    hex_block = block.split("The same presentation in hex:", 1)[1].split("```", 2)[1]
    kbt = bytes.fromhex("".join(hex_block.split()))
    qr_block = block.split("Its QR text", 1)[1].split("```", 2)[1]
    qr_text = "".join(line for line in qr_block.split("\n") if line)
    check(qr_text.startswith("NID1:"), "QR prefix")
    check(b45decode(qr_text[len("NID1:"):]) == kbt, "QR text decodes to the presentation hex")

    validated, kbt_claims = verify_presentation(kbt, issuer_key, "hotel")
    document = validated[-65537]
    check(document[1] == 1 and document[2] == 1, "resident-id, basic level")
    check(document[3] == "李秀英", "name")
    check(document[4] == 2, "sex female")
    # cbor2 turns RFC 8943 tag 100 into a date; also pin the wire form 100(-7306).
    check(document[6] == datetime.date(1949, 12, 31), "birth date 1949-12-31")
    check(bytes.fromhex("d864391c89") in kbt, "birth date encoded as tag 100 days")
    check(document[8] == "11010519491231002X", "id number")
    check(set(document) == {1, 2, 3, 4, 6, 8}, "exactly the hotel claims are disclosed")
    check(kbt_claims[4] - kbt_claims[6] == 60, "60 s lifetime")
    check(len(kbt_claims[7]) == 16, "16-byte cti")

    # Tampering anywhere must be caught by one of the checks above.
    for offset in (30, 120, 300, 450, len(kbt) - 70, len(kbt) - 1):
        tampered = bytearray(kbt)
        tampered[offset] ^= 0x01
        try:
            verify_presentation(bytes(tampered), issuer_key, "hotel")
        except Exception:  # noqa: BLE001 - any failure (decode or check) is a detection
            continue
        raise CheckFailed(f"tampering at byte {offset} went unnoticed")
    print(f"worked example: {len(kbt)} bytes, {len(qr_text)} QR characters, verified independently")


def draft_vectors():
    base = ROOT / "core" / "tests" / "vectors" / "sd-cwt-draft"
    issuer_key = serialization.load_pem_public_key((base / "issuer_pubkey.pem").read_bytes())
    validated, kbt_claims = verify_presentation(
        (base / "kbt.cbor").read_bytes(), issuer_key, "https://verifier.example/app",
        nonce=bytes.fromhex("8c0f5f523b95bea44a9a48c649240803"))
    check(validated[501] == "ABCD-123456", "draft: inspector_license_number")
    check(validated[502] == [1549560720, 1674004740], "draft: inspection dates")
    check(validated[503] == {"country": "us", "region": "ca"}, "draft: nested region")
    _, protected, unprotected, payload, signature = sign1(cbor2.loads((base / "issuer_cwt.cbor").read_bytes()))
    check(verify_ecdsa(issuer_key, protected[1], tbs(_, payload), signature), "draft: issuer ES384 signature")
    full = apply_disclosures(cbor2.loads(payload), unprotected[17])
    check(full[503]["postal_code"] == "94188", "draft: all disclosures")
    print("draft vectors: issuer_cwt.cbor and kbt.cbor verified independently")


def main():
    try:
        worked_example()
        draft_vectors()
    except (CheckFailed, KeyError, IndexError, ValueError, AttributeError) as e:
        print(f"check_sd_cwt: FAILED: {type(e).__name__}: {e}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
