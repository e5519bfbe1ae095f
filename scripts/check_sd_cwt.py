#!/usr/bin/env python3
"""Independent verifier for the netid SD-CWT profile, written from docs/FORMAT.md alone.

It shares no code with netid-core: CBOR comes from cbor2, ECDSA from `cryptography`, Base45 is
re-implemented here. It checks
  * the worked example in docs/FORMAT.md: QR text -> Base45 -> SD-KBT, both signatures, every
    disclosure digest (nested details map included), the disclosed values and the time rules;
  * that tampering with the example is detected;
  * the SD-CWT draft's own vectors copied into core/tests/vectors/sd-cwt-draft/;
  * the crafted presentations in core/tests/vectors/conformance/cases.json (validly signed but
    breaking one FORMAT.md rule each): a strict verifier below, with its own CBOR decoder,
    applies FORMAT.md's rules and must reach netid-core's verdict on every case;
  * the purpose-credential worked example of FORMAT.md §12.6 (a CWT with `cnf` as the KBT's kcwt):
    both signatures, §12.1-§12.2's structural rules, and that mutations breaking them are refused.
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
    check(document[8] == "11010519491231002X", "id number")
    check(set(document) == {1, 2, 3, 8}, "exactly the hotel claims are disclosed: name, id_number")
    # §4: the counter reads sex and birth date from the ID number.
    check(id_number_info(document[8]) == (datetime.date(1949, 12, 31), 2),
          "id number says born 1949-12-31, female")
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



# ---------------------------------------------------------------------------------------------
# Strict verifier (FORMAT.md §1, §2, §3, §5, §6), independent of cbor2's lenient decoder.


class Refused(Exception):
    """A verdict: the VerifyError variant name netid-core would give."""

    def __init__(self, verdict, why):
        super().__init__(f"{verdict}: {why}")
        self.verdict = verdict


def malformed(why):
    return Refused("Malformed", why)


class Simple:
    def __init__(self, n):
        self.n = n

    def __eq__(self, other):
        return isinstance(other, Simple) and other.n == self.n

    def __hash__(self):
        return hash(("simple", self.n))


class Tag:
    def __init__(self, tag, value):
        self.tag, self.value = tag, value


class Map:
    """A CBOR map in wire order; keys compare by CBOR type, so 3.0 is not 3 and True is not 1."""

    def __init__(self, pairs):
        self.pairs = pairs

    def get(self, key, default=None):
        for k, v in self.pairs:
            if same(k, key):
                return v
        return default

    def has(self, key):
        return any(same(k, key) for k, _ in self.pairs)

    def keys(self):
        return [k for k, _ in self.pairs]


class Float:
    def __init__(self, value):
        self.value = value


def same(a, b):
    if type(a) is not type(b):
        return False
    if isinstance(a, Float):
        return a.value == b.value or (a.value != a.value and b.value != b.value)
    if isinstance(a, Tag):
        return a.tag == b.tag and same(a.value, b.value)
    if isinstance(a, Map):
        return len(a.pairs) == len(b.pairs) and all(
            same(k1, k2) and same(v1, v2) for (k1, v1), (k2, v2) in zip(a.pairs, b.pairs))
    if isinstance(a, list):
        return len(a) == len(b) and all(same(x, y) for x, y in zip(a, b))
    return a == b


MAX_DEPTH = 16


def fits_half(f):
    import math
    if math.isnan(f) or math.isinf(f) or f == 0.0:
        return True
    a = abs(f)
    if not (2.0 ** -24 <= a <= 65504.0):
        return False
    _, e = math.frexp(a)  # a = m * 2^e, 0.5 <= m < 1
    exp = e - 1
    step = 2.0 ** -24 if exp < -14 else 2.0 ** (exp - 10)
    return (a / step) % 1 == 0


def strict_decode(data):
    """One CBOR item filling `data`, refusing what FORMAT.md §1 refuses."""
    import math
    import struct

    pos = 0

    def take(n):
        nonlocal pos
        if pos + n > len(data):
            raise malformed("cbor: truncated")
        chunk = data[pos:pos + n]
        pos += n
        return chunk

    def argument(info):
        if info < 24:
            return info
        if info == 24:
            v = take(1)[0]
            limit = 24
        elif info == 25:
            v = int.from_bytes(take(2), "big")
            limit = 0x100
        elif info == 26:
            v = int.from_bytes(take(4), "big")
            limit = 0x10000
        elif info == 27:
            v = int.from_bytes(take(8), "big")
            limit = 0x100000000
        elif info in (28, 29, 30):
            raise malformed("cbor: reserved additional information")
        else:
            raise malformed("cbor: indefinite length")
        if v < limit:
            raise malformed("cbor: non-preferred head")
        return v

    def item(depth):
        if depth > MAX_DEPTH:
            raise malformed("cbor: nested too deeply")
        initial = take(1)[0]
        major, info = initial >> 5, initial & 0x1F
        if major == 0:
            return argument(info)
        if major == 1:
            return -1 - argument(info)
        if major in (2, 3):
            n = argument(info)
            raw = take(n)
            if major == 2:
                return raw
            try:
                return raw.decode("utf-8")
            except UnicodeDecodeError:
                raise malformed("cbor: invalid UTF-8") from None
        if major == 4:
            n = argument(info)
            return [item(depth + 1) for _ in range(n)]
        if major == 5:
            n = argument(info)
            pairs = []
            for _ in range(n):
                k = item(depth + 1)
                if any(same(k, seen) for seen, _ in pairs):
                    raise malformed("cbor: duplicate map key")
                pairs.append((k, item(depth + 1)))
            return Map(pairs)
        if major == 6:
            return Tag(argument(info), item(depth + 1))
        if info == 20:
            return False
        if info == 21:
            return True
        if info == 22:
            return None
        if info < 24:
            return Simple(info)
        if info == 24:
            v = take(1)[0]
            if v < 32:
                raise malformed("cbor: two-byte simple value below 32")
            return Simple(v)
        if info == 25:
            h = int.from_bytes(take(2), "big")
            return Float(struct.unpack(">e", h.to_bytes(2, "big"))[0])
        if info == 26:
            f = struct.unpack(">f", take(4))[0]
            if fits_half(f):
                raise malformed("cbor: float not in its shortest form")
            return Float(f)
        if info == 27:
            f = struct.unpack(">d", take(8))[0]
            if math.isnan(f) or struct.unpack(">f", struct.pack(">f", f))[0] == f:
                raise malformed("cbor: float not in its shortest form")
            return Float(f)
        if info in (28, 29, 30):
            raise malformed("cbor: reserved simple")
        raise malformed("cbor: indefinite length")

    value = item(0)
    if pos != len(data):
        raise malformed("cbor: trailing bytes")
    return value


def bstr_encoding(b):
    """The preferred encoding of a byte string (head + content)."""
    n = len(b)
    if n < 24:
        head = bytes([0x40 | n])
    elif n < 0x100:
        head = bytes([0x58, n])
    elif n < 0x10000:
        head = b"\x59" + n.to_bytes(2, "big")
    else:
        head = b"\x5a" + n.to_bytes(4, "big")
    return head + b


REDACTED = Simple(59)
# FORMAT.md §2.2: never redacted (the draft's list plus status and the document map).
NEVER_REDACTED = {1, 3, 4, 5, 6, 7, 8, 39, 65535, -65537}
DOC_TYPES = {  # code: (claims carried, of which in the details map), without the derived ages
    1: (("name", "sex", "ethnicity", "birth_date", "address", "id_number", "issuing_authority"),
        ("sex", "ethnicity", "birth_date", "address", "issuing_authority")),
    2: (("name", "sex", "nationality", "birth_date", "address", "id_number", "vehicle_class",
         "first_issue_date", "issuing_authority"),
        ("sex", "nationality", "birth_date", "address", "vehicle_class", "first_issue_date",
         "issuing_authority")),
    3: (("name", "sex", "nationality", "birth_date", "id_number", "card_number", "issuing_authority"),
        ("sex", "nationality", "birth_date", "card_number", "issuing_authority")),
    4: (("name", "sex", "nationality", "birth_date", "address", "id_number", "issuing_authority"),
        ("sex", "nationality", "birth_date", "address", "issuing_authority")),
}
CLAIM_KEYS = {3: "name", 4: "sex", 5: "ethnicity", 6: "birth_date", 7: "address", 8: "id_number",
              9: "issuing_authority", 10: "age_over_18", 11: "age_over_60", 12: "nationality",
              13: "vehicle_class", 14: "first_issue_date", 15: "card_number"}
# FORMAT.md §2.3: only name, id_number and age_over_18 sit directly in the document map.
IN_DETAILS = {"sex", "ethnicity", "birth_date", "address", "issuing_authority", "age_over_60",
              "nationality", "vehicle_class", "first_issue_date", "card_number"}
# FORMAT.md §4: a required claim a verifier may read from a disclosed, valid id_number.
DERIVABLE = {"birth_date": 0, "sex": 1}
POLICIES = {  # FORMAT.md §4: (required claims, must be true, minimum level, document types)
    "hotel": (("name", "id_number", "sex", "birth_date"), (), 1, (1, 4)),
    "cafe": (("name", "age_over_18"), ("age_over_18",), 1, (1, 2, 3, 4)),
    "ticket": (("name", "id_number"), (), 1, (1, 4)),
    "gov": (("name", "sex", "birth_date", "id_number"), (), 2, (1, 2, 3, 4)),
}


def is_int(v):
    return type(v) is int


def count_digests(v):
    if isinstance(v, Map):
        return sum(len(val) if same(k, REDACTED) and isinstance(val, list) else count_digests(val)
                   for k, val in v.pairs)
    if isinstance(v, list):
        return sum(1 if isinstance(i, Tag) and i.tag == 60 else count_digests(i) for i in v)
    if isinstance(v, Tag):
        return count_digests(v.value)
    return 0


def check_label(k):
    if not (is_int(k) or (isinstance(k, str) and len(k.encode()) <= 255)):
        raise malformed("a map key is not an integer or a short text")


def check_keys(v, allow_redacted):
    if isinstance(v, Map):
        for k, val in v.pairs:
            if not (allow_redacted and same(k, REDACTED)):
                check_label(k)
            check_keys(val, allow_redacted)
    elif isinstance(v, list):
        for i in v:
            check_keys(i, allow_redacted)
    elif isinstance(v, Tag):
        check_keys(v.value, allow_redacted)


def sign1_strict(value):
    if not (isinstance(value, Tag) and value.tag == 18 and isinstance(value.value, list)
            and len(value.value) == 4):
        raise malformed("not a COSE_Sign1")
    protected_bytes, unprotected, payload, signature = value.value
    if not all(isinstance(x, bytes) for x in (protected_bytes, payload, signature)):
        raise malformed("not a COSE_Sign1")
    protected = strict_decode(protected_bytes)
    if not isinstance(protected, Map) or not isinstance(unprotected, Map):
        raise malformed("headers are not maps")
    if any(protected.has(k) for k in unprotected.keys()):
        raise malformed("a header in both buckets")
    return protected_bytes, protected, unprotected, payload, signature


def check_headers(protected, unprotected, understood, skip=None):
    """FORMAT.md §6 step 1: crit (RFC 9052 §3.1) and no CWT Claims (15) anywhere."""
    if unprotected.has(2):
        raise malformed("crit in the unprotected header")
    if protected.has(15) or unprotected.has(15):
        raise malformed("CWT Claims header")
    crit = protected.get(2)
    if protected.has(2):
        if not isinstance(crit, list) or not crit:
            raise malformed("crit is not a non-empty array")
        for label in crit:
            if not (is_int(label) and label in understood and protected.has(label)):
                raise malformed("crit names a label not understood")
    for is_protected, header in ((True, protected), (False, unprotected)):
        for k, v in header.pairs:
            check_label(k)
            if is_protected and skip is not None and same(k, skip):
                continue
            check_keys(v, False)


def check_typ(protected, number, media_type):
    typ = protected.get(16)
    if not ((is_int(typ) and typ == number) or (isinstance(typ, str) and typ == media_type)):
        raise malformed("typ")


def time_claim(claims, key):
    v = claims.get(key)
    if v is None and not claims.has(key):
        return None
    if is_int(v):
        return v
    if isinstance(v, Float) and v.value == v.value and abs(v.value) != float("inf") \
            and v.value % 1 == 0 and abs(v.value) <= 2 ** 53:
        return int(v.value)
    raise malformed("time claim type")


def check_profile(payload, disclosures):
    """FORMAT.md §2: netid's structural rules on the signed payload and the disclosures."""
    for k, v in payload.pairs:
        if same(k, REDACTED):
            raise malformed("top-level redaction")
        if not is_int(k):
            raise malformed("claim key not an integer")
        if k != -65537 and count_digests(v):
            raise malformed("redaction outside the document")
    for key in (4, 5, 6):
        if time_claim(payload, key) is None:
            raise malformed(f"claim {key} missing")
    if not payload.has(8):
        raise malformed("cnf missing")
    doc = payload.get(-65537)
    if not isinstance(doc, Map):
        raise malformed("document missing")
    doc_type, level = doc.get(1), doc.get(2)
    if not (is_int(doc_type) and doc_type in DOC_TYPES and is_int(level) and level in (1, 2)):
        raise malformed("document type / level not in clear")
    carried, details = DOC_TYPES[doc_type]
    details_count = len(details) + 1  # plus age_over_60
    top_count = len(carried) - len(details) + 1 + 1  # plus age_over_18 and the details map
    for k, v in doc.pairs:
        if same(k, REDACTED):
            if not isinstance(v, list) or len(v) != top_count:
                raise malformed("wrong digest count")
        elif is_int(k):
            if count_digests(v):
                raise malformed("redaction inside a document claim")
        else:
            raise malformed("document claim key not an integer")
    if count_digests(doc) != top_count:
        raise malformed("wrong digest count")
    for d in disclosures:
        v = strict_decode(d)
        if not (isinstance(v, list) and len(v) == 3 and is_int(v[2])):
            raise malformed("disclosure is not [salt, value, integer key]")
        salt, value, key = v
        if not (isinstance(salt, bytes) and len(salt) == 16):
            raise malformed("salt is not 16 bytes")
        if key == 16:
            if not (isinstance(value, Map) and len(value.pairs) == 1 and same(value.pairs[0][0], REDACTED)
                    and isinstance(value.pairs[0][1], list) and len(value.pairs[0][1]) == details_count):
                raise malformed("details map digests")
        elif count_digests(value):
            raise malformed("redaction inside a disclosed claim")


