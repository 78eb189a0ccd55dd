"""Project Wycheproof's JWS vectors through the emulator's verification path.

Each vector goes through the functions the vendors verify with (token_emulator/core/tokens.py),
with the vector's key held as a vendor holds its key: an HMAC secret as bytes (UneeQ's
workspace secret, the emulator's own secrets), an RSA public key as a PEM (Unifize's
registered keys). Two layers are run: the JWS layer (`verify_*_signature`: header rules,
the pinned algorithm, the signature) and the JWT layer (`verify_hmac`, `verify_rsa`),
which also needs the payload to be a claim set. No Wycheproof payload is a JSON object
("foo", "Test", RFC 7520's text), so the JWT layer refuses every vector; the JWS layer is
where the vectors' verdicts apply.

No verifier of the emulator holds an EC key: Unifize registers RSA keys only (the fixture
check refuses an EC PEM), every other verifier is HMAC. The EC vectors go through the RS256
verifier with the EC key's PEM and are refused by the pinned algorithm before any key is
used. Where the expectation and Wycheproof's verdict differ, the vectors are named below
with the reason. The HMAC group whose key is text (all zero bytes) and every RSA vector
also go through a real endpoint; the other HMAC keys are random bytes, not UTF-8, and
cannot be a workspace secret.
"""

from __future__ import annotations

import base64
import json
from collections import Counter
from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest
from joserfc.jwk import ECKey, RSAKey

from tests.browser import artifacts_dir
from tests.conftest import in_process, last_request, make_settings
from tests.security.attack_kit import StoreDump
from token_emulator.core.tokens import (
    TokenProblem,
    check_rsa_public_key,
    verify_hmac,
    verify_hmac_signature,
    verify_rsa,
    verify_rsa_signature,
)

VECTORS = Path(__file__).parent / "wycheproof" / "json_web_signature_test.json"

# Invalid vectors whose signature does verify: each tests metadata of a JWK (its `alg`,
# `use` or `key_ops`) that a PEM, the form a vendor registers its key in, does not carry.
# They are still refused as JWTs (the payload is not a claim set) and at the endpoint.
KEY_METADATA_ONLY = {
    332: "header RS256, signed RS256 with a key whose JWK says alg PS512",
    353: "signed RS256 with a key whose JWK says use enc",
    355: "signed RS256 with a key whose JWK says key_ops encrypt-only",
}
# Invalid vectors that are, byte for byte, the valid vector 357 ("ValidMac", same key):
# no verifier can take 357 and refuse these. Their names say a padding character was
# added; in this copy of the file it is not there.
SAME_AS_VALID_357 = {
    367: "invalidBase64Padding, identical to 357",
    370: "invalidBase64PaddingInPayload, identical to 357",
}
# Valid vectors the emulator refuses on purpose: a character outside base64url inside a
# segment. RFC 7515 section 2 writes segments without "any ... other additional
# characters", and the signing input is the segments as sent; the corpus's non-canonical
# base64url class refuses the same thing.
NON_CANONICAL_BASE64URL = {
    372: "'?' inserted in the header segment",
    373: "'?' inserted in the payload segment",
}


@dataclass(frozen=True)
class Vector:
    group: int
    comment: str
    key: dict[str, Any]
    tc_id: int
    description: str
    jws: str
    result: str  # "valid" or "invalid"

    @property
    def alg(self) -> str | None:
        try:
            header = self.jws.split(".")[0]
            parsed = json.loads(base64.urlsafe_b64decode(header + "=" * (-len(header) % 4)))
        except ValueError:
            return None
        return parsed.get("alg") if isinstance(parsed, dict) else None


def _load() -> tuple[dict[str, Any], list[Vector]]:
    document = json.loads(VECTORS.read_text())
    vectors = [
        Vector(
            index,
            group["comment"],
            group.get("public") or group["private"],
            test["tcId"],
            test["comment"],
            test["jws"],
            test["result"],
        )
        for index, group in enumerate(document["testGroups"])
        for test in group["tests"]
    ]
    return document, vectors


DOCUMENT, ALL = _load()


def _bytes(value: str) -> bytes:
    return base64.urlsafe_b64decode(value + "=" * (-len(value) % 4))


def _pem(key: dict[str, Any]) -> str:
    """The public key as a vendor registers it: SubjectPublicKeyInfo PEM, nothing else."""
    public = {name: key[name] for name in ("kty", "n", "e", "crv", "x", "y") if name in key}
    imported = (RSAKey if key["kty"] == "RSA" else ECKey).import_key(public)
    pem: bytes = imported.as_pem(private=False)
    return pem.decode()


