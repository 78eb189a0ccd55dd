"""The token-attack corpus (RFC 8725 classes): one case per (endpoint, attack).

Every endpoint that verifies a JWT is here: UneeQ's request JWT, Unifize's
assertion (both token paths) and access token (chatrooms, one chatroom,
tokeninfo), web1on1's access token (a resource call and refresh with GET),
the widget's visitor token (exchange) and session token (refresh), and 8x8's
auth token (reporting and the agent-login page). Each case names the exact
refusal the vendor gives (status and body, from the vendors' error tables in docs/vendors/)
and the journal's reason.

Signatures: client-signed endpoints are attacked with their real keys where a
case needs a valid signature to reach the check it is about (a `crit` header,
a non-object payload); emulator-minted tokens likewise with the emulator's own
signing secret, read from the store's file. That is stronger than an outside
attacker, and it is what shows the check exists rather than the signature
hiding it.
"""

from __future__ import annotations

import functools
import json
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field, replace
from typing import Any

import httpx
from joserfc.jwk import RSAKey

from tests.security.attack_kit import (
    ATTACKER_SECRET,
    KEY_ENCODINGS,
    attacker_certificate_b64,
    attacker_ec,
    attacker_rsa,
    attacker_rsa_1024,
    attacker_rsa_signer,
    claims_of,
    hand_token,
    hmac_signer,
    joserfc_token,
    oct_key,
    public_key_encodings,
    replace_segment,
    rsa_signer,
    segment,
    with_spare_bits_set,
)
from token_emulator.core.instants import described, isoformat

NOW = 1_900_000_000  # 2030-03-17T17:46:40Z: the frozen emulator clock of every case
OLD = NOW - 2 * 86_400  # when the expired tokens were minted
LEEWAY = 30  # core/tokens.py's CLOCK_LEEWAY_SECONDS, the vendor pages' "30 s"
TEN_YEARS = 10 * 365 * 86_400

WIDGET_KEY = "pk_live_acme_TESTONLYmain0001"
WIDGET_OTHER_KEY = "pk_live_acme_TESTONLYguests01"
WIDGET_ORIGIN = {"Origin": "http://localhost:3000"}
EIGHT_BY_EIGHT_AGENT = "agent@example.com"
UNEEQ_WORKSPACE = "demo"


@dataclass
class Ctx:
    """What the cases are built from: keys, and tokens minted before the attacks."""

    uneeq_secret: str
    uneeq_other_secret: str  # demo-eu's: another tenant of the same vendor
    unifize_private: str
    unifize_public: str
    secrets: dict[str, str]  # the emulator's signing secrets, by name, from the store's file
    fresh: dict[str, str]  # live tokens minted at NOW
    old: dict[str, str]  # tokens minted at OLD, expired at NOW
    canary_url: str


Send = Callable[[httpx.AsyncClient, str], Awaitable[httpx.Response]]


@dataclass(frozen=True)
class Refusal:
    status: int
    message: str  # what goes on the wire: the body, or the message inside the vendor's shape
    reason: str  # "{detail}" is the TokenProblem's detail


@dataclass(frozen=True)
class Endpoint:
    id: str  # the journal's route name, plus a variant where one route is attacked twice
    route: str
    send: Send
    body: str  # how the vendor renders a refusal: plain, unifize, web1on1, 8x8-json, 8x8-page
    alg: str  # the one algorithm the verifier takes
    key: str  # whose key signs a good token: "uneeq", "unifize", or a store secret's name
    base: str | None  # ctx.fresh entry a good token starts from (minted tokens)
    refusals: dict[str, Refusal]  # by TokenProblem kind: algorithm, signature, malformed


@dataclass(frozen=True)
class Case:
    endpoint: Endpoint
    klass: str
    attack: str
    build: Callable[[Ctx], str]
    status: int
    message: str
    reason: str | Callable[[Ctx], str]  # a function where it names a minted token's jti
    prefix: bool = False  # the reason ends in a library's words: compare its start
    send: Send | None = field(default=None, compare=False)

    @property
    def id(self) -> str:
        return f"{self.endpoint.id}/{self.klass}/{self.attack}"


# --- endpoints --------------------------------------------------------------------------


def _bearer(method: str, path: str) -> Send:
    async def send(http: httpx.AsyncClient, token: str) -> httpx.Response:
        return await http.request(method, path, headers={"Authorization": f"Bearer {token}"})

    return send


async def _uneeq(http: httpx.AsyncClient, token: str) -> httpx.Response:
    headers = {"workspace": UNEEQ_WORKSPACE, "content-type": "application/jwt"}
    return await http.post("/uneeq/api/v1/clients/access/tokens", content=token, headers=headers)


async def _tokeninfo(http: httpx.AsyncClient, token: str) -> httpx.Response:
    return await http.post("/unifize/application/tokeninfo", json={"token": token})


def _web1on1_refresh(refresh_token: Callable[[], str]) -> Send:
    async def send(http: httpx.AsyncClient, token: str) -> httpx.Response:
        return await http.get(
            "/web1on1/v2/auth/token",
            params={"refreshToken": refresh_token()},
            headers={"Authorization": f"Bearer {token}"},
        )

    return send


def _exchange(client_key: str) -> Send:
    async def send(http: httpx.AsyncClient, token: str) -> httpx.Response:
        body = {"token": token, "client_key": client_key}
        return await http.post(
            "/widget/api/v1/widget/auth/exchange", json=body, headers=WIDGET_ORIGIN
        )

    return send


async def _refresh(http: httpx.AsyncClient, token: str) -> httpx.Response:
    return await http.post("/widget/api/v1/widget/auth/refresh", json={"refresh_token": token})


async def _call_logs(http: httpx.AsyncClient, token: str) -> httpx.Response:
    return await http.get("/8x8/api/v1/call-logs", headers={"x-token": token})


async def _agent_login(http: httpx.AsyncClient, token: str) -> httpx.Response:
    return await http.get("/8x8/", params={"user": EIGHT_BY_EIGHT_AGENT, "token": token})


# The refresh token GET /web1on1/v2/auth/token carries; set once the world is up.
WEB1ON1_LIVE_REFRESH: dict[str, str] = {}

UNEEQ = Endpoint(
    "uneeq:token",
    "uneeq:token",
    _uneeq,
    "plain",
    "HS256",
    "uneeq",
    None,
    {
        "algorithm": Refusal(401, "Unauthorized", "{detail}"),
        "signature": Refusal(
            401, "Unauthorized", "signature does not verify with workspace demo's secret"
        ),
        "malformed": Refusal(400, "Bad Request", "body is {detail}"),
    },
)