def strict_apply(claims, disclosures):
    """The draft's step 7; DisclosureMismatch on any misfit."""
    table = {}
    for d in disclosures:
        h = hashlib.sha256(bstr_encoding(d)).digest()
        if h in table:
            raise Refused("DisclosureMismatch", "duplicate disclosure")
        try:
            v = strict_decode(d)
        except Refused:
            raise Refused("DisclosureMismatch", "disclosure not CBOR") from None
        if not (isinstance(v, list) and 1 <= len(v) <= 3 and isinstance(v[0], bytes)):
            raise Refused("DisclosureMismatch", "disclosure shape")
        if len(v[0]) < 16:
            raise Refused("DisclosureMismatch", "short salt")
        if len(v) == 3 and not (is_int(v[2]) or (isinstance(v[2], str) and 0 < len(v[2].encode()) <= 255)):
            raise Refused("DisclosureMismatch", "disclosure key")
        table[h] = [v, False]

    def take(h):
        if not (isinstance(h, bytes) and len(h) == 32):
            raise Refused("DisclosureMismatch", "misplaced marker")
        entry = table.get(h)
        if entry is None:
            return None
        if entry[1]:
            raise Refused("DisclosureMismatch", "digest used twice")
        entry[1] = True
        return entry[0]

    def walk(v, depth):
        if depth > 2 * MAX_DEPTH:
            raise Refused("DisclosureMismatch", "too deep")
        if isinstance(v, Map):
            out = []

            def push(k, val):
                if any(same(k, seen) for seen, _ in out):
                    raise Refused("DisclosureMismatch", "duplicate claim")
                out.append((k, val))

            for k, val in v.pairs:
                if same(k, REDACTED):
                    if not isinstance(val, list):
                        raise Refused("DisclosureMismatch", "misplaced marker")
                    for h in val:
                        entry = take(h)
                        if entry is None or len(entry) == 1:
                            continue
                        if len(entry) == 2:
                            raise Refused("DisclosureMismatch", "wrong shape")
                        push(entry[2], walk(entry[1], depth + 1))
                elif isinstance(k, (Simple, Tag)):
                    raise Refused("DisclosureMismatch", "misplaced marker")
                else:
                    push(k, walk(val, depth + 1))
            return Map(out)
        if isinstance(v, list):
            out = []
            for i in v:
                if isinstance(i, Tag) and i.tag == 60:
                    entry = take(i.value)
                    if entry is None or len(entry) == 1:
                        continue
                    if len(entry) == 3:
                        raise Refused("DisclosureMismatch", "wrong shape")
                    out.append(walk(entry[1], depth + 1))
                else:
                    out.append(walk(i, depth + 1))
            return out
        if isinstance(v, Tag):
            if v.tag == 60:
                raise Refused("DisclosureMismatch", "misplaced marker")
            return Tag(v.tag, walk(v.value, depth + 1))
        return v

    out = walk(claims, 0)
    if not all(used for _, used in table.values()):
        raise Refused("DisclosureMismatch", "unmatched disclosure")
    return out


