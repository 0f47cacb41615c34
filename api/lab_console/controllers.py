"""``/lab/``: the formulation lab's console in the browser (server-rendered pages, a session cookie, CSRF tokens).

Every page but the sign-in needs a lab session (``api.lab_console.sessions``); the routes are marked public only
to the bearer-token middleware, and admit the ``lab`` role through the session instead. Each handler calls one
service and renders one page; errors of a form come back on its page in plain words.
"""

from __future__ import annotations

import logging
import secrets
from typing import Annotated, Any

from litestar import Controller, Request, Response, get, post
from litestar.datastructures import Cookie
from litestar.di import NamedDependency, Provide
from litestar.params import Parameter
from litestar.response import Redirect

from api.errors import ApiError
from api.formulations.service import FormulationService
from api.lab_console import views
from api.lab_console.render import page, see_other
from api.lab_console.sessions import (
    COOKIE_PATH,
    CSRF_FIELD,
    FORM,
    LOGIN_COOKIE,
    LOGIN_COOKIE_SECONDS,
    SESSION_COOKIE,
    LabForm,
    SignInRefused,
    lab_session_guard,
    login_csrf_guard,
    login_csrf_token,
    provide_form,
    provide_session,
    session_token,
    staff_service,
)
from api.orders.service import OrderService
from api.orders.states import OrderStatus
from api.settings import Settings
from api.storage.lab_staff import LabSession
from api.web.auth import PUBLIC_KEY, allow
from api.web.content_types import ACCEPTS_KEY, MULTIPART
from api.web.tokens import Role
from color.errors import ColorError

logger = logging.getLogger("tonematch.lab")
# Public to the bearer middleware (no Authorization header); the session guard admits the lab role.
CONSOLE_OPT: dict[str, Any] = {PUBLIC_KEY: True, ACCEPTS_KEY: (FORM, MULTIPART)}
OrderId = Annotated[str, Parameter(max_length=64)]
Query = Annotated[str | None, Parameter(required=False, max_length=200)]


def _cookie(settings: Settings, key: str, value: str, max_age: int) -> Cookie:
    return Cookie(key=key, value=value, path=COOKIE_PATH, max_age=max_age, httponly=True,
                  secure=settings.lab_cookie_secure, samesite="strict")  # fmt: skip


def _sign_in_page(
    settings: Settings, *, error: str | None = None, name: str = "", status_code: int = 200
) -> Response[str]:
    login_cookie = secrets.token_urlsafe(32)
    return page(
        "login.html",
        status_code=status_code,
        cookies=[_cookie(settings, LOGIN_COOKIE, login_cookie, LOGIN_COOKIE_SECONDS)],
        csrf=login_csrf_token(settings.resolved_secret_key(), login_cookie),
        error=error,
        typed_name=name,
        staff=None,
    )


class LabSignInController(Controller):
    path = "/lab"
    include_in_schema = False
    opt = CONSOLE_OPT  # Litestar reads these class attributes

    @get("/login")
    async def sign_in_form(self, settings: NamedDependency[Settings]) -> Response[str]:
        return _sign_in_page(settings)

    @post("/login", guards=[login_csrf_guard], dependencies={"form": Provide(provide_form, sync_to_thread=False)})
    async def sign_in(
        self, request: Request[Any, Any, Any], form: NamedDependency[LabForm], settings: NamedDependency[Settings]
    ) -> Response[Any]:
        address = request.client.host if request.client else "unknown"
        try:
            token, _ = await staff_service(request.app.state).sign_in(
                form.get("name"), form.fields.get("password", ""), address=address
            )
        except SignInRefused as refused:
            response = _sign_in_page(settings, error=str(refused), name=form.get("name")[:64],
                                     status_code=refused.status_code)  # fmt: skip
            if refused.retry_after is not None:
                response.headers["Retry-After"] = str(max(1, round(refused.retry_after)))
            return response
        session_cookie = _cookie(settings, SESSION_COOKIE, token, settings.lab_session_seconds)
        gone = Cookie(key=LOGIN_COOKIE, value="", path=COOKIE_PATH, max_age=0, expires=0)
        return see_other("/lab/", cookies=[session_cookie, gone])