def verifier_of(vector: Vector) -> str:
    return "HS256" if vector.key["kty"] == "oct" else "RS256"


def run(vector: Vector) -> tuple[str, str]:
    """(JWS layer, JWT layer): "verified"/"accepted" or "refused:<kind>"."""
    layers = []
    if vector.key["kty"] == "oct":
        secret = _bytes(vector.key["k"])
        steps = (
            lambda: verify_hmac_signature(vector.jws, secret),
            lambda: verify_hmac(vector.jws, secret),
        )
    else:
        pems = [_pem(vector.key)]
        steps = (
            lambda: verify_rsa_signature(vector.jws, pems),
            lambda: verify_rsa(vector.jws, pems),
        )
    for step, success in zip(steps, ("verified", "accepted"), strict=True):
        try:
            step()
            layers.append(success)
        except TokenProblem as problem:
            layers.append(f"refused:{problem.kind}")
    return layers[0], layers[1]


def expected_jws(vector: Vector) -> str:
    """ "verified" where the vector's verdict, the verifier's algorithm and the key's form
    all say so; "refused" otherwise."""
    if vector.tc_id in KEY_METADATA_ONLY or vector.tc_id in SAME_AS_VALID_357:
        return "verified"
    if vector.tc_id in NON_CANONICAL_BASE64URL:
        return "refused"
    if vector.result == "valid" and vector.alg == verifier_of(vector) and vector.key["kty"] != "EC":
        return "verified"
    return "refused"


OUTCOMES = {vector.tc_id: run(vector) for vector in ALL}


def test_the_file_is_the_one_described() -> None:
    assert DOCUMENT["numberOfTests"] == len(ALL) == 401
    assert len(DOCUMENT["testGroups"]) == 23
    assert all(isinstance(vector.jws, str) for vector in ALL)
    by_id = {vector.tc_id: vector for vector in ALL}
    for tc_id in SAME_AS_VALID_357:
        assert (by_id[tc_id].jws, by_id[tc_id].key) == (by_id[357].jws, by_id[357].key)
        assert (by_id[tc_id].result, by_id[357].result) == ("invalid", "valid")


@pytest.mark.parametrize(
    "vector", ALL, ids=[f"tc{v.tc_id}-{v.comment}-{v.description}" for v in ALL]
)
def test_vector(vector: Vector) -> None:
    jws_layer, jwt_layer = OUTCOMES[vector.tc_id]
    assert jws_layer.split(":")[0] == expected_jws(vector), jws_layer
    # No Wycheproof payload is a claim set: the JWT layer takes none of them.
    assert jwt_layer.startswith("refused:"), jwt_layer
    if vector.result == "valid" and vector.alg != verifier_of(vector):
        assert jws_layer == "refused:algorithm"  # valid, but not the verifier's algorithm


def test_ec_keys_cannot_be_registered() -> None:
    """Why the EC groups have no verifier of their own: Unifize takes RSA keys only."""
    ec_keys = {(v.key["crv"], v.key["x"], v.key["y"]): v.key for v in ALL if v.key["kty"] == "EC"}
    assert sorted(crv for crv, _, _ in ec_keys) == ["P-256", "P-521"]
    for key in ec_keys.values():
        with pytest.raises(ValueError, match="not an RSA public key in PEM form"):
            check_rsa_public_key(_pem(key))


def totals() -> dict[str, Any]:
    by_group: dict[str, Counter[str]] = {}
    for vector in ALL:
        jws_layer = OUTCOMES[vector.tc_id][0]
        kty, verifier = vector.key["kty"], verifier_of(vector)
        name = f"{vector.group:02d} {vector.comment} ({kty} key, {verifier} verifier)"
        by_group.setdefault(name, Counter())[f"{vector.result} -> {jws_layer}"] += 1
    overall = Counter(
        f"{vector.result} -> {OUTCOMES[vector.tc_id][0].split(':')[0]}" for vector in ALL
    )
    return {
        "vectors": len(ALL),
        "overall (JWS layer)": dict(sorted(overall.items())),
        "JWT layer accepted": sum(OUTCOMES[v.tc_id][1] == "accepted" for v in ALL),
        "by_group": {name: dict(sorted(c.items())) for name, c in by_group.items()},
    }


def test_totals() -> None:
    """The figures docs/reliability-and-security.md states; a change in joserfc or in
    tokens.py shows here."""
    summary = totals()
    (artifacts_dir() / "wycheproof-summary.json").write_text(json.dumps(summary, indent=2) + "\n")
    assert summary["overall (JWS layer)"] == {
        "invalid -> refused": 350,
        "invalid -> verified": 5,  # KEY_METADATA_ONLY and SAME_AS_VALID_357
        "valid -> refused": 30,  # 28 of another algorithm, and NON_CANONICAL_BASE64URL
        "valid -> verified": 16,  # 8 HS256, 8 RS256
    }
    assert summary["JWT layer accepted"] == 0