def id_number_info(idn):
    """GB 11643 / ISO 7064 MOD 11-2 (FORMAT.md §2.3): (birth date, sex) or None."""
    if not (isinstance(idn, str) and len(idn) == 18 and len(idn.encode()) == 18
            and idn[:17].isdigit() and idn[:17].isascii()):
        return None
    total = sum(int(c) * (2 ** (17 - i) % 11) for i, c in enumerate(idn[:17]))
    check = (12 - total % 11) % 11
    if idn[17] != ("X" if check == 10 else str(check)):
        return None
    try:
        born = datetime.date(int(idn[6:10]), int(idn[10:12]), int(idn[12:14]))
    except ValueError:
        return None
    return born, (1 if int(idn[16]) % 2 else 2)


def claim_value(name, v):
    if name == "sex":
        return v if is_int(v) and v in (1, 2) else None
    if name in ("birth_date", "first_issue_date"):
        if isinstance(v, Tag) and v.tag == 100 and is_int(v.value) and -4371587 <= v.value <= 2932896:
            return datetime.date(1970, 1, 1) + datetime.timedelta(days=v.value)
        return None
    if name in ("age_over_18", "age_over_60"):
        return v if type(v) is bool else None
    return v if isinstance(v, str) else None


def read_document(validated):
    doc = validated.get(-65537)
    if not isinstance(doc, Map):
        raise malformed("document")
    doc_type, level = doc.get(1), doc.get(2)
    if not (is_int(doc_type) and doc_type in DOC_TYPES and is_int(level) and level in (1, 2)):
        raise malformed("document type / level")
    shown = {}

    def read(entries, in_details):
        for k, v in entries:
            if not is_int(k):
                raise malformed("document claim key")
            if not in_details and k in (1, 2, 16):
                continue
            name = CLAIM_KEYS.get(k)
            if name is None:
                continue
            if (name in IN_DETAILS) != in_details:
                raise malformed("claim in the wrong map")
            value = claim_value(name, v)
            if value is None:
                raise malformed(f"bad {name}")
            shown[name] = value

    read(doc.pairs, False)
    if doc.has(16):
        details = doc.get(16)
        if not isinstance(details, Map):
            raise malformed("details")
        read(details.pairs, True)
    if "id_number" in shown:
        info = id_number_info(shown["id_number"])
        if info is None:
            raise malformed("id_number")
        if "birth_date" in shown and shown["birth_date"] != info[0]:
            raise malformed("id_number vs birth_date")
        if "sex" in shown and shown["sex"] != info[1]:
            raise malformed("id_number vs sex")
    return doc_type, level, shown


