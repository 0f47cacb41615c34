"""multipart/form-data parsed entirely in memory.

Litestar's ``UploadFile`` spools parts above 1 MB to a temporary file on disk; a face photo must never
touch disk, so photo uploads are parsed here from the (size-limited) body held in memory, with the same
parser library Litestar uses.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from litestar import Request
from multipart import MultipartSegment, ParserError, ParserLimitReached, PushMultipartParser

from api.errors import MalformedBody as MalformedMultipart

MAX_PARTS = 16


@dataclass(frozen=True, slots=True)
class FormPart:
    name: str
    filename: str | None
    content_type: str | None
    data: bytes


def _boundary(request: Request[Any, Any, Any]) -> bytes:
    _, options = request.content_type
    boundary = options.get("boundary")
    if not boundary:
        raise MalformedMultipart("The multipart/form-data Content-Type has no boundary.")
    return boundary.encode("latin-1")


async def read_form_in_memory(request: Request[Any, Any, Any]) -> dict[str, list[FormPart]]:
    """All parts of a multipart/form-data body, by field name, as bytes in memory."""
    body = await request.body()
    fields: dict[str, list[FormPart]] = {}
    segment: MultipartSegment | None = None
    chunks: list[bytes] = []
    try:
        with PushMultipartParser(_boundary(request), max_segment_count=MAX_PARTS) as parser:
            for event in parser.parse(body):
                if isinstance(event, MultipartSegment):
                    segment, chunks = event, []
                elif event:
                    chunks.append(bytes(event))
                elif segment is not None:
                    if not segment.name:
                        raise MalformedMultipart("A part of the multipart body has no name in its Content-Disposition.")
                    part = FormPart(segment.name, segment.filename, segment.content_type, b"".join(chunks))
                    fields.setdefault(segment.name, []).append(part)
                    segment, chunks = None, []
            for _ in parser.parse(b""):  # end of input: the parser checks the closing boundary
                pass
    except ParserLimitReached as exc:
        if "segment count" in str(exc):
            raise MalformedMultipart(f"A multipart body may have at most {MAX_PARTS} parts.") from exc
        raise MalformedMultipart(f"A part of the multipart body is over a limit: {exc}.") from exc
    except ParserError as exc:
        # The parser's message may be a tuple holding the undecodable header bytes: say what is wrong, not its repr.
        reason = exc.args[0] if exc.args and isinstance(exc.args[0], str) else str(exc)
        raise MalformedMultipart(f"The multipart/form-data body is malformed: {reason.rstrip('.')}.") from exc
    if not parser.closed:
        raise MalformedMultipart("The multipart/form-data body is truncated.")
    return fields
