#!/usr/bin/env python3
"""Independent cross-check of netid Status List Tokens (CWT form) with cbor2 + cryptography + zlib.

  status_list_check.py verify TOKEN_FILE PUBLIC_KEY_HEX
      Verifies the ES256 COSE_Sign1 over its Sig_structure with the SEC1 public key, checks the
      protected `typ`, inflates `lst`, and prints JSON: uri, iat, exp, ttl, bits, statuses.
  status_list_check.py sign OUT_FILE PRIVATE_SCALAR_HEX KID_HEX URI IAT BITS STATUSES
      Writes a token built here (not by the Rust code) for the Rust verifier to read; STATUSES is
      a comma-separated list of values, entry 0 first.

  status_list_check.py admit TOKEN_FILE PUBLIC_KEY_HEX SOURCE NOW DEFAULT_TTL [REC_IAT REC_SHA256 REC_FETCHED_AT]
      Applies docs/FORMAT.md §7's rules, written here from the document, to a counter that holds
      the given record (or none) for the list's URI: SOURCE is "fetched" or "local-file". Prints
      JSON: decision ("accepted", "older", "conflict", "expired", "future"), and when accepted
      fetched_at and fresh_until (the earlier of fetched-at + ttl or DEFAULT_TTL, and exp).

Exits 2 with a message on stderr on any failure. Used by core/tests/status_python_crosscheck.rs.
"""
import hashlib
import json
import sys
import zlib

import cbor2
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.asymmetric.utils import (
    decode_dss_signature,
    encode_dss_signature,
)

TYP = "application/statuslist+cwt"
ES256 = -7


def fail(message: str) -> int:
    print(message, file=sys.stderr)
    return 2


def sig_structure(protected: bytes, payload: bytes) -> bytes:
    return cbor2.dumps(["Signature1", protected, b"", payload])


def verify(token_path: str, public_hex: str) -> int:
    data = open(token_path, "rb").read()
    value = cbor2.loads(data)
    if isinstance(value, cbor2.CBORTag):
        if value.tag != 18:
            return fail(f"unexpected CBOR tag {value.tag}")
        value = value.value
    if not (isinstance(value, (list, tuple)) and len(value) == 4):
        return fail("not a COSE_Sign1 array")
    protected, _unprotected, payload, signature = value
    header = cbor2.loads(protected)
    if header.get(1) != ES256:
        return fail(f"alg is {header.get(1)}, expected ES256")
    if header.get(16) != TYP:
        return fail(f"typ is {header.get(16)!r}")
    if len(signature) != 64:
        return fail("ES256 signature must be 64 bytes")
    key = ec.EllipticCurvePublicKey.from_encoded_point(ec.SECP256R1(), bytes.fromhex(public_hex))
    der = encode_dss_signature(int.from_bytes(signature[:32], "big"), int.from_bytes(signature[32:], "big"))
    try:
        key.verify(der, sig_structure(protected, payload), ec.ECDSA(hashes.SHA256()))
    except InvalidSignature:
        return fail("signature does not verify")
    claims = cbor2.loads(payload)
    status_list = claims[65533]
    bits = status_list["bits"]
    packed = zlib.decompress(status_list["lst"])
    per_byte = 8 // bits
    statuses = [(packed[i // per_byte] >> ((i % per_byte) * bits)) & ((1 << bits) - 1)
                for i in range(len(packed) * per_byte)]
    print(json.dumps({
        "uri": claims[2], "iat": claims[6], "exp": claims.get(4), "ttl": claims.get(65534),
        "kid": header.get(4, b"").hex(), "bits": bits, "statuses": statuses,
    }))
    return 0


def sign(out_path, scalar_hex, kid_hex, uri, iat, bits, statuses) -> int:
    bits = int(bits)
    values = [int(v) for v in statuses.split(",") if v]
    per_byte = 8 // bits
    packed = bytearray((len(values) + per_byte - 1) // per_byte)
    for i, v in enumerate(values):
        packed[i // per_byte] |= v << ((i % per_byte) * bits)
    payload = cbor2.dumps({2: uri, 6: int(iat), 65533: {"bits": bits, "lst": zlib.compress(bytes(packed))}})
    protected = cbor2.dumps({1: ES256, 4: bytes.fromhex(kid_hex), 16: TYP})
    key = ec.derive_private_key(int(scalar_hex, 16), ec.SECP256R1())
    r, s = decode_dss_signature(key.sign(sig_structure(protected, payload), ec.ECDSA(hashes.SHA256())))
    signature = r.to_bytes(32, "big") + s.to_bytes(32, "big")
    token = cbor2.dumps(cbor2.CBORTag(18, [protected, {}, payload, signature]))
    open(out_path, "wb").write(token)
    return 0


ISSUED_AT_SKEW = 60


def admit(token_path, public_hex, source, now, default_ttl, record=None) -> int:
    data = open(token_path, "rb").read()
    value = cbor2.loads(data)
    if isinstance(value, cbor2.CBORTag):
        value = value.value
    protected, _unprotected, payload, signature = value
    key = ec.EllipticCurvePublicKey.from_encoded_point(ec.SECP256R1(), bytes.fromhex(public_hex))
    der = encode_dss_signature(int.from_bytes(signature[:32], "big"), int.from_bytes(signature[32:], "big"))
    try:
        key.verify(der, sig_structure(protected, payload), ec.ECDSA(hashes.SHA256()))
    except InvalidSignature:
        return fail("signature does not verify")
    claims = cbor2.loads(payload)
    now, default_ttl = int(now), int(default_ttl)
    iat, exp, ttl = claims[6], claims.get(4), claims.get(65534)
    if exp is not None and now >= exp:  # "on or after" exp: expired
        print(json.dumps({"decision": "expired"}))
        return 0
    if iat > now + ISSUED_AT_SKEW:
        print(json.dumps({"decision": "future"}))
        return 0
    digest = hashlib.sha256(data).hexdigest()
    fetched_at = now
    if record is not None:
        rec_iat, rec_digest, rec_fetched = int(record[0]), record[1], int(record[2])
        if iat < rec_iat:
            print(json.dumps({"decision": "older"}))
            return 0
        if iat == rec_iat and digest != rec_digest:
            print(json.dumps({"decision": "conflict"}))
            return 0
        if source == "local-file" and digest == rec_digest:
            fetched_at = min(rec_fetched, now)  # re-reading a file is not a fetch
    ttl_end = fetched_at + (ttl if ttl is not None else default_ttl)
    fresh_until = min(ttl_end, exp) if exp is not None else ttl_end
    print(json.dumps({"decision": "accepted", "fetched_at": fetched_at, "fresh_until": fresh_until,
                      "sha256": digest}))
    return 0


def main() -> int:
    try:
        if len(sys.argv) == 4 and sys.argv[1] == "verify":
            return verify(sys.argv[2], sys.argv[3])
        if len(sys.argv) == 9 and sys.argv[1] == "sign":
            return sign(*sys.argv[2:])
        if len(sys.argv) in (7, 10) and sys.argv[1] == "admit":
            record = sys.argv[7:10] if len(sys.argv) == 10 else None
            return admit(*sys.argv[2:7], record=record)
    except (OSError, ValueError, KeyError, TypeError, IndexError, zlib.error, cbor2.CBORDecodeError) as err:
        return fail(f"{type(err).__name__}: {err}")
    return fail(__doc__)


if __name__ == "__main__":
    sys.exit(main())