def verify_netid(qr_text, purpose, now, trust, skew, max_age, audience=None, nonce=None):
    """FORMAT.md §5-§6 for one scan: returns the disclosed claims or raises Refused."""
    body = qr_text.rstrip("\r\n")
    if not body.startswith("NID1:"):
        raise malformed("QR prefix")
    try:
        kbt_bytes = b45decode(body[len("NID1:"):])
    except (CheckFailed, ValueError):
        raise malformed("base45") from None
    if len(kbt_bytes) > 8192:
        raise malformed("too large")
    audience = audience or purpose
    kp_bytes, kp, ku, k_payload, k_sig = sign1_strict(strict_decode(kbt_bytes))
    check_typ(kp, 294, "application/kb+cwt")
    if kp.get(1) not in (-7, -9) or not is_int(kp.get(1)):
        raise malformed("KBT alg")
    check_headers(kp, ku, {1, 13, 16}, skip=13)
    if not kp.has(13):
        raise malformed("kcwt missing")
    cp_bytes, cp, cu, c_payload, c_sig = sign1_strict(kp.get(13))
    check_headers(cp, cu, {1, 4, 16, 170})
    check_typ(cp, 293, "application/sd-cwt")
    if cp.has(170) and cp.get(170) != -16:
        raise malformed("sd_alg")
    alg = cp.get(1)
    if not (is_int(alg) and alg in (-7, -9, -35, -51)):
        raise malformed("alg")
    kid = cp.get(4)
    if not isinstance(kid, bytes):
        raise malformed("kid")
    if kid != trust["kid"]:
        raise Refused("UnknownIssuer", "kid not listed")
    if alg not in (-7, -9) or not verify_ecdsa(trust["key"], alg, tbs(cp_bytes, c_payload), c_sig):
        raise Refused("BadIssuerSignature", "issuer signature")
    claims = strict_decode(c_payload)
    if not isinstance(claims, Map):
        raise malformed("payload not a map")
    iss = claims.get(1)
    if claims.has(1):
        if not isinstance(iss, str):
            raise malformed("iss")
        if iss != trust["issuer"]:
            raise Refused("UnknownIssuer", "iss mismatch")
    check_keys(claims, True)
    sd = cu.get(17)
    if cu.has(17):
        if not isinstance(sd, list) or not sd or not all(isinstance(d, bytes) for d in sd):
            raise malformed("sd_claims")
    disclosures = sd or []
    check_profile(claims, disclosures)
    try:
        hkey = holder_key_strict(claims)
    except (KeyError, ValueError, TypeError, AttributeError):
        raise malformed("cnf") from None
    if not verify_ecdsa(hkey, -7, tbs(kp_bytes, k_payload), k_sig):
        raise Refused("BadHolderSignature", "holder signature")
    validated = strict_apply(claims, disclosures)
    for k in validated.keys():
        if is_int(k) and k in NEVER_REDACTED and not claims.has(k):
            raise malformed("a never-redacted claim was disclosed")
    kc = strict_decode(k_payload)
    if not isinstance(kc, Map):
        raise malformed("KBT payload")
    check_keys(kc, False)
    if not all(is_int(k) for k in kc.keys()):
        raise malformed("KBT claim key not an integer")
    if kc.has(1) or kc.has(2):
        raise malformed("iss/sub in KBT")
    aud = kc.get(3)
    if not isinstance(aud, str):
        raise malformed("aud")
    if aud != audience:
        raise Refused("WrongAudience", "KBT aud")
    if validated.has(3):
        c_aud = validated.get(3)
        if not isinstance(c_aud, str):
            raise malformed("credential aud")
        if c_aud != audience:
            raise Refused("WrongAudience", "credential aud")
    if nonce is not None and kc.get(39) != nonce:
        raise Refused("NonceMismatch", "cnonce")
    c_iat, c_nbf, c_exp = (time_claim(claims, k) for k in (6, 5, 4))
    k_iat, k_nbf, k_exp = (time_claim(kc, k) for k in (6, 5, 4))
    if k_iat is None:
        raise malformed("KBT iat")
    late, early = now - skew, now + skew
    if c_exp is not None and c_exp <= late:  # RFC 8392: "on or after"
        raise Refused("CredentialExpired", "credential exp")
    if (c_nbf is not None and c_nbf > early) or (k_nbf is not None and k_nbf > early):
        raise Refused("NotYetValid", "nbf")
    if k_iat > early or (c_iat is not None and c_iat > early):
        raise Refused("IssuedInFuture", "iat")
    expires = k_iat + max_age if k_exp is None else min(k_exp, k_iat + max_age)
    if expires <= late:
        raise Refused("PresentationExpired", "KBT exp")

    def before(a, b, strict):
        return a is None or b is None or (a < b if strict else a <= b)

    if not (before(k_nbf, k_iat, False) and before(k_iat, k_exp, True) and before(c_nbf, c_iat, False)
            and before(c_iat, c_exp, True) and before(c_nbf, c_exp, True) and before(k_exp, c_exp, False)
            and before(c_nbf, k_nbf, False) and before(c_iat, k_iat, False) and before(k_nbf, c_exp, True)
            and before(k_iat, c_exp, True) and before(c_nbf, k_iat, False)):
        raise malformed("time claims contradict each other")
    window = lambda t: trust["not_before"] <= t <= trust["not_after"]  # noqa: E731
    if not window(now) or (c_iat is not None and not window(c_iat)):
        raise Refused("UnknownIssuer", "outside the trust window")
    doc_type, level, shown = read_document(validated)
    required, must_be_true, min_level, doc_types = POLICIES[purpose]
    if doc_type not in doc_types:
        raise Refused("PolicyUnmet", "document type")
    if level < min_level:
        raise Refused("PolicyUnmet", "assurance level")
    for c in required:
        # §4: sex and birth_date count as present when read from the disclosed id_number, which
        # read_document has checked (check character, real date, agreement with what is shown).
        if c not in shown and c in DERIVABLE and "id_number" in shown:
            shown[c] = id_number_info(shown["id_number"])[DERIVABLE[c]]
        if c not in shown:
            raise Refused("PolicyUnmet", f"missing {c}")
    for c in must_be_true:
        if shown.get(c) is not True:
            raise Refused("PolicyUnmet", f"{c} not true")
    if claims.has(65535):
        raise Refused("StatusUnavailable", "no status list in this checker")
    return shown