_UNIFIZE_401 = "Authentication failed"
_ASSERTION = {
    "algorithm": Refusal(401, _UNIFIZE_401, "assertion {detail}"),
    "signature": Refusal(
        401, _UNIFIZE_401, "signature does not verify with any of app 101's 1 registered keys"
    ),
    "malformed": Refusal(401, _UNIFIZE_401, "assertion is {detail}"),
}
UNIFIZE_TOKEN = Endpoint(
    "unifize:token",
    "unifize:token",
    _bearer("POST", "/unifize/application/token"),
    "unifize",
    "RS256",
    "unifize",
    None,
    _ASSERTION,
)
UNIFIZE_INSTALLATION = replace(
    UNIFIZE_TOKEN,
    id="unifize:installation-token",
    route="unifize:installation-token",
    send=_bearer("POST", "/unifize/application/installation/2/token"),
)
_ACCESS = {
    "algorithm": Refusal(401, _UNIFIZE_401, "access token is {detail}"),
    "signature": Refusal(
        401, _UNIFIZE_401, "access token signature does not verify: not issued here"
    ),
    "malformed": Refusal(401, _UNIFIZE_401, "access token is {detail}"),
}
UNIFIZE_ACCESS = Endpoint(
    "unifize:chatrooms",
    "unifize:chatrooms",
    _bearer("GET", "/unifize/chatroom"),
    "unifize",
    "HS256",
    "unifize-access-tokens",
    "unifize",
    _ACCESS,
)
UNIFIZE_ROOM = replace(
    UNIFIZE_ACCESS,
    id="unifize:chatroom",
    route="unifize:chatroom",
    send=_bearer("GET", "/unifize/chatroom/1001"),
)
UNIFIZE_TOKENINFO = replace(
    UNIFIZE_ACCESS, id="unifize:tokeninfo", route="unifize:tokeninfo", send=_tokeninfo
)
_WEB1ON1 = {
    "algorithm": Refusal(401, "invalid token", "token is {detail}"),
    "signature": Refusal(
        401, "invalid signature", "signature does not verify: not issued by this emulator"
    ),
    "malformed": Refusal(401, "invalid token", "token is {detail}"),
}
WEB1ON1 = Endpoint(
    "web1on1:contacts",
    "web1on1:contacts",
    _bearer("GET", "/web1on1/v2/contacts"),
    "web1on1",
    "HS256",
    "web1on1-tokens",
    "web1on1",
    _WEB1ON1,
)
WEB1ON1_REFRESH = replace(
    WEB1ON1,
    id="web1on1:token:get",
    route="web1on1:token",
    send=_web1on1_refresh(lambda: WEB1ON1_LIVE_REFRESH["token"]),
)
BAD_TOKEN = "Missing or expired token"
BAD_REFRESH = "Missing or expired refresh_token"
WIDGET_EXCHANGE = Endpoint(
    "widget:exchange",
    "widget:exchange",
    _exchange(WIDGET_KEY),
    "plain",
    "HS256",
    "widget-visitor-tokens",
    "widget_visitor",
    {
        "algorithm": Refusal(400, BAD_TOKEN, "token: {detail}"),
        "signature": Refusal(400, BAD_TOKEN, "token is not a visitor token issued here"),
        "malformed": Refusal(400, BAD_TOKEN, "token is {detail}"),
    },
)
WIDGET_REFRESH = Endpoint(
    "widget:refresh",
    "widget:refresh",
    _refresh,
    "plain",
    "HS256",
    "widget-session-tokens",
    "widget_session",
    {
        "algorithm": Refusal(400, BAD_REFRESH, "refresh_token: {detail}"),
        "signature": Refusal(400, BAD_REFRESH, "refresh_token is not a session token issued here"),
        "malformed": Refusal(400, BAD_REFRESH, "refresh_token is {detail}"),
    },
)
_EIGHT = {
    "algorithm": Refusal(401, "Unauthorized Access", "auth token refused: {detail}"),
    "signature": Refusal(
        401, "Unauthorized Access", "auth token signature does not verify: not issued here"
    ),
    "malformed": Refusal(401, "Unauthorized Access", "auth token refused: {detail}"),
}
EIGHT_BY_EIGHT = Endpoint(
    "8x8:call-logs",
    "8x8:call-logs",
    _call_logs,
    "8x8-json",
    "HS256",
    "8x8-auth-tokens",
    "8x8",
    _EIGHT,
)
# The agent-login page answers the same refusals as an HTML page with its own words.
EIGHT_BY_EIGHT_LOGIN = replace(
    EIGHT_BY_EIGHT,
    id="8x8:agent-login",
    route="8x8:agent-login",
    send=_agent_login,
    body="8x8-page",
    refusals={
        kind: replace(
            refusal,
            message="This login link is not valid: "
            "its token is unknown, expired or not from this server.",
        )
        for kind, refusal in _EIGHT.items()
    },
)

# Every class on these; the second group shares a verifier with one of them and gets a
# cross-section, to show the route reaches the same checks.
PRIMARY = [
    UNEEQ,
    UNIFIZE_TOKEN,
    UNIFIZE_ACCESS,
    UNIFIZE_TOKENINFO,
    WEB1ON1,
    WIDGET_EXCHANGE,
    WIDGET_REFRESH,
    EIGHT_BY_EIGHT,
]
SECONDARY = [UNIFIZE_INSTALLATION, UNIFIZE_ROOM, WEB1ON1_REFRESH, EIGHT_BY_EIGHT_LOGIN]
ENDPOINTS = PRIMARY + SECONDARY


# --- what a good token of an endpoint is made of ------------------------------------------


def base_claims(ep: Endpoint, ctx: Ctx) -> dict[str, Any]:
    if ep.key == "uneeq":
        return {"sid": "attack", "fm-workspace": UNEEQ_WORKSPACE, "iat": NOW}
    if ep.key == "unifize":
        return {"iss": "101", "iat": NOW, "exp": NOW + 600}
    assert ep.base is not None
    return claims_of(ctx.fresh[ep.base])


def own_signer(ep: Endpoint, ctx: Ctx, alg: str | None = None) -> Any:
    """The verifier's own key: what only the rightful signer (or the emulator) holds."""
    alg = alg or ep.alg
    if ep.key == "unifize":
        return rsa_signer(ctx.unifize_private, alg)
    secret = ctx.uneeq_secret if ep.key == "uneeq" else ctx.secrets[ep.key]
    return hmac_signer(secret, alg)


@functools.cache
def _unifize_joserfc_key(private_pem: str) -> RSAKey:
    return RSAKey.import_key(private_pem)


def own_joserfc_key(ep: Endpoint, ctx: Ctx) -> Any:
    if ep.key == "unifize":
        return _unifize_joserfc_key(ctx.unifize_private)
    return oct_key(ctx.uneeq_secret if ep.key == "uneeq" else ctx.secrets[ep.key])