class LabConsoleController(Controller):
    path = "/lab"
    include_in_schema = False
    opt = CONSOLE_OPT
    guards = [lab_session_guard, allow(Role.LAB)]  # noqa: RUF012
    dependencies = {  # noqa: RUF012
        "form": Provide(provide_form, sync_to_thread=False),
        "session": Provide(provide_session, sync_to_thread=False),
    }

    @get("/")
    async def queue(
        self,
        orders: NamedDependency[OrderService],
        session: NamedDependency[LabSession],
        status: Query = None,
        cursor: Query = None,
    ) -> Response[str]:
        try:
            current = views.parse_status(status)
            listed = await views.queue_page(orders, current, cursor)
        except (views.FormError, ApiError) as error:
            return await self._queue_page(
                orders, session, OrderStatus.RECEIVED, None, error=views.plain_error(error), code=400
            )
        return await self._queue_page(orders, session, current, listed, error=None, code=200)

    @staticmethod
    async def _queue_page(
        orders: OrderService, session: LabSession, status: OrderStatus, listed: Any, *, error: str | None, code: int
    ) -> Response[str]:
        return page(
            "queue.html",
            status_code=code,
            staff=session.staff,
            csrf=session.csrf,
            status=status,
            labels=views.STATUS_LABELS,
            counts=await views.queue_counts(orders),
            listed=listed,
            error=error,
        )

    @get("/counts")
    async def counts(self, orders: NamedDependency[OrderService]) -> Response[dict[str, str]]:
        """The live counts the queue page polls (JSON)."""
        return Response(await views.queue_counts(orders), headers={"Cache-Control": "no-store"})

    @get("/orders/{order_id:str}")
    async def order(
        self,
        *,
        order_id: OrderId,
        orders: NamedDependency[OrderService],
        formulations: NamedDependency[FormulationService],
        session: NamedDependency[LabSession],
        batch_g: Query = None,
        done: Query = None,
    ) -> Response[str]:
        view = await views.order_view(orders, formulations, order_id, batch_g)
        return self._order_page(view, session, notice=views.ACTIONS.get(done or "") or _qc_notice(done))

    @staticmethod
    def _order_page(
        view: views.OrderView,
        session: NamedDependency[LabSession],
        *,
        notice: str | None = None,
        error: str | None = None,
        status_code: int = 200,
        qc: dict[str, str] | None = None,
    ) -> Response[str]:
        return page("order.html", status_code=status_code, v=view, staff=session.staff, csrf=session.csrf,
                    notice=notice, error=error, qc=qc or {}, labels=views.STATUS_LABELS,
                    upload_note=views.MAX_UPLOAD_NOTE, over_labels=views.OVER_LABELS)  # fmt: skip

    @get("/orders/{order_id:str}/sheet")
    async def sheet(
        self,
        order_id: OrderId,
        orders: NamedDependency[OrderService],
        formulations: NamedDependency[FormulationService],
        session: NamedDependency[LabSession],
        batch_g: Query = None,
    ) -> Response[str]:
        view = await views.order_view(orders, formulations, order_id, batch_g)
        return page("sheet.html", status_code=200 if view.sheet else 422, v=view, staff=session.staff)

    @get("/orders/{order_id:str}/label")
    async def label(
        self,
        order_id: OrderId,
        orders: NamedDependency[OrderService],
        formulations: NamedDependency[FormulationService],
        session: NamedDependency[LabSession],
    ) -> Response[str]:
        view = await views.order_view(orders, formulations, order_id)
        return page("label.html", v=view, staff=session.staff)

    @post("/orders/{order_id:str}/qc", status_code=303)
    async def quality_check(
        self,
        order_id: OrderId,
        form: NamedDependency[LabForm],
        session: NamedDependency[LabSession],
        orders: NamedDependency[OrderService],
        formulations: NamedDependency[FormulationService],
    ) -> Response[Any]:
        try:
            measurement, source = views.quality_check_from_form(form)
            result = await orders.quality_check(order_id, measurement, actor=f"lab:{session.staff}")
        except (views.FormError, ApiError, ColorError) as error:
            view = await views.order_view(orders, formulations, order_id)
            code = getattr(error, "status_code", 422)
            typed = {name: form.get(name) for name in ("batch_id", "batch_g", "over", "L", "a", "b")}
            return self._order_page(view, session, error=views.plain_error(error), status_code=code, qc=typed)
        outcome = "passed" if result.correction.passed else "failed"
        logger.info("lab QC of %s by %s: batch %s %s (%s)", order_id, session.staff, measurement.batch_id, outcome,
                    source)  # fmt: skip
        return see_other(f"/lab/orders/{order_id}?done=qc-{outcome}#qc-result")

    @post("/orders/{order_id:str}/{action:str}", status_code=303)
    async def action(
        self,
        *,
        order_id: OrderId,
        action: Annotated[str, Parameter(max_length=20)],
        form: NamedDependency[LabForm],
        session: NamedDependency[LabSession],
        orders: NamedDependency[OrderService],
        formulations: NamedDependency[FormulationService],
    ) -> Response[Any]:
        del form  # checked by the guard (CSRF); these actions take nothing else
        try:
            if action not in views.ACTIONS:
                raise views.FormError(f"There is no action {action!r}; the console knows start, rework and ready.")
            await orders.lab_action(order_id, action, actor=f"lab:{session.staff}")
        except (views.FormError, ApiError) as error:
            view = await views.order_view(orders, formulations, order_id)
            code = getattr(error, "status_code", 400)
            return self._order_page(view, session, error=views.plain_error(error), status_code=code)
        return see_other(f"/lab/orders/{order_id}?done={action}")

    @post("/logout", status_code=303)
    async def sign_out(self, request: Request[Any, Any, Any], form: NamedDependency[LabForm]) -> Redirect:
        del form
        await staff_service(request.app.state).sign_out(session_token(request))
        gone = Cookie(key=SESSION_COOKIE, value="", path=COOKIE_PATH, max_age=0, expires=0)
        return see_other("/lab/login", cookies=[gone])


def _qc_notice(done: str | None) -> str | None:
    return {
        "qc-passed": "QC passed: the batch is within tolerance. Mark it ready to ship when it is bottled.",
        "qc-failed": "QC failed: the correction below says what to add.",
    }.get(done or "")


__all__ = ["CSRF_FIELD", "LabConsoleController", "LabSignInController"]