def holder_key_strict(claims):
    key = claims.get(8).get(1)
    if not (key.get(1) == 2 and is_int(key.get(1)) and key.get(-1) == 1 and is_int(key.get(-1))):
        raise ValueError("cnf is not an EC2 P-256 key")
    x, y = key.get(-2), key.get(-3)
    if not (isinstance(x, bytes) and len(x) == 32):
        raise ValueError("x")
    if type(y) is bool:
        point = bytes([3 if y else 2]) + x
    elif isinstance(y, bytes) and len(y) == 32:
        point = b"\x04" + x + y
    else:
        raise ValueError("y")
    return ec.EllipticCurvePublicKey.from_encoded_point(ec.SECP256R1(), point)


def conformance():
    import json
    data = json.loads((ROOT / "core" / "tests" / "vectors" / "conformance" / "cases.json").read_text())
    iss = data["issuer"]
    trust = {
        "issuer": iss["issuer"],
        "kid": bytes.fromhex(iss["kid_hex"]),
        "key": ec.EllipticCurvePublicKey.from_encoded_point(ec.SECP256R1(), bytes.fromhex(iss["sec1_hex"])),
        "not_before": iss["not_before"],
        "not_after": iss["not_after"],
    }
    disagreements = []
    for case in data["cases"]:
        try:
            verify_netid(case["qr_text"], case["purpose"], case["now"], trust,
                         data["skew_secs"], data["max_age_secs"])
            got, why = "ok", ""
        except Refused as e:
            got, why = e.verdict, str(e)
        if got != case["expect"]:
            disagreements.append(f"{case['name']}: netid-core says {case['expect']}, this checker {got} {why}")
    check(not disagreements, "conformance verdicts differ:\n  " + "\n  ".join(disagreements))

    # The strict verifier also accepts the worked example, and refuses it with a leading space.
    doc = (ROOT / "docs" / "FORMAT.md").read_text(encoding="utf-8")
    block = doc.split("<!-- worked-example:begin", 1)[1].split("<!-- worked-example:end -->", 1)[0]
    qr_block = block.split("Its QR text", 1)[1].split("```", 2)[1]
    qr_text = "".join(line for line in qr_block.split("\n") if line)
    issuer_hex = re.search(r"\| issuer public key \(SEC1\) \| `([0-9a-f]+)` \|", block).group(1)
    example_trust = dict(trust, kid=bytes.fromhex("6431"), issuer="cn-dev",
                         key=ec.EllipticCurvePublicKey.from_encoded_point(ec.SECP256R1(), bytes.fromhex(issuer_hex)))
    shown = verify_netid(qr_text, "hotel", 1768435200, example_trust, 30, 120)
    check(shown["id_number"] == "11010519491231002X", "strict verifier: worked example")
    check(shown["sex"] == 2 and shown["birth_date"] == datetime.date(1949, 12, 31),
          "strict verifier: sex and birth date read from the ID number for the hotel policy")
    print(f"conformance: {len(data['cases'])} crafted presentations, same verdict as netid-core on each")