def good(ep: Endpoint, ctx: Ctx, claims: dict[str, Any] | None = None, **header: Any) -> str:
    """A token the endpoint would take (given its store row), signed by hand."""
    return hand_token(
        {"alg": ep.alg, "typ": "JWT", **header},
        base_claims(ep, ctx) if claims is None else claims,
        own_signer(ep, ctx),
    )


def attacker_signer(ep: Endpoint, alg: str | None = None) -> Any:
    alg = alg or ep.alg
    return attacker_rsa_signer(alg) if alg.startswith("RS") else hmac_signer(ATTACKER_SECRET, alg)


def _case(
    ep: Endpoint,
    klass: str,
    attack: str,
    build: Callable[[Ctx], str],
    kind: str,
    detail: str,
    *,
    prefix: bool = False,
) -> Case:
    refusal = ep.refusals[kind]
    return Case(
        ep,
        klass,
        attack,
        build,
        refusal.status,
        refusal.message,
        refusal.reason.format(detail=detail),
        prefix,
    )


def _explicit(
    ep: Endpoint,
    klass: str,
    attack: str,
    build: Callable[[Ctx], str],
    status: int,
    message: str,
    reason: str | Callable[[Ctx], str],
    *,
    prefix: bool = False,
    send: Send | None = None,
) -> Case:
    return Case(ep, klass, attack, build, status, message, reason, prefix, send)


def _alg_refused(alg: str, ep: Endpoint) -> str:
    return f"alg {alg!r} refused: only {ep.alg} is accepted"


NOT_COMPACT = "not a compact JWS ("
OVERSIZED_HEADER = "not a compact JWS (Header size exceeds 512 bytes.)"
NOT_OBJECT = "JWT payload is not a JSON object"
CRIT = "JWS header 'crit' is not supported"


# --- classes every endpoint gets --------------------------------------------------------------


def alg_none(ep: Endpoint) -> list[Case]:
    cases = []
    for casing in ("none", "None", "NONE", "nOnE"):

        def build(ctx: Ctx, casing: str = casing) -> str:
            if casing == "none":  # joserfc signs `none` when asked to; the rest by hand
                return joserfc_token({"typ": "JWT"}, base_claims(ep, ctx), None, "none")
            return hand_token({"alg": casing, "typ": "JWT"}, base_claims(ep, ctx), None)

        cases.append(_case(ep, "alg-none", casing, build, "algorithm", _alg_refused(casing, ep)))
    return cases


def alg_other(ep: Endpoint) -> list[Case]:
    """Algorithms the verifier does not use, both directions, and the right one miscased."""
    if ep.alg == "RS256":
        others = {
            "RS512-own-key": (
                lambda ctx: joserfc_token(
                    {}, base_claims(ep, ctx), own_joserfc_key(ep, ctx), "RS512"
                ),
                "RS512",
            ),
            "PS256-own-key": (
                lambda ctx: joserfc_token(
                    {}, base_claims(ep, ctx), own_joserfc_key(ep, ctx), "PS256"
                ),
                "PS256",
            ),
            "ES256-attacker": (
                lambda ctx: joserfc_token({}, base_claims(ep, ctx), attacker_ec(), "ES256"),
                "ES256",
            ),
            "rs256-lowercase-own-key": (
                lambda ctx: hand_token({"alg": "rs256"}, base_claims(ep, ctx), own_signer(ep, ctx)),
                "rs256",
            ),
        }
    else:
        others = {
            "HS512-own-key": (
                lambda ctx: joserfc_token(
                    {}, base_claims(ep, ctx), own_joserfc_key(ep, ctx), "HS512"
                ),
                "HS512",
            ),
            "HS384-own-key": (
                lambda ctx: joserfc_token(
                    {}, base_claims(ep, ctx), own_joserfc_key(ep, ctx), "HS384"
                ),
                "HS384",
            ),
            "RS256-attacker": (
                lambda ctx: joserfc_token({}, base_claims(ep, ctx), attacker_rsa(), "RS256"),
                "RS256",
            ),
            "ES256-attacker": (
                lambda ctx: joserfc_token({}, base_claims(ep, ctx), attacker_ec(), "ES256"),
                "ES256",
            ),
            "hs256-lowercase-own-key": (
                lambda ctx: hand_token({"alg": "hs256"}, base_claims(ep, ctx), own_signer(ep, ctx)),
                "hs256",
            ),
        }
    return [
        _case(ep, "alg-other", name, build, "algorithm", _alg_refused(alg, ep))
        for name, (build, alg) in others.items()
    ]


def key_confusion(ep: Endpoint) -> list[Case]:
    """HS256 keyed with Unifize's RSA public key: every encoding at the RS256 verifier,
    the registered PEM at every HMAC verifier (it is public, so an attacker has it)."""

    def build(name: str) -> Callable[[Ctx], str]:
        return lambda ctx: hand_token(
            {"alg": "HS256", "typ": "JWT"},
            base_claims(ep, ctx),
            hmac_signer(public_key_encodings(ctx.unifize_public)[name]),
        )

    if ep.alg == "RS256":
        names = KEY_ENCODINGS
        return [
            _case(ep, "key-confusion", name, build(name), "algorithm", _alg_refused("HS256", ep))
            for name in names
        ]
    return [
        _case(
            ep,
            "key-confusion",
            "spki-pem-as-registered",
            build("spki-pem-as-registered"),
            "signature",
            "",
        )
    ]


def embedded_keys(ep: Endpoint) -> list[Case]:
    """Keys the token brings along (jwk, jku, x5u, x5c): never trusted, URLs never fetched."""
    rs = ep.alg == "RS256"
    asym_kind = "signature" if rs else "algorithm"  # an HMAC verifier refuses RS256 first
    asym_detail = "" if rs else _alg_refused("RS256", ep)
    oct_jwk = {"kty": "oct", "k": segment(ATTACKER_SECRET)}

    def jwk_oct(ctx: Ctx) -> str:
        return joserfc_token(
            {"jwk": oct_jwk}, base_claims(ep, ctx), oct_key(ATTACKER_SECRET), "HS256"
        )

    def jwk_rsa(ctx: Ctx) -> str:
        key = attacker_rsa_1024()
        jwk = {**key.as_dict(private=False), "kid": "attacker"}
        return joserfc_token({"jwk": jwk}, base_claims(ep, ctx), key, "RS256")

    def url_header(name: str, path: str) -> Callable[[Ctx], str]:
        return lambda ctx: hand_token(
            {"alg": ep.alg, name: ctx.canary_url + path}, base_claims(ep, ctx), attacker_signer(ep)
        )

    def x5c(ctx: Ctx) -> str:
        return joserfc_token(
            {"x5c": [attacker_certificate_b64()]}, base_claims(ep, ctx), attacker_rsa(), "RS256"
        )

    cases = [
        _case(ep, "embedded-key", "jwk-rsa-attacker", jwk_rsa, asym_kind, asym_detail),
        _case(ep, "embedded-key", "jku-canary", url_header("jku", "/jwks.json"), "signature", ""),
        _case(ep, "embedded-key", "x5u-canary", url_header("x5u", "/cert.pem"), "signature", ""),
        # A certificate for a 2048-bit key does not fit joserfc's 512-byte header limit.
        _case(ep, "embedded-key", "x5c-attacker-certificate", x5c, "malformed", OVERSIZED_HEADER),
    ]
    if not rs:
        cases.insert(0, _case(ep, "embedded-key", "jwk-oct-attacker", jwk_oct, "signature", ""))
    return cases


