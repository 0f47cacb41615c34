"""Standard Webhooks signatures (the ``standardwebhooks`` reference implementation): inbound verification of the
fulfilment partner's events, and the headers the worker signs outbound events with."""

from __future__ import annotations

import json
from datetime import datetime
from typing import Any

from standardwebhooks import Webhook
from standardwebhooks.webhooks import WebhookVerificationError

from api.errors import MalformedBody, WebhookSignatureInvalid, WebhookTimestampOutOfTolerance


def verify_inbound(secret: str, body: bytes, headers: dict[str, str]) -> Any:
    """The verified JSON payload, or a 401 problem (bad or missing signature, timestamp outside 5 minutes); a
    signed body that is not JSON is a 400 ``malformed_body`` (one nested too deeply too, by the app's handler)."""
    try:
        return Webhook(secret).verify(body, headers)
    except WebhookVerificationError as error:
        if "timestamp too" in str(error):
            raise WebhookTimestampOutOfTolerance(
                f"{error}: webhook-timestamp must be within 5 minutes of the server's clock."
            ) from error
        raise WebhookSignatureInvalid(f"The webhook does not verify: {error}.") from error
    except json.JSONDecodeError as error:  # ``verify`` parses only once the signature holds
        raise MalformedBody(f"The webhook is correctly signed but its body is not JSON: {error.msg}.") from error
    except (ValueError, TypeError, UnicodeDecodeError) as error:  # malformed signature or body
        raise WebhookSignatureInvalid("The webhook's signature header or body is malformed.") from error


def sign(secret: str, event_id: str, body: str, at: datetime) -> dict[str, str]:
    """The three Standard Webhooks headers for one attempt."""
    return {
        "webhook-id": event_id,
        "webhook-timestamp": str(int(at.timestamp())),
        "webhook-signature": Webhook(secret).sign(event_id, at, body),
        "content-type": "application/json",
    }