# ---------------------------------------------------------------------------------------------
# Purpose credentials (FORMAT.md §12): a CWT with `cnf` as the KBT's kcwt, checked with the strict
# decoder above. Structure (§12.1, §12.2, §6) is separate from the signatures so the negative
# self-checks below can mutate the decoded example and call the structural check directly.

PURPOSE_CODES = {1: "hotel", 2: "cafe", 3: "ticket", 4: "gov"}  # §12.1: claims-map key 17
CLAIM_NUMBERS = {name: k for k, name in CLAIM_KEYS.items()}
DAY = 86400


def purpose_claim_set(purpose, doc_type):
    """§12.1: the claims a purpose credential carries, exactly, for its document type."""
    if purpose == "gov":
        return set(DOC_TYPES[doc_type][0]) | {"age_over_18", "age_over_60"}
    return {"hotel": {"name", "sex", "birth_date", "id_number"}, "cafe": {"name", "age_over_18"},
            "ticket": {"name", "id_number"}}[purpose]


def purpose_parts(kbt_bytes):
    """Decode a purpose presentation (§12.2) into its tokens, bytes kept for the signatures."""
    kp_bytes, kp, ku, k_payload, k_sig = sign1_strict(strict_decode(kbt_bytes))
    if not kp.has(13):
        raise malformed("kcwt missing")
    cp_bytes, cp, cu, c_payload, c_sig = sign1_strict(kp.get(13))
    return {"kp_bytes": kp_bytes, "kp": kp, "ku": ku, "k_payload": k_payload, "k_sig": k_sig,
            "kc": strict_decode(k_payload), "cp_bytes": cp_bytes, "cp": cp, "cu": cu,
            "c_payload": c_payload, "c_sig": c_sig, "claims": strict_decode(c_payload)}


def has_simple59(v):
    if isinstance(v, Map):
        return any(same(k, REDACTED) or has_simple59(k) or has_simple59(val) for k, val in v.pairs)
    if isinstance(v, list):
        return any(has_simple59(i) for i in v)
    if isinstance(v, Tag):
        return v.tag == 60 or has_simple59(v.value)
    return same(v, REDACTED)