def hostile_kid(ep: Endpoint) -> list[Case]:
    """kid values built to steer a key lookup: the emulator looks no key up by kid."""
    empty_key = attacker_rsa_signer() if ep.alg == "RS256" else hmac_signer(b"")
    refused = ("signature", "")
    kids: dict[str, tuple[Any, Any, tuple[str, str]]] = {
        "path-traversal-empty-key": ("../../../../../../../dev/null", empty_key, refused),
        "sql-injection": (
            "x' UNION SELECT 'attacker-chosen-secret-0123456789' --",
            attacker_signer(ep),
            refused,
        ),
        # joserfc's header registry refuses a kid that is not a string, before the key.
        "object-not-string": (
            {"$ne": None},
            attacker_signer(ep),
            ("malformed", "JWS unreadable ('kid' in header must be a str)"),
        ),
        "names-the-verifiers-key": (
            {"uneeq": "demo", "unifize": "101"}.get(ep.key, ep.key),
            attacker_signer(ep),
            refused,
        ),
    }
    return [
        _case(
            ep,
            "kid",
            name,
            lambda ctx, kid=kid, signer=signer: hand_token(
                {"alg": ep.alg, "kid": kid}, base_claims(ep, ctx), signer
            ),
            *outcome,
        )
        for name, (kid, signer, outcome) in kids.items()
    ]


def crit(ep: Endpoint) -> list[Case]:
    """Correctly signed, with a critical extension no vendor defines."""
    headers = {
        "unknown-extension": {"crit": ["x-attacker"], "x-attacker": True},
        "registered-claim-name": {"crit": ["exp"], "exp": NOW + 60},
        "empty-list": {"crit": []},
        "not-a-list": {"crit": "exp"},
        "b64-false": {"crit": ["b64"], "b64": False},
    }
    return [
        _case(ep, "crit", name, lambda ctx, extra=extra: good(ep, ctx, **extra), "malformed", CRIT)
        for name, extra in headers.items()
    ]


def _tampered_claims(ep: Endpoint, ctx: Ctx) -> dict[str, Any]:
    claims = base_claims(ep, ctx)
    changes = {
        "uneeq": {"fm-custom-data": json.dumps({"role": "admin"})},
        "unifize": {"exp": NOW + 6000},
        "unifize-access-tokens": {"orgId": 2},
        "web1on1-tokens": {"scope": "bot"},
        "widget-visitor-tokens": {"sub": "someone-else"},
        "widget-session-tokens": {"sub": "someone-else"},
        "8x8-auth-tokens": {"sub": "other"},
    }
    return {**claims, **changes[ep.key]}


def segments(ep: Endpoint) -> list[Case]:
    """A good token with a segment changed, dropped or added."""

    def tampered(ctx: Ctx) -> str:
        return replace_segment(good(ep, ctx), 1, segment(_tampered_claims(ep, ctx)))

    def emptied(ctx: Ctx) -> str:
        return replace_segment(good(ep, ctx), 2, "")

    def two(ctx: Ctx) -> str:
        return good(ep, ctx).rsplit(".", 1)[0]

    def four(ctx: Ctx) -> str:
        return good(ep, ctx) + "." + segment({})

    def five(ctx: Ctx) -> str:
        token = good(ep, ctx)
        return ".".join([token.split(".")[0], "", segment(b"iv"), token.split(".")[1], "tag"])

    def no_header(ctx: Ctx) -> str:
        return replace_segment(good(ep, ctx), 0, "")

    def swapped(ctx: Ctx) -> str:
        other = good(ep, ctx, {**base_claims(ep, ctx), "other": 1})
        return replace_segment(good(ep, ctx, _tampered_claims(ep, ctx)), 2, other.split(".")[2])

    malformed_two = "malformed"
    cases = [
        _case(ep, "segments", "claims-changed-signature-kept", tampered, "signature", ""),
        _case(ep, "segments", "signature-emptied", emptied, "signature", ""),
        _case(ep, "segments", "signature-of-another-token", swapped, "signature", ""),
        _case(
            ep,
            "segments",
            "signature-segment-missing",
            two,
            malformed_two,
            NOT_COMPACT,
            prefix=True,
        ),
        _case(ep, "segments", "extra-segment", four, "malformed", NOT_COMPACT, prefix=True),
        _case(
            ep, "segments", "five-segments-jwe-shaped", five, "malformed", NOT_COMPACT, prefix=True
        ),
        _case(
            ep,
            "segments",
            "header-segment-emptied",
            no_header,
            "malformed",
            NOT_COMPACT,
            prefix=True,
        ),
    ]
    return cases


def _with_spare_bits(ep: Endpoint, ctx: Ctx, part: int) -> str:
    """A good token whose segment `part` has unused bits (its length is not a multiple of 4)."""
    for filler in range(4):
        if part == 1:
            token = good(ep, ctx, {**base_claims(ep, ctx), "pad": "x" * filler})
        else:
            token = good(ep, ctx, None, kid="k" * filler)
        if len(token.split(".")[part]) % 4:
            return token
    raise AssertionError("no filler gave unused bits")


def _with_url_alphabet_signature(ep: Endpoint, ctx: Ctx) -> str:
    """A good token whose signature holds '-' or '_', to be rewritten as '+' or '/'."""
    for filler in range(64):
        token = good(ep, ctx, {**base_claims(ep, ctx), "pad": "x" * filler})
        signature = token.split(".")[2]
        if "-" in signature or "_" in signature:
            standard = signature.replace("-", "+").replace("_", "/")
            return replace_segment(token, 2, standard)
    raise AssertionError("no signature held '-' or '_'")