# --- the same vectors at real endpoints -----------------------------------------------------


@pytest.fixture(scope="module")
def anyio_backend() -> str:
    return "asyncio"


@pytest.fixture(scope="module")
async def app(
    tmp_path_factory: pytest.TempPathFactory,
) -> AsyncIterator[tuple[httpx.AsyncClient, StoreDump]]:
    directory = tmp_path_factory.mktemp("wycheproof")
    async for http in in_process(make_settings(directory)):
        rsa_keys = sorted({_pem(v.key) for v in ALL if v.key["kty"] == "RSA"})
        apps = [
            {"id": 900 + index, "org_id": 1, "bot_uid": f"wycheproof-{index}", "public_keys": [pem]}
            for index, pem in enumerate(rsa_keys)
        ]
        # The one HMAC key that is text: 32 zero bytes, a workspace secret like any other.
        zero = {v.key["k"] for v in ALL if v.comment == "base64"}
        assert [_bytes(k) for k in zero] == [bytes(32)]
        workspace = {"id": "wycheproof", "secret": "\x00" * 32, "region": "us"}
        for vendor, fixtures in (
            ("unifize", {"apps": apps}),
            ("uneeq", {"workspaces": [workspace]}),
        ):
            added = await http.post(
                "/_emulator/fixtures", json={"vendor": vendor, "fixtures": fixtures}
            )
            assert added.status_code == 201, added.text
        store = StoreDump(directory / "emulator.sqlite3")
        yield http, store
        store.close()


RSA_VECTORS = [v for v in ALL if v.key["kty"] == "RSA"]
ZERO_KEY_VECTORS = [v for v in ALL if v.comment == "base64"]


@pytest.mark.anyio
async def test_rsa_vectors_at_the_unifize_token_endpoint(
    app: tuple[httpx.AsyncClient, StoreDump],
) -> None:
    """Every RSA-key vector as a Unifize assertion: 401, Unifize's body, nothing stored.
    The endpoint reads iss from the payload first, so none of these reaches a key."""
    http, store = app
    before = store.rows()
    reasons = Counter()
    for vector in RSA_VECTORS:
        response = await http.post(
            "/unifize/application/token", headers={"Authorization": f"Bearer {vector.jws}"}
        )
        assert response.status_code == 401, vector.tc_id
        assert response.json() == {
            "status": 401,
            "error": "unauthorized",
            "message": "Authentication failed",
        }
        reasons[(await last_request(http))["reason"].split(" (")[0]] += 1
    assert store.rows() == before
    assert sum(reasons.values()) == len(RSA_VECTORS) == 318
    assert set(reasons) == {
        "assertion is JWT payload is not a JSON object",
        "assertion is not a compact JWS",
        "Authorization: Bearer carries no token",  # the empty-string vector
    }


@pytest.mark.anyio
async def test_zero_key_vectors_at_the_uneeq_token_endpoint(
    app: tuple[httpx.AsyncClient, StoreDump],
) -> None:
    """The 21 vectors of the base64 group as UneeQ request JWTs of a workspace whose secret
    is their key: those whose signature verifies reach the claim set and are 400; the rest
    are refused before (400 malformed) or at the signature (401). Nothing is stored."""
    http, store = app
    before = store.rows()
    outcomes = Counter()
    for vector in ZERO_KEY_VECTORS:
        response = await http.post(
            "/uneeq/api/v1/clients/access/tokens",
            content=vector.jws.encode(),
            headers={"workspace": "wycheproof", "content-type": "application/jwt"},
        )
        reason = (await last_request(http))["reason"]
        assert response.status_code in (400, 401), vector.tc_id
        assert response.text == {400: "Bad Request", 401: "Unauthorized"}[response.status_code]
        past_signature = reason.startswith("body is JWT payload is not a JSON object")
        assert past_signature == (OUTCOMES[vector.tc_id][0] == "verified"), (vector.tc_id, reason)
        where = " past the signature" if past_signature else ""
        outcomes[f"{vector.result} -> {response.status_code}{where}"] += 1
    assert store.rows() == before
    assert dict(outcomes) == {
        "valid -> 400 past the signature": 5,
        "valid -> 400": 2,  # NON_CANONICAL_BASE64URL
        "invalid -> 400 past the signature": 2,  # SAME_AS_VALID_357
        "invalid -> 400": 7,
        "invalid -> 401": 5,
    }