def check_purpose_structure(parts):
    """FORMAT.md §12.1-§12.2 and §6 (steps 1, 3, 6, 7's consistency rules, 9) on decoded tokens:
    returns (purpose, doc_type, level, claims shown) or raises Refused (Malformed)."""
    kp, ku, kc = parts["kp"], parts["ku"], parts["kc"]
    cp, cu, claims = parts["cp"], parts["cu"], parts["claims"]
    # §12.2 / §3: the KBT as a wallet writes it: alg -7, typ 294 (integer), kcwt, {} unprotected.
    if not (is_int(kp.get(1)) and kp.get(1) == -7):
        raise malformed("KBT alg")
    if not (is_int(kp.get(16)) and kp.get(16) == 294):
        raise malformed("KBT typ")
    check_headers(kp, ku, {1, 13, 16}, skip=13)
    if ku.pairs:
        raise malformed("KBT unprotected header not empty")
    # §12.1 CDDL: protected {1: -7, 4: kid, 16: 61} in that order, unprotected {} (no sd_claims 17,
    # no sd_alg 170: nothing is redacted); §12.3: only labels 1, 4 and 16 are processed.
    if [k for k in cp.keys()] != [1, 4, 16] or not all(is_int(k) for k in cp.keys()):
        raise malformed("credential protected header is not {1, 4, 16}")
    if not (is_int(cp.get(1)) and cp.get(1) == -7):
        raise malformed("credential alg")
    if not isinstance(cp.get(4), bytes) or not cp.get(4):
        raise malformed("kid")
    if not (is_int(cp.get(16)) and cp.get(16) == 61):
        raise malformed("credential typ is not 61 (application/cwt)")
    check_headers(cp, cu, {1, 4, 16})
    if cu.pairs:
        raise malformed("credential unprotected header not empty (sd_claims / sd_alg)")
    for sig in (parts["k_sig"], parts["c_sig"]):
        if len(sig) != 64:
            raise malformed("signature is not 64 bytes")
    # §12.1: the payload.
    if not isinstance(claims, Map):
        raise malformed("payload not a map")
    if not all(is_int(k) for k in claims.keys()):
        raise malformed("claim key not an integer")
    if has_simple59(claims):
        raise malformed("simple(59) / redaction in a purpose credential")
    check_keys(claims, False)
    if claims.has(-65537):
        raise malformed("a -65537 document map beside the purpose claims")
    for key, name in ((4, "exp"), (6, "iat"), (8, "cnf"), (-65538, "purpose claims map")):
        if not claims.has(key):
            raise malformed(f"{name} missing")
    c_exp, c_iat = claims.get(4), claims.get(6)
    if not (is_int(c_exp) and is_int(c_iat) and 0 <= c_iat < c_exp):
        raise malformed("exp / iat not uints with iat < exp")
    if c_iat % DAY or c_exp % DAY:  # §12.1 "Whole days"
        raise malformed("iat / exp not at 00:00:00 UTC")
    if claims.has(1) and not isinstance(claims.get(1), str):
        raise malformed("iss")
    cnf = claims.get(8)
    key = cnf.get(1) if isinstance(cnf, Map) else None
    if not (isinstance(key, Map) and type(key.get(-3)) is bool):  # §12.1: compressed as in §2.2
        raise malformed("cnf is not a compressed COSE_Key")
    try:
        holder_key_strict(claims)
    except (KeyError, ValueError, TypeError, AttributeError):
        raise malformed("cnf") from None
    if claims.has(65535):  # §2.2 / §7: {"status_list": {"idx": uint, "uri": tstr}}
        sl = claims.get(65535)
        sl = sl.get("status_list") if isinstance(sl, Map) else None
        if not (isinstance(sl, Map) and is_int(sl.get("idx")) and sl.get("idx") >= 0
                and isinstance(sl.get("uri"), str)):
            raise malformed("status")
    pm = claims.get(-65538)
    if not isinstance(pm, Map) or not all(is_int(k) for k in pm.keys()):
        raise malformed("purpose claims map / key not an integer")
    doc_type, level, code = pm.get(1), pm.get(2), pm.get(17)
    if not (is_int(doc_type) and doc_type in DOC_TYPES and is_int(level) and level in (1, 2)):
        raise malformed("document type / level")
    if not (is_int(code) and code in PURPOSE_CODES):
        raise malformed("unknown purpose")
    purpose = PURPOSE_CODES[code]
    wanted = {CLAIM_NUMBERS[n] for n in purpose_claim_set(purpose, doc_type)}
    present = {k for k in pm.keys() if k not in (1, 2, 17)}
    if present != wanted:  # unknown keys are not tolerated here (unlike §2.3)
        raise malformed(f"claims {sorted(present)} are not exactly {purpose}'s {sorted(wanted)}")
    shown = {}
    for k in sorted(present):
        value = claim_value(CLAIM_KEYS[k], pm.get(k))  # values as in §2.3
        if value is None:
            raise malformed(f"bad {CLAIM_KEYS[k]}")
        shown[CLAIM_KEYS[k]] = value
    if "id_number" in shown:  # §2.3 / §6 step 9: GB 11643 check digit, birth date and sex
        info = id_number_info(shown["id_number"])
        if info is None:
            raise malformed("id_number")
        if "birth_date" in shown and shown["birth_date"] != info[0]:
            raise malformed("id_number vs birth_date")
        if "sex" in shown and shown["sex"] != info[1]:
            raise malformed("id_number vs sex")
    # §12.2: the KBT payload {3: aud, 4: exp, 6: iat, ?39: cnonce}, no cti; §6 step 6.
    if not isinstance(kc, Map):
        raise malformed("KBT payload")
    check_keys(kc, False)
    if not all(is_int(k) for k in kc.keys()):
        raise malformed("KBT claim key not an integer")
    if kc.has(1) or kc.has(2):
        raise malformed("iss/sub in KBT")
    if kc.has(7):
        raise malformed("cti in a purpose presentation")
    aud = kc.get(3)
    if not (isinstance(aud, str) and 1 <= len(aud.encode()) <= 64):
        raise malformed("aud")
    if kc.has(39) and not isinstance(kc.get(39), bytes):
        raise malformed("cnonce")
    k_iat, k_exp = kc.get(6), kc.get(4)
    if not (is_int(k_iat) and is_int(k_exp)):
        raise malformed("KBT iat / exp")
    # §6 step 7's consistency rules between the tokens (no nbf in a purpose credential).
    if not (k_iat < k_exp <= c_exp and c_iat <= k_iat < c_exp):
        raise malformed("time claims contradict each other")
    return purpose, doc_type, level, shown


def verify_purpose_signatures(parts, issuer_key):
    """§6 steps 3-4: the issuer signature with the listed key, the KBT's with the `cnf` key."""
    check(verify_ecdsa(issuer_key, -7, tbs(parts["cp_bytes"], parts["c_payload"]), parts["c_sig"]),
          "purpose credential: issuer signature")
    holder = holder_key_strict(parts["claims"])
    check(verify_ecdsa(holder, -7, tbs(parts["kp_bytes"], parts["k_payload"]), parts["k_sig"]),
          "purpose credential: holder signature")
    return holder


def set_claim(m, key, value):
    m.pairs = [(k, v) for k, v in m.pairs if not same(k, key)] + [(key, value)]