def base64url(ep: Endpoint) -> list[Case]:
    """Non-canonical base64url: forms a lenient decoder reads as the same bytes."""

    def sig_bits(ctx: Ctx) -> str:
        token = good(ep, ctx)  # HS256: 43 characters, 2 unused bits; RS256: 342, 4 unused
        return replace_segment(token, 2, with_spare_bits_set(token.split(".")[2]))

    def sig_padded(ctx: Ctx) -> str:
        token = good(ep, ctx)
        signature = token.split(".")[2]
        return replace_segment(token, 2, signature + "=" * (-len(signature) % 4 or 4))

    def payload_bits(ctx: Ctx) -> str:
        token = _with_spare_bits(ep, ctx, 1)
        return replace_segment(token, 1, with_spare_bits_set(token.split(".")[1]))

    def payload_padded(ctx: Ctx) -> str:
        token = _with_spare_bits(ep, ctx, 1)
        payload = token.split(".")[1]
        return replace_segment(token, 1, payload + "=" * (-len(payload) % 4))

    def header_bits(ctx: Ctx) -> str:
        token = _with_spare_bits(ep, ctx, 0)
        return replace_segment(token, 0, with_spare_bits_set(token.split(".")[0]))

    def standard_alphabet(ctx: Ctx) -> str:
        return _with_url_alphabet_signature(ep, ctx)

    def inner_space(ctx: Ctx) -> str:
        token = good(ep, ctx)
        payload = token.split(".")[1]
        return replace_segment(token, 1, payload[:8] + " " + payload[8:])

    return [
        _case(ep, "base64url", "signature-unused-bits-set", sig_bits, "signature", ""),
        _case(ep, "base64url", "signature-padded", sig_padded, "signature", ""),
        _case(ep, "base64url", "signature-standard-alphabet", standard_alphabet, "signature", ""),
        _case(
            ep,
            "base64url",
            "payload-unused-bits-set",
            payload_bits,
            "malformed",
            NOT_COMPACT,
            prefix=True,
        ),
        _case(
            ep, "base64url", "payload-padded", payload_padded, "malformed", NOT_COMPACT, prefix=True
        ),
        _case(
            ep,
            "base64url",
            "header-unused-bits-set",
            header_bits,
            "malformed",
            NOT_COMPACT,
            prefix=True,
        ),
        _case(
            ep,
            "base64url",
            "space-inside-payload",
            inner_space,
            "malformed",
            NOT_COMPACT,
            prefix=True,
        ),
    ]


def non_object(ep: Endpoint) -> list[Case]:
    """Correctly signed, but the header or the payload is not a UTF-8 JSON object."""

    def signed(header: Any, payload: Any) -> Callable[[Ctx], str]:
        return lambda ctx: hand_token(
            header(ctx) if callable(header) else header,
            payload(ctx) if callable(payload) else payload,
            own_signer(ep, ctx),
        )

    header = {"alg": ep.alg, "typ": "JWT"}

    def claims_in(encoding: str) -> Callable[[Ctx], bytes]:
        return lambda ctx: json.dumps(
            {**base_claims(ep, ctx), "name": "é"}, ensure_ascii=False
        ).encode(encoding)

    return [
        _case(
            ep,
            "non-object",
            "header-json-array",
            signed(["alg", ep.alg], lambda ctx: base_claims(ep, ctx)),
            "malformed",
            "JWS header is not a JSON object",
        ),
        _case(
            ep,
            "non-object",
            "header-utf16",
            signed(json.dumps(header).encode("utf-16"), lambda ctx: base_claims(ep, ctx)),
            "malformed",
            "JWS header is not a JSON object (not UTF-8)",
        ),
        _case(
            ep,
            "non-object",
            "header-latin1",
            signed(
                json.dumps({**header, "kid": "é"}, ensure_ascii=False).encode("latin-1"),
                lambda ctx: base_claims(ep, ctx),
            ),
            "malformed",
            NOT_COMPACT,
            prefix=True,
        ),
        _case(
            ep,
            "non-object",
            "payload-json-array",
            signed(header, ["sid", "attack"]),
            "malformed",
            NOT_OBJECT,
        ),
        _case(
            ep,
            "non-object",
            "payload-json-string",
            signed(header, "claims"),
            "malformed",
            NOT_OBJECT,
        ),
        _case(
            ep,
            "non-object",
            "payload-utf16",
            signed(header, claims_in("utf-16")),
            "malformed",
            NOT_OBJECT + " (not UTF-8)",
        ),
        _case(
            ep,
            "non-object",
            "payload-latin1",
            signed(header, claims_in("latin-1")),
            "malformed",
            NOT_OBJECT + " (not UTF-8)",
        ),
        _case(
            ep,
            "non-object",
            "payload-utf8-bom",
            signed(header, claims_in("utf-8-sig")),
            "malformed",
            NOT_OBJECT + " (a byte order mark)",
        ),
    ]


GENERIC = [
    alg_none,
    alg_other,
    key_confusion,
    embedded_keys,
    hostile_kid,
    crit,
    segments,
    base64url,
    non_object,
]


def cross_section(ep: Endpoint) -> list[Case]:
    """One or two of each class, for a route that shares its verifier with a primary one."""
    picks = {
        "alg-none": {"none", "NONE"},
        "alg-other": {"HS512-own-key", "RS512-own-key", "ES256-attacker"},
        "key-confusion": {"spki-pem-as-registered", "pkcs1-der"},
        "embedded-key": {"jwk-rsa-attacker", "jku-canary"},
        "kid": {"path-traversal-empty-key"},
        "crit": {"unknown-extension"},
        "segments": {"claims-changed-signature-kept", "signature-segment-missing"},
        "base64url": {"signature-unused-bits-set", "payload-padded"},
        "non-object": {"header-utf16", "payload-utf16"},
    }
    return [case for make in GENERIC for case in make(ep) if case.attack in picks[case.klass]]


# --- classes whose cases depend on the endpoint's own claims ------------------------------------


def _iso(instant: float) -> str:
    return isoformat(instant)


