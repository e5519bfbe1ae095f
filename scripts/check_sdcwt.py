#!/usr/bin/env python3
"""Independent checker for netid presentations (SD-KBT carrying an SD-CWT).

Written from draft-ietf-spice-sd-cwt and RFC 9052 alone, with cbor2 and cryptography, sharing no
code with the Rust implementation, so that a bug in our encoder cannot be mirrored by the same bug
in our verifier. It checks exactly what the issue asks an independent party to check:
  * the issuer's COSE_Sign1 signature (ES256 or ES384) against a given issuer public key,
  * the holder's SD-KBT signature against the `cnf` key inside the issuer-signed payload,
  * that every disclosure hashes (with sd_alg) to a redacted-claim hash in the signed payload.
It prints a JSON summary on success and exits 1 with a reason on any failure.

usage: check_sdcwt.py PRESENTATION.cbor ISSUER_PUBLIC_KEY.pem
"""

import hashlib
import json
import sys
from collections.abc import Mapping

import cbor2
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.asymmetric.utils import encode_dss_signature

HEADER_ALG, HEADER_TYP, HEADER_KCWT, HEADER_SD_CLAIMS, HEADER_SD_ALG = 1, 16, 13, 17, 170
CLAIM_CNF = 8
REDACTED_KEYS = cbor2.CBORSimpleValue(59)
REDACTED_ELEMENT_TAG = 60
SIGNATURE_ALGS = {-7: ("ES256", hashes.SHA256(), 32), -35: ("ES384", hashes.SHA384(), 48)}
HASH_ALGS = {-16: hashlib.sha256, -43: hashlib.sha384, -44: hashlib.sha512}
COSE_CURVES = {1: ec.SECP256R1(), 2: ec.SECP384R1()}
ARRAY = (list, tuple)  # cbor2 6 decodes nested arrays as tuples and maps as frozendicts


class CheckFailed(Exception):
    pass


def require(condition, reason):
    if not condition:
        raise CheckFailed(reason)


def sign1_parts(obj, what):
    if isinstance(obj, cbor2.CBORTag):
        require(obj.tag == 18, f"{what}: CBOR tag {obj.tag}, expected 18 (COSE_Sign1)")
        obj = obj.value
    require(isinstance(obj, ARRAY) and len(obj) == 4, f"{what}: not a 4-element COSE_Sign1 array")
    protected_bytes, unprotected, payload_bytes, signature = obj
    require(isinstance(protected_bytes, bytes), f"{what}: protected header is not a byte string")
    require(isinstance(unprotected, Mapping), f"{what}: unprotected header is not a map")
    require(isinstance(payload_bytes, bytes), f"{what}: payload is not a byte string")
    require(isinstance(signature, bytes), f"{what}: signature is not a byte string")
    protected = cbor2.loads(protected_bytes) if protected_bytes else {}
    require(isinstance(protected, Mapping), f"{what}: protected header does not decode to a map")
    return protected_bytes, protected, unprotected, payload_bytes, signature