def purpose_example():
    import copy
    doc = (ROOT / "docs" / "FORMAT.md").read_text(encoding="utf-8")
    ex11 = doc.split("<!-- worked-example:begin", 1)[1].split("<!-- worked-example:end -->", 1)[0]
    block = doc.split("<!-- purpose-example:begin", 1)[1].split("<!-- purpose-example:end -->", 1)[0]
    # §12.6: "§11's issuer and holder keys": the trust list's key and kid, and the cnf key.
    issuer_hex = re.search(r"\| issuer public key \(SEC1\) \| `([0-9a-f]+)` \|", ex11).group(1)
    holder_hex = re.search(r"\| holder public key \(SEC1\) \| `([0-9a-f]+)` \|", ex11).group(1)
    kid_hex = re.search(r"\| `iss` / `kid` \| `\"[^\"]*\"` / `h'([0-9a-f]+)'` \|", ex11).group(1)
    issuer_key = ec.EllipticCurvePublicKey.from_encoded_point(ec.SECP256R1(), bytes.fromhex(issuer_hex))
    hex_block = block.split("The same presentation in hex:", 1)[1].split("```", 2)[1]
    kbt = bytes.fromhex("".join(hex_block.split()))
    inputs = re.search(r"`iat` (\d+).*?`exp` (\d+), status entry (\d+) of `([^`]+)`; presented at (\d+) "
                       r"for `(\w+)`, (\d+) s lifetime", block)
    c_iat, c_exp, idx, uri, now, aud, lifetime = inputs.groups()

    try:
        parts = purpose_parts(kbt)
        purpose, doc_type, level, shown = check_purpose_structure(parts)
    except Refused as e:
        raise CheckFailed(f"§12 worked example refused: {e}") from None
    holder = verify_purpose_signatures(parts, issuer_key)
    sec1 = serialization.Encoding.X962, serialization.PublicFormat.CompressedPoint
    check(holder.public_bytes(*sec1).hex() == holder_hex, "§12.6: cnf is §11's holder key")
    claims, kc, pm = parts["claims"], parts["kc"], parts["claims"].get(-65538)
    check(parts["cp"].get(4) == bytes.fromhex(kid_hex), "§12.6: §11's kid")
    # What the text around the example states, and the write order of §12.1 / §3.
    check(len(kbt) == int(re.search(r"Hotel check-in presentation \((\d+) bytes\)", block).group(1)),
          "presentation size as stated")
    kp_bytes = parts["kp_bytes"]
    check(kp_bytes[:4] == bytes.fromhex("a301260d") and kp_bytes[-4:] == bytes.fromhex("10190126"),
          "KBT protected header written as {1: -7, 13: kcwt, 16: 294}")
    check(len(kp_bytes) - 8 == int(re.search(r"Issued purpose credential \((\d+) bytes\)", block).group(1)),
          "issued credential size as stated")
    qr_chars = len("NID1:") + len(kbt) // 2 * 3 + len(kbt) % 2 * 2  # §5: Base45
    check(qr_chars == int(re.search(r"Its QR text: (\d+) characters", block).group(1)), "QR length as stated")
    check(claims.keys() == [4, 6, 8, 65535, -65538], "payload keys written in §12.1's order, no iss/nbf")
    check(pm.keys() == [1, 2, 3, 4, 6, 8, 17], "claims map {1, 2, claims ascending, 17} (§12.1)")
    check(kc.keys() == [3, 4, 6], "KBT payload {3: aud, 4: exp, 6: iat}")
    check((claims.get(6), claims.get(4)) == (int(c_iat), int(c_exp)), "iat / exp as stated")
    sl = claims.get(65535).get("status_list")
    check((sl.get("idx"), sl.get("uri")) == (int(idx), uri), "status entry as stated")
    check(kc.get(3) == aud == purpose == "hotel" and kc.get(6) == int(now), "aud / purpose / KBT iat")
    check(kc.get(4) - kc.get(6) == int(lifetime) <= 600, "KBT lifetime as stated, ≤ 600 s (§3)")
    check((doc_type, level) == (1, 1), "resident-id, basic level")
    check(shown == {"name": "李秀英", "sex": 2, "birth_date": datetime.date(1949, 12, 31),
                    "id_number": "11010519491231002X"}, "the hotel claims of §11")
    # §6 step 7 at the presentation time, default skew 30 s and maximum age 120 s.
    t, skew = int(now), 30
    check(claims.get(4) > t - skew and claims.get(6) <= t + skew and kc.get(6) <= t + skew
          and min(kc.get(4), kc.get(6) + 120) > t - skew, "fresh at the stated presentation time")
    # §12.3: a verifier applying only the draft's rules refuses it (typ 61, not 293).
    try:
        verify_presentation(kbt, issuer_key, "hotel")
    except CheckFailed as e:
        check("293" in str(e), f"draft-only verifier refuses for the typ, not: {e}")
    else:
        raise CheckFailed("a draft-only verifier accepted a purpose credential")

    # Negative self-checks: each mutation breaks one §12 rule and must be refused for that rule.
    def address(p):  # §12.1: a claim outside hotel's set
        set_claim(p["claims"].get(-65538), 7, "北京市东城区")

    def sd_cwt_typ(p):  # §12.2 / §3: the KBT's typ is 294; 293 is the SD-CWT's
        set_claim(p["kp"], 16, 293)

    def document_beside(p):  # §12.1: never a -65537 document map beside -65538
        set_claim(p["claims"], -65537, Map([(1, 1), (2, 1)]))

    for mutate, expected in ((address, "not exactly hotel's"), (sd_cwt_typ, "KBT typ"),
                             (document_beside, "-65537")):
        mutated = copy.deepcopy(parts)
        mutate(mutated)
        try:
            check_purpose_structure(mutated)
        except Refused as e:
            check(e.verdict == "Malformed" and expected in str(e), f"{mutate.__name__}: refused as {e}")
            continue
        raise CheckFailed(f"§12 strict check accepted the example with {mutate.__name__}")
    print(f"FORMAT.md §12 worked example: purpose credential verified independently "
          f"({purpose}, {len(shown)} claims, {len(kbt)} bytes, {qr_chars} QR characters; "
          f"3 mutations refused)")


def main():
    try:
        worked_example()
        draft_vectors()
        conformance()
        purpose_example()
    except (CheckFailed, Refused, KeyError, IndexError, ValueError, AttributeError) as e:
        print(f"check_sd_cwt: FAILED: {type(e).__name__}: {e}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
