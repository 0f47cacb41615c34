"""The API's error tree. Each error has an HTTP status, a stable ``code`` and an optional hint.

Errors from ``color/`` and ``catalog/`` have their own trees; ``api.web.problems`` maps all of them to
RFC 9457 problem documents in one place.
"""

from __future__ import annotations

from typing import Any


class ApiError(Exception):
    """Base of every error the API raises on purpose."""

    status_code: int = 400
    code: str = "bad_request"
    title: str = "Bad request"

    def __init__(self, detail: str, *, hint: str | None = None, extra: dict[str, Any] | None = None) -> None:
        super().__init__(detail)
        self.detail = detail
        self.hint = hint
        self.extra = extra or {}


class NotFound(ApiError):
    """Unknown resource, or one that belongs to someone else (same answer, so ids cannot be probed)."""

    status_code = 404
    code = "not_found"
    title = "Not found"


class Unauthenticated(ApiError):
    status_code = 401
    code = "token_missing"
    title = "Authentication required"


class RevokedToken(Unauthenticated):
    code = "token_revoked"
    title = "Token revoked"


class UnknownConsentVersion(ApiError):
    status_code = 422
    code = "consent_version_unknown"
    title = "Unknown privacy notice version"


class TooManyRequests(ApiError):
    """Over a per-customer budget; ``retry_after`` (seconds) goes out as the Retry-After header."""

    status_code = 429
    code = "too_many_requests"
    title = "Too many requests"

    def __init__(self, detail: str, *, retry_after: float) -> None:
        super().__init__(detail, hint="Wait, then try again.", extra={"retry_after_seconds": round(retry_after)})
        self.retry_after = max(1, round(retry_after))


class InvalidToken(Unauthenticated):
    code = "token_invalid"
    title = "Invalid token"


class ExpiredToken(Unauthenticated):
    code = "token_expired"
    title = "Token expired"


class Forbidden(ApiError):
    status_code = 403
    code = "role_not_allowed"
    title = "Role not allowed"


class UnsupportedMediaType(ApiError):
    status_code = 415
    code = "unsupported_media_type"
    title = "Unsupported media type"


class InvalidRequest(ApiError):
    """A request that does not match its schema (the errors list says where)."""

    code = "invalid_request"
    title = "Invalid request"


class MalformedBody(ApiError):
    """A body that cannot be parsed at all (JSON or multipart)."""

    code = "malformed_body"
    title = "Malformed request body"


class BodyTooLarge(ApiError):
    status_code = 413
    code = "body_too_large"
    title = "Request body too large"


class Conflict(ApiError):
    status_code = 409
    code = "conflict"
    title = "Conflict"


class ServiceUnavailable(ApiError):
    status_code = 503
    code = "service_unavailable"
    title = "Service unavailable"


class IdempotencyKeyRequired(ApiError):
    code = "idempotency_key_required"
    title = "Idempotency-Key header required"


class IdempotencyKeyReused(Conflict):
    code = "idempotency_key_reused"
    title = "Idempotency-Key already used for another request"


class InvalidTransition(Conflict):
    code = "invalid_transition"
    title = "The order is not in a state that allows this"


class OrdersInProgress(Conflict):
    code = "orders_in_progress"
    title = "Orders in production or on the way"


class BatchIdReused(Conflict):
    """A batch id that already has a correction, posted with another measurement (the same one answers it again)."""

    code = "batch_id_reused"
    title = "Batch id already recorded with another measurement"


class BatchSizeNotMakeable(ApiError):
    """A batch size outside what the lab's dispenser makes (the settings' minimum, maximum and step)."""

    status_code = 422
    code = "batch_size_not_makeable"
    title = "Batch size the dispenser cannot make"


class WebhookSignatureInvalid(ApiError):
    status_code = 401
    code = "webhook_signature_invalid"
    title = "Webhook signature does not verify"


class WebhookTimestampOutOfTolerance(WebhookSignatureInvalid):
    code = "webhook_timestamp_out_of_tolerance"
    title = "Webhook timestamp outside the tolerance"


class StorageUnavailable(ServiceUnavailable):
    code = "storage_unavailable"
    title = "Storage unavailable"
