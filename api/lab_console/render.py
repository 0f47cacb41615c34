"""Pages of the lab's console: Jinja templates shipped in the package, rendered with autoescaping, answered with
headers that keep them out of caches and frames and let them load nothing but this server's own files."""

from __future__ import annotations

from functools import lru_cache
from typing import Any

import segno
from jinja2 import Environment, PackageLoader, StrictUndefined, select_autoescape
from litestar import Response
from litestar.datastructures import Cookie
from litestar.response import Redirect
from markupsafe import Markup

# Scripts and styles only from /lab/static (no inline script, no CDN); SVG swatches and the QR code are markup.
CONTENT_SECURITY_POLICY = (
    "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; "
    "form-action 'self'; frame-ancestors 'none'; base-uri 'none'"
)
PAGE_HEADERS = {
    "Content-Security-Policy": CONTENT_SECURITY_POLICY,
    "Cache-Control": "no-store",
    "Referrer-Policy": "same-origin",
    "X-Content-Type-Options": "nosniff",
    "X-Frame-Options": "DENY",
}
QR_ERROR_LEVEL = "m"  # 15 % of the code can be lost (a smudged label) and the order id still reads


def qr_svg(text: str, *, scale: int = 4) -> Markup:
    """A QR code of ``text`` as inline SVG (segno), dark modules on a white quiet zone, for print and screen; it has
    a viewBox and no size, so the page's CSS sets its size in millimetres."""
    svg = segno.make(text, error=QR_ERROR_LEVEL, micro=False).svg_inline(
        scale=scale, border=2, dark="#000", light="#fff", title=f"QR code: {text}", svgclass="qr", omitsize=True
    )
    return Markup(svg)  # noqa: S704 - segno's own SVG, of an id checked against the order id pattern


@lru_cache(maxsize=1)
def templates() -> Environment:
    """The console's templates, loaded from the package once."""
    environment = Environment(
        loader=PackageLoader("api.lab_console", "templates"),
        autoescape=select_autoescape(["html"]),
        undefined=StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )
    environment.globals["qr_svg"] = qr_svg
    return environment


def page(name: str, *, status_code: int = 200, cookies: list[Cookie] | None = None, **context: Any) -> Response[str]:
    """``name`` rendered with ``context``, as an HTML response with the console's headers."""
    html = templates().get_template(name).render(**context)
    return Response(
        content=html, status_code=status_code, media_type="text/html", headers=PAGE_HEADERS, cookies=cookies
    )


def see_other(path: str, *, cookies: list[Cookie] | None = None) -> Redirect:
    """A 303 to ``path`` on this server (after a form: the browser then GETs it, and reloading repeats nothing)."""
    return Redirect(path=path, status_code=303, headers=PAGE_HEADERS, cookies=cookies)