def uneeq_specific() -> list[Case]:
    ep = UNEEQ

    def claims(**changes: Any) -> Callable[[Ctx], str]:
        def build(ctx: Ctx) -> str:
            values = {**base_claims(ep, ctx), **changes}
            return good(ep, ctx, {k: v for k, v in values.items() if v is not DROP})

        return build

    def raw(payload: bytes) -> Callable[[Ctx], str]:
        return lambda ctx: hand_token({"alg": "HS256"}, payload, own_signer(ep, ctx))

    def bad(
        attack: str,
        build: Callable[[Ctx], str],
        reason: str,
        klass: str = "claims",
        *,
        prefix: bool = False,
    ) -> Case:
        return _explicit(ep, klass, attack, build, 400, "Bad Request", reason, prefix=prefix)

    def late(attack: str, build: Callable[[Ctx], str], reason: str, klass: str = "time") -> Case:
        return _explicit(ep, klass, attack, build, 401, "Unauthorized", reason)

    base = b'{"sid": "attack", "fm-workspace": "demo", '
    return [
        bad("sid-number", claims(sid=42), "claim sid must be a string, got a number"),
        bad("sid-missing", claims(sid=DROP), "claim sid missing"),
        bad(
            "fm-workspace-list",
            claims(**{"fm-workspace": ["demo"]}),
            "claim fm-workspace must be a string, got an array",
        ),
        bad(
            "fm-custom-data-object",
            claims(**{"fm-custom-data": {"plan": "gold"}}),
            "claim fm-custom-data must be a string holding JSON, got an object",
        ),
        bad(
            "fm-custom-data-not-json",
            claims(**{"fm-custom-data": "{plan"}),
            "claim fm-custom-data is not JSON",
        ),
        bad("exp-string", claims(exp="tomorrow"), "claim exp is not a NumericDate"),
        bad("iat-boolean", claims(iat=True), "claim iat is not a NumericDate"),
        bad("nbf-null", claims(nbf=None), "claim nbf is not a NumericDate"),
        bad(
            "exp-nan",
            raw(base + b'"exp": NaN}'),
            "body is JWT payload holds NaN or Infinity",
        ),
        bad(
            "exp-infinite",
            raw(base + b'"exp": 1e400}'),
            "body is JWT payload holds NaN or Infinity",
        ),
        _explicit(
            ep,
            "claims",
            "fm-workspace-of-another-tenant",
            claims(**{"fm-workspace": "demo-eu"}),
            403,
            "Forbidden",
            "fm-workspace 'demo-eu' differs from header 'demo'",
        ),
        late(
            "exp-equals-now",
            claims(exp=NOW),
            f"request JWT expired at {described(NOW)} (now {_iso(NOW)})",
        ),
        late(
            "exp-one-second-ago",
            claims(exp=NOW - 1),
            f"request JWT expired at {described(NOW - 1)} (now {_iso(NOW)})",
        ),
        late(
            "iat-leeway-plus-one",
            claims(iat=NOW + LEEWAY + 1),
            f"request JWT claim iat {described(NOW + LEEWAY + 1)} "
            f"is in the future (now {_iso(NOW)}, leeway 30 s)",
        ),
        late(
            "nbf-leeway-plus-one",
            claims(nbf=NOW + LEEWAY + 1),
            f"request JWT claim nbf {described(NOW + LEEWAY + 1)} "
            f"is in the future (now {_iso(NOW)}, leeway 30 s)",
        ),
        late(
            "nbf-one-day-ahead",
            claims(nbf=NOW + 86_400),
            f"request JWT claim nbf {described(NOW + 86_400)} "
            f"is in the future (now {_iso(NOW)}, leeway 30 s)",
        ),
        bad(
            "uneeq-session-jwt-as-request-jwt",
            lambda ctx: ctx.fresh["uneeq_session_jwt"],
            "claim sid missing",
            "confusion",
        ),
        late(
            "another-tenants-request-jwt",
            lambda ctx: hand_token(
                {"alg": "HS256"},
                {**base_claims(ep, ctx), "fm-workspace": "demo-eu"},
                hmac_signer(ctx.uneeq_other_secret),
            ),
            "signature does not verify with workspace demo's secret",
            "confusion",
        ),
        late(
            "unifize-assertion-at-uneeq",
            lambda ctx: good(UNIFIZE_TOKEN, ctx),
            _alg_refused("RS256", ep),
            "confusion",
        ),
        late(
            "web1on1-token-at-uneeq",
            lambda ctx: ctx.fresh["web1on1"],
            "signature does not verify with workspace demo's secret",
            "confusion",
        ),
    ]


DROP = object()  # a claim to leave out


def unifize_assertion_specific(ep: Endpoint = UNIFIZE_TOKEN) -> list[Case]:
    def claims(**changes: Any) -> Callable[[Ctx], str]:
        def build(ctx: Ctx) -> str:
            values = {**base_claims(ep, ctx), **changes}
            return good(ep, ctx, {k: v for k, v in values.items() if v is not DROP})

        return build

    def refused(klass: str, attack: str, build: Callable[[Ctx], str], reason: str) -> Case:
        return _explicit(ep, klass, attack, build, 401, _UNIFIZE_401, reason)

    ahead = NOW + LEEWAY + 1
    return [
        refused(
            "claims",
            "iss-number",
            claims(iss=101),
            "assertion claim iss must be a string holding the app id, got a number",
        ),
        refused(
            "claims", "iss-leading-zero", claims(iss="0101"), "iss '0101' names no registered app"
        ),
        refused(
            "claims", "iss-unknown-app", claims(iss="999"), "iss '999' names no registered app"
        ),
        refused("claims", "iss-missing", claims(iss=DROP), "assertion claim iss missing"),
        refused(
            "claims",
            "iat-string",
            claims(iat=str(NOW)),
            "assertion claim iat must be an integer, got a string",
        ),
        refused(
            "claims",
            "iat-float",
            claims(iat=NOW + 0.5),
            "assertion claim iat must be an integer, got a number",
        ),
        refused(
            "claims",
            "exp-boolean",
            claims(exp=True),
            "assertion claim exp must be an integer, got a boolean",
        ),
        refused("claims", "exp-missing", claims(exp=DROP), "assertion claim exp missing"),
        refused(
            "claims", "nbf-string", claims(nbf="now"), "assertion claim nbf is not a NumericDate"
        ),
        refused(
            "time",
            "exp-equals-now",
            claims(iat=NOW - 600, exp=NOW),
            f"assertion expired at {described(NOW)} (now {_iso(NOW)})",
        ),
        refused(
            "time",
            "iat-leeway-plus-one",
            claims(iat=ahead, exp=ahead + 600),
            f"assertion claim iat {described(ahead)} "
            f"is in the future (now {_iso(NOW)}, leeway 30 s)",
        ),
        refused(
            "time",
            "nbf-leeway-plus-one",
            claims(nbf=ahead),
            f"assertion claim nbf {described(ahead)} "
            f"is in the future (now {_iso(NOW)}, leeway 30 s)",
        ),
        refused(
            "lifetime",
            "601-seconds",
            claims(exp=NOW + 601),
            "assertion window exp - iat is 601 s, not 1 to 600",
        ),
        refused(
            "lifetime",
            "ten-years",
            claims(exp=NOW + TEN_YEARS),
            f"assertion window exp - iat is {TEN_YEARS} s, not 1 to 600",
        ),
        refused(
            "lifetime",
            "zero-seconds",
            claims(iat=NOW + 10, exp=NOW + 10),
            "assertion window exp - iat is 0 s, not 1 to 600",
        ),
        refused(
            "lifetime",
            "exp-before-iat",
            claims(iat=NOW + 20, exp=NOW + 10),
            "assertion window exp - iat is -10 s, not 1 to 600",
        ),
        refused(
            "confusion",
            "minted-access-token-as-assertion",
            lambda ctx: ctx.fresh["unifize"],
            "assertion " + _alg_refused("HS256", ep),
        ),
        refused(
            "confusion",
            "web1on1-token-as-assertion",
            lambda ctx: ctx.fresh["web1on1"],
            "assertion " + _alg_refused("HS256", ep),
        ),
        refused(
            "confusion",
            "uneeq-request-jwt-as-assertion",
            lambda ctx: good(UNEEQ, ctx),
            "assertion " + _alg_refused("HS256", ep),
        ),
    ]


