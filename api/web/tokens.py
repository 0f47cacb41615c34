"""Bearer tokens: JWTs (RFC 7519) signed with HS256 by the server's secret, carrying a role and a subject."""

from __future__ import annotations

import re
import time
import uuid
from dataclasses import dataclass
from enum import StrEnum

import jwt

from api.errors import ExpiredToken, InvalidToken

ALGORITHM = "HS256"
SUBJECT_PATTERN = re.compile(r"^[A-Za-z0-9_-]{1,64}$")
LEEWAY_SECONDS = 30  # clock skew tolerated between the minting host and this one


class Role(StrEnum):
    """Who is calling: the mobile app's customer, the formulation lab, the fulfilment partner, or an admin."""

    CUSTOMER = "customer"
    LAB = "lab"
    FULFILMENT = "fulfilment"
    ADMIN = "admin"


@dataclass(frozen=True, slots=True)
class Principal:
    """The authenticated caller. For a customer, ``subject`` is the customer id that owns its data."""

    role: Role
    subject: str
    token_id: str
    expires_at: int = 0  # Unix time


def mint_token(*, secret: str, issuer: str, role: Role, subject: str | None, ttl_seconds: int) -> str:
    """Create a signed token. A customer token must name its customer id; others default to the role name."""
    if role is Role.CUSTOMER and not subject:
        raise ValueError("a customer token needs --subject CUSTOMER_ID")
    subject = subject or role.value
    if not SUBJECT_PATTERN.fullmatch(subject):
        raise ValueError("subject must be 1-64 characters of letters, digits, '_' or '-'")
    if ttl_seconds <= 0:
        raise ValueError("ttl must be positive")
    now = int(time.time())
    claims = {
        "iss": issuer,
        "sub": subject,
        "role": role.value,
        "iat": now,
        "exp": now + ttl_seconds,
        "jti": uuid.uuid4().hex,
    }
    return jwt.encode(claims, secret, algorithm=ALGORITHM)


def _why_invalid(error: jwt.InvalidTokenError) -> str:
    """A plain reason, in our words rather than the JWT library's (they change between versions)."""
    if isinstance(error, jwt.MissingRequiredClaimError):
        return f"lacks the {error.claim!r} claim"
    reasons: list[tuple[type[jwt.InvalidTokenError], str]] = [
        (jwt.InvalidSignatureError, "has a signature that does not verify"),
        (jwt.InvalidAlgorithmError, f"is not signed with {ALGORITHM}"),
        (jwt.InvalidIssuerError, "was issued by another service"),
        (jwt.ImmatureSignatureError, "is not valid yet (issued in the future)"),
        (jwt.DecodeError, "is not a well-formed JSON Web Token"),
    ]
    return next((reason for kind, reason in reasons if isinstance(error, kind)), "is not valid")


def verify_token(token: str, *, secret: str, issuer: str) -> Principal:
    """Check signature, issuer, expiry and claims; raise ``InvalidToken`` or ``ExpiredToken``."""
    try:
        claims = jwt.decode(
            token,
            secret,
            algorithms=[ALGORITHM],
            issuer=issuer,
            leeway=LEEWAY_SECONDS,
            options={"require": ["exp", "iat", "iss", "sub", "role", "jti"]},
        )
    except jwt.ExpiredSignatureError as exc:
        raise ExpiredToken("The bearer token has expired.", hint="Sign in again to get a new token.") from exc
    except jwt.InvalidTokenError as exc:
        raise InvalidToken(f"The bearer token {_why_invalid(exc)}.") from exc
    try:
        role = Role(claims["role"])
    except ValueError as exc:
        raise InvalidToken("The bearer token names an unknown role.") from exc
    subject = claims["sub"]
    if not isinstance(subject, str) or not SUBJECT_PATTERN.fullmatch(subject):
        raise InvalidToken("The bearer token has a malformed subject.")
    return Principal(role=role, subject=subject, token_id=str(claims["jti"]), expires_at=int(claims["exp"]))