def verify_sign1(public_key, protected, protected_bytes, payload_bytes, signature, what):
    alg = protected.get(HEADER_ALG)
    require(alg in SIGNATURE_ALGS, f"{what}: unsupported alg {alg!r}")
    name, digest, half = SIGNATURE_ALGS[alg]
    require(len(signature) == 2 * half, f"{what}: {name} signature must be {2 * half} bytes")
    require(public_key.curve.key_size // 8 == half, f"{what}: key curve does not match {name}")
    to_be_signed = cbor2.dumps(["Signature1", protected_bytes, b"", payload_bytes])
    r = int.from_bytes(signature[:half], "big")
    s = int.from_bytes(signature[half:], "big")
    try:
        public_key.verify(encode_dss_signature(r, s), to_be_signed, ec.ECDSA(digest))
    except InvalidSignature:
        raise CheckFailed(f"{what}: {name} signature does not verify") from None
    return name


def cose_key_to_public(cose_key):
    require(isinstance(cose_key, Mapping), "cnf: COSE_Key is not a map")
    require(cose_key.get(1) == 2, "cnf: key type is not EC2")
    curve = COSE_CURVES.get(cose_key.get(-1))
    require(curve is not None, f"cnf: unsupported curve {cose_key.get(-1)!r}")
    x, y = cose_key.get(-2), cose_key.get(-3)
    require(isinstance(x, bytes), "cnf: x coordinate missing")
    if isinstance(y, bool):  # compressed point: y carries the sign bit (RFC 9053 §7.1.1)
        point = bytes([0x03 if y else 0x02]) + x
    else:
        require(isinstance(y, bytes), "cnf: y coordinate missing")
        point = b"\x04" + x + y
    try:
        return ec.EllipticCurvePublicKey.from_encoded_point(curve, point)
    except ValueError:
        raise CheckFailed("cnf: point is not on the curve") from None


def collect_redacted_hashes(node, found):
    if isinstance(node, Mapping):
        for key, value in node.items():
            if key == REDACTED_KEYS:
                require(isinstance(value, ARRAY), "redacted_claim_keys is not an array")
                for digest in value:
                    require(isinstance(digest, bytes), "redacted claim hash is not a byte string")
                    found.append(digest)
            else:
                collect_redacted_hashes(value, found)
    elif isinstance(node, ARRAY):
        for element in node:
            if isinstance(element, cbor2.CBORTag) and element.tag == REDACTED_ELEMENT_TAG:
                require(isinstance(element.value, bytes), "redacted element hash is not bytes")
                found.append(element.value)
            else:
                collect_redacted_hashes(element, found)
    elif isinstance(node, cbor2.CBORTag):
        collect_redacted_hashes(node.value, found)


def describe(value):
    if isinstance(value, bytes):
        return value.hex()
    if isinstance(value, cbor2.CBORTag):
        return {"tag": value.tag, "value": describe(value.value)}
    if isinstance(value, (list, tuple)):
        return [describe(v) for v in value]
    if isinstance(value, Mapping):
        return {str(k): describe(v) for k, v in value.items()}
    return value


def check(presentation_bytes, issuer_key):
    kbt = cbor2.loads(presentation_bytes)
    kbt_protected_bytes, kbt_protected, _, kbt_payload_bytes, kbt_signature = sign1_parts(kbt, "SD-KBT")
    require(HEADER_KCWT in kbt_protected, "SD-KBT: no kcwt protected header")
    issuer = sign1_parts(kbt_protected[HEADER_KCWT], "SD-CWT")
    cwt_protected_bytes, cwt_protected, cwt_unprotected, cwt_payload_bytes, cwt_signature = issuer

    issuer_alg = verify_sign1(issuer_key, cwt_protected, cwt_protected_bytes, cwt_payload_bytes,
                              cwt_signature, "issuer SD-CWT")
    payload = cbor2.loads(cwt_payload_bytes)
    require(isinstance(payload, Mapping), "SD-CWT payload is not a map")
    cnf = payload.get(CLAIM_CNF)
    require(isinstance(cnf, Mapping) and 1 in cnf, "SD-CWT payload has no cnf COSE_Key")
    holder_key = cose_key_to_public(cnf[1])
    holder_alg = verify_sign1(holder_key, kbt_protected, kbt_protected_bytes, kbt_payload_bytes,
                              kbt_signature, "holder SD-KBT")

    sd_alg = cwt_protected.get(HEADER_SD_ALG, -16)
    require(sd_alg in HASH_ALGS, f"unsupported sd_alg {sd_alg!r}")
    redacted = []
    collect_redacted_hashes(payload, redacted)
    require(len(set(redacted)) == len(redacted), "the payload repeats a redacted claim hash")
    disclosures = cwt_unprotected.get(HEADER_SD_CLAIMS, [])
    require(isinstance(disclosures, ARRAY), "sd_claims is not an array")
    require(HEADER_SD_CLAIMS not in cwt_unprotected or disclosures, "sd_claims is present but empty")
    seen, disclosed = set(), []
    for index, disclosure in enumerate(disclosures):
        require(isinstance(disclosure, bytes), f"disclosure {index} is not a byte string")
        # The hash covers the disclosure as the encoded byte string, CBOR header included: that is
        # what the draft's examples hash (the bytes as they stand in the sd_claims array).
        digest = HASH_ALGS[sd_alg](cbor2.dumps(disclosure)).digest()
        require(digest in redacted, f"disclosure {index} matches no redacted claim hash")
        require(digest not in seen, f"disclosure {index} is presented twice")
        seen.add(digest)
        salted = cbor2.loads(disclosure)
        require(isinstance(salted, ARRAY) and len(salted) in (2, 3), f"disclosure {index} is malformed")
        require(isinstance(salted[0], bytes) and len(salted[0]) == 16,
                f"disclosure {index} salt is not 16 bytes")
        entry = {"value": describe(salted[1])}
        if len(salted) == 3:
            entry["claim"] = describe(salted[2])
        disclosed.append(entry)
    kbt_payload = cbor2.loads(kbt_payload_bytes)
    require(isinstance(kbt_payload, Mapping), "SD-KBT payload is not a map")
    return {
        "issuer_alg": issuer_alg,
        "holder_alg": holder_alg,
        "redacted_hashes": len(redacted),
        "disclosures_matched": len(disclosed),
        "disclosed": disclosed,
        "kbt_claims": sorted(str(k) for k in kbt_payload),
    }


def main(argv):
    if len(argv) != 3:
        print(__doc__.strip().splitlines()[-1], file=sys.stderr)
        return 2
    with open(argv[1], "rb") as f:
        presentation = f.read()
    with open(argv[2], "rb") as f:
        issuer_key = serialization.load_pem_public_key(f.read())
    require(isinstance(issuer_key, ec.EllipticCurvePublicKey), "issuer key is not an EC key")
    try:
        summary = check(presentation, issuer_key)
    except CheckFailed as failure:
        print(f"check_sdcwt: REJECTED: {failure}", file=sys.stderr)
        return 1
    except (cbor2.CBORDecodeError, ValueError, TypeError, KeyError) as failure:
        print(f"check_sdcwt: REJECTED: malformed input: {failure}", file=sys.stderr)
        return 1
    print(json.dumps(summary, ensure_ascii=False, sort_keys=True))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