def _resigned(ep: Endpoint, token_of: Callable[[Ctx], str], **changes: Any) -> Callable[[Ctx], str]:
    """A minted token's claims, changed, signed with the emulator's own secret."""

    def build(ctx: Ctx) -> str:
        values = {**claims_of(token_of(ctx)), **changes}
        return good(ep, ctx, {k: v for k, v in values.items() if v is not DROP})

    return build


def _extended(ep: Endpoint, base: str) -> Callable[[Ctx], str]:
    """An expired token of ours, its exp pushed ten years on and signed with our own secret."""

    def build(ctx: Ctx) -> str:
        claims = claims_of(ctx.old[base])
        return good(ep, ctx, {**claims, "exp": claims["exp"] + TEN_YEARS})

    return build


def unifize_access_specific(ep: Endpoint) -> list[Case]:
    def refused(klass: str, attack: str, build: Callable[[Ctx], str], reason: str) -> Case:
        return _explicit(ep, klass, attack, build, 401, _UNIFIZE_401, reason)

    fresh = lambda ctx: ctx.fresh["unifize"]  # noqa: E731
    expired = f"access token expired at {_iso(OLD + 3600)}"
    return [
        refused("claims", "jti-number", _resigned(ep, fresh, jti=7), "access token has no jti"),
        refused("claims", "jti-missing", _resigned(ep, fresh, jti=DROP), "access token has no jti"),
        refused(
            "claims",
            "jti-unknown",
            _resigned(ep, fresh, jti="not-issued-here"),
            "access token unknown (a reset forgets issued tokens)",
        ),
        refused(
            "time",
            "iat-ahead-forged",
            lambda ctx: hand_token(
                {"alg": "HS256"},
                {**claims_of(fresh(ctx)), "iat": NOW + 3600},
                hmac_signer(ATTACKER_SECRET),
            ),
            "access token signature does not verify: not issued here",
        ),
        refused("lifetime", "expired-as-issued", lambda ctx: ctx.old["unifize"], expired),
        refused("lifetime", "expired-exp-ten-years-on", _extended(ep, "unifize"), expired),
        refused(
            "confusion",
            "assertion-as-access-token",
            lambda ctx: good(UNIFIZE_TOKEN, ctx),
            "access token is " + _alg_refused("RS256", ep),
        ),
        refused(
            "confusion",
            "web1on1-token-at-unifize",
            lambda ctx: ctx.fresh["web1on1"],
            "access token signature does not verify: not issued here",
        ),
        refused(
            "confusion",
            "widget-session-at-unifize",
            lambda ctx: ctx.fresh["widget_session"],
            "access token signature does not verify: not issued here",
        ),
        refused(
            "confusion",
            "8x8-token-at-unifize",
            lambda ctx: ctx.fresh["8x8"],
            "access token signature does not verify: not issued here",
        ),
    ]


def web1on1_specific() -> list[Case]:
    ep = WEB1ON1

    def refused(
        klass: str,
        attack: str,
        build: Callable[[Ctx], str],
        message: str,
        reason: str | Callable[[Ctx], str],
        *,
        prefix: bool = False,
    ) -> Case:
        return _explicit(ep, klass, attack, build, 401, message, reason, prefix=prefix)

    fresh = lambda ctx: ctx.fresh["web1on1"]  # noqa: E731
    ahead = NOW + LEEWAY + 1
    old_exp = OLD + 86_400
    return [
        refused(
            "claims",
            "_id-number",
            _resigned(ep, fresh, _id=599),
            "invalid token",
            "token claim _id missing or not a string",
        ),
        refused(
            "claims",
            "jti-missing",
            _resigned(ep, fresh, jti=DROP),
            "invalid token",
            "token claim jti missing or not a string",
        ),
        refused(
            "claims",
            "scope-list",
            _resigned(ep, fresh, scope=["admin"]),
            "invalid token",
            "token claim scope missing or not a string",
        ),
        refused(
            "claims",
            "exp-string",
            _resigned(ep, fresh, exp="never"),
            "invalid token",
            "token claim exp is not a NumericDate",
        ),
        refused(
            "claims",
            "_id-of-another-user",
            _resigned(ep, fresh, _id="599e1fcd9da1c72645c95882"),
            "invalid token",
            lambda ctx: (
                f"token {claims_of(ctx.fresh['web1on1'])['jti']!r} was issued to another user"
            ),
        ),
        refused(
            "claims",
            "jti-unknown",
            _resigned(ep, fresh, jti="0" * 24),
            "invalid token",
            "token '000000000000000000000000' unknown here (a reset forgets issued tokens)",
        ),
        refused(
            "time",
            "iat-leeway-plus-one",
            _resigned(ep, fresh, iat=ahead),
            "jwt not active",
            f"token claim iat {described(ahead)} is in the future (now {_iso(NOW)}, leeway 30 s)",
        ),
        refused(
            "time",
            "nbf-leeway-plus-one",
            _resigned(ep, fresh, nbf=ahead),
            "jwt not active",
            f"token claim nbf {described(ahead)} is in the future (now {_iso(NOW)}, leeway 30 s)",
        ),
        refused(
            "time",
            "exp-equals-now",
            _resigned(ep, fresh, exp=NOW),
            "jwt expired",
            f"token expired at {described(NOW)} (now {_iso(NOW)})",
        ),
        refused(
            "lifetime",
            "expired-as-issued",
            lambda ctx: ctx.old["web1on1"],
            "jwt expired",
            f"token expired at {described(old_exp)} (now {_iso(NOW)})",
        ),
        refused(
            "lifetime",
            "expired-exp-ten-years-on",
            _extended(ep, "web1on1"),
            "jwt expired",
            f"token expired at {_iso(old_exp)} "
            f"by the store (the JWT says {described(old_exp + TEN_YEARS)})",
        ),
        refused(
            "confusion",
            "refresh-token-as-access-token",
            lambda ctx: ctx.fresh["web1on1_refresh"],
            "invalid token",
            "token is " + NOT_COMPACT,
            prefix=True,
        ),
        refused(
            "confusion",
            "unifize-access-token-at-web1on1",
            lambda ctx: ctx.fresh["unifize"],
            "invalid signature",
            "signature does not verify: not issued by this emulator",
        ),
        refused(
            "confusion",
            "widget-visitor-at-web1on1",
            lambda ctx: ctx.fresh["widget_visitor"],
            "invalid signature",
            "signature does not verify: not issued by this emulator",
        ),
    ]


def widget_exchange_specific() -> list[Case]:
    ep = WIDGET_EXCHANGE

    def refused(
        klass: str, attack: str, build: Callable[[Ctx], str], reason: str, send: Send | None = None
    ) -> Case:
        return _explicit(ep, klass, attack, build, 400, BAD_TOKEN, reason, send=send)

    fresh = lambda ctx: ctx.fresh["widget_visitor"]  # noqa: E731
    expired = f"visitor token expired at {_iso(OLD + 300)}"
    return [
        refused(
            "claims",
            "token_use-session",
            _resigned(ep, fresh, token_use="session"),
            "token is not a visitor token",
        ),
        refused(
            "claims",
            "token_use-missing",
            _resigned(ep, fresh, token_use=DROP),
            "token is not a visitor token",
        ),
        refused("claims", "jti-number", _resigned(ep, fresh, jti=7), "token has no jti"),
        refused(
            "claims",
            "jti-unknown",
            _resigned(ep, fresh, jti="not-issued-here"),
            "visitor token unknown (a reset forgets issued tokens)",
        ),
        refused(
            "time",
            "iat-ahead-forged",
            lambda ctx: hand_token(
                {"alg": "HS256"},
                {**claims_of(fresh(ctx)), "iat": NOW + 3600},
                hmac_signer(ATTACKER_SECRET),
            ),
            "token is not a visitor token issued here",
        ),
        refused("lifetime", "expired-as-issued", lambda ctx: ctx.old["widget_visitor"], expired),
        refused("lifetime", "expired-exp-ten-years-on", _extended(ep, "widget_visitor"), expired),
        refused(
            "confusion",
            "session-token-as-visitor-token",
            lambda ctx: ctx.fresh["widget_session"],
            "token is not a visitor token issued here",
        ),
        refused(
            "confusion",
            "visitor-token-of-another-client-key",
            fresh,
            f"visitor token was minted for client key {WIDGET_KEY}, not {WIDGET_OTHER_KEY}",
            send=_exchange(WIDGET_OTHER_KEY),
        ),
        refused(
            "confusion",
            "unifize-access-token-at-widget",
            lambda ctx: ctx.fresh["unifize"],
            "token is not a visitor token issued here",
        ),
    ]


def widget_refresh_specific() -> list[Case]:
    ep = WIDGET_REFRESH

    def refused(klass: str, attack: str, build: Callable[[Ctx], str], reason: str) -> Case:
        return _explicit(ep, klass, attack, build, 400, BAD_REFRESH, reason)

    fresh = lambda ctx: ctx.fresh["widget_session"]  # noqa: E731
    expired = f"session expired at {_iso(OLD + 900)}, beyond the 300 s refresh grace"
    return [
        refused(
            "claims",
            "token_use-visitor",
            _resigned(ep, fresh, token_use="visitor"),
            "refresh_token is not a session token",
        ),
        refused("claims", "jti-number", _resigned(ep, fresh, jti=7), "refresh_token has no jti"),
        refused(
            "claims",
            "jti-unknown",
            _resigned(ep, fresh, jti="not-issued-here"),
            "session unknown (a reset forgets sessions)",
        ),
        refused(
            "time",
            "iat-ahead-forged",
            lambda ctx: hand_token(
                {"alg": "HS256"},
                {**claims_of(fresh(ctx)), "iat": NOW + 3600},
                hmac_signer(ATTACKER_SECRET),
            ),
            "refresh_token is not a session token issued here",
        ),
        refused(
            "lifetime",
            "expired-beyond-grace-as-issued",
            lambda ctx: ctx.old["widget_session"],
            expired,
        ),
        refused("lifetime", "expired-exp-ten-years-on", _extended(ep, "widget_session"), expired),
        refused(
            "confusion",
            "visitor-token-as-refresh-token",
            lambda ctx: ctx.fresh["widget_visitor"],
            "refresh_token is not a session token issued here",
        ),
        refused(
            "confusion",
            "web1on1-token-as-refresh-token",
            lambda ctx: ctx.fresh["web1on1"],
            "refresh_token is not a session token issued here",
        ),
    ]


def eight_by_eight_specific() -> list[Case]:
    ep = EIGHT_BY_EIGHT

    def refused(
        klass: str, attack: str, build: Callable[[Ctx], str], reason: str, *, prefix: bool = False
    ) -> Case:
        return _explicit(
            ep, klass, attack, build, 401, "Unauthorized Access", reason, prefix=prefix
        )

    fresh = lambda ctx: ctx.fresh["8x8"]  # noqa: E731
    expired = f"auth token expired at {_iso(OLD + 900)}"
    return [
        refused("claims", "jti-number", _resigned(ep, fresh, jti=7), "auth token has no jti"),
        refused(
            "claims",
            "jti-unknown",
            _resigned(ep, fresh, jti="not-issued-here"),
            "auth token unknown (a reset forgets issued tokens)",
        ),
        refused(
            "time",
            "iat-ahead-forged",
            lambda ctx: hand_token(
                {"alg": "HS256"},
                {**claims_of(fresh(ctx)), "iat": NOW + 3600},
                hmac_signer(ATTACKER_SECRET),
            ),
            "auth token signature does not verify: not issued here",
        ),
        refused("lifetime", "expired-as-issued", lambda ctx: ctx.old["8x8"], expired),
        refused("lifetime", "expired-exp-ten-years-on", _extended(ep, "8x8"), expired),
        refused(
            "confusion",
            "api-key-as-auth-token",
            lambda ctx: "demo-8x8-api-key-TEST-ONLY",
            "auth token refused: " + NOT_COMPACT,
            prefix=True,
        ),
        refused(
            "confusion",
            "widget-session-at-8x8",
            lambda ctx: ctx.fresh["widget_session"],
            "auth token signature does not verify: not issued here",
        ),
        refused(
            "confusion",
            "unifize-access-token-at-8x8",
            lambda ctx: ctx.fresh["unifize"],
            "auth token signature does not verify: not issued here",
        ),
    ]


def all_cases() -> list[Case]:
    cases = [case for ep in PRIMARY for make in GENERIC for case in make(ep)]
    cases += [case for ep in SECONDARY for case in cross_section(ep)]
    cases += uneeq_specific()
    cases += unifize_assertion_specific()
    cases += unifize_assertion_specific(UNIFIZE_INSTALLATION)[:3]
    for ep in (UNIFIZE_ACCESS, UNIFIZE_TOKENINFO):
        cases += unifize_access_specific(ep)
    cases += unifize_access_specific(UNIFIZE_ROOM)[:3]
    cases += web1on1_specific()
    cases += widget_exchange_specific()
    cases += widget_refresh_specific()
    cases += eight_by_eight_specific()
    return cases


CLASSES = (
    "alg-none",
    "alg-other",
    "key-confusion",
    "embedded-key",
    "kid",
    "crit",
    "segments",
    "base64url",
    "non-object",
    "claims",
    "time",
    "lifetime",
    "confusion",
)
