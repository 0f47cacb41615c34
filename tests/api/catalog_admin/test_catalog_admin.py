"""``/v1/admin/catalog`` over HTTP with a real Redis: import replaces one source, list, page, export, delete, every
refusal a problem document that leaves the catalogue as it was, and matches that list each shade once."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from pathlib import Path

import pytest
import redis
from litestar import Litestar
from litestar.testing import TestClient

from api.settings import Settings
from api.storage.client import connect
from api.storage.keys import shade_lock_key
from api.storage.shades import ShadeRepository, SourceBusy
from api.web.tokens import Role
from tests.api.web.test_problems import READING, assert_problem

Auth = Callable[..., dict[str, str]]
CSV = {"Content-Type": "text/csv"}
ACME = (
    "brand,product,shade_name,shade_code,hex\nAcme,Silk,Ivory,01,#E8C8A8\nAcme,Silk,Sand,02,#C8A07A\n"
    "Acme,Silk,,,#aabbcc\n"
)
BOLD = "brand,product,shade_code,colour_space,L,a,b\nBold,Matte,10,CIELAB D65,58,12,17\n"


def _put(client: TestClient[Litestar], auth: Auth, name: str, text: str | bytes, query: str = "") -> object:
    headers = {**auth(Role.ADMIN), **CSV}
    return client.put(f"/v1/admin/catalog/sources/{name}{query}", content=text, headers=headers)


def _count(client: TestClient[Litestar], auth: Auth) -> dict[str, int]:
    response = client.get("/v1/admin/catalog", headers=auth(Role.ADMIN))
    assert response.status_code == 200, response.text
    return {source["name"]: source["shades"] for source in response.json()["sources"]}


def test_an_import_replaces_its_source_only_and_reports_what_it_skipped(
    client: TestClient[Litestar], auth: Auth
) -> None:
    assert _count(client, auth) == {"house": 18}
    first = _put(client, auth, "acme", ACME)
    assert first.status_code == 200, first.text  # type: ignore[attr-defined]
    report = first.json()  # type: ignore[attr-defined]
    assert (report["rows_read"], report["imported"], report["skipped_count"], report["replaced"]) == (3, 2, 1, 0)
    assert report["skipped"] == [{"line": 4, "reason": "no shade name or code"}]
    assert report["catalogue_shades"] == 20
    assert _put(client, auth, "bold", BOLD).status_code == 200  # type: ignore[attr-defined]
    again = _put(client, auth, "acme", ACME).json()  # type: ignore[attr-defined]
    assert (again["imported"], again["replaced"]) == (2, 2)
    assert _count(client, auth) == {"house": 18, "acme": 2, "bold": 1}  # not doubled; the house range kept
    overview = client.get("/v1/admin/catalog", headers=auth(Role.ADMIN)).json()
    assert overview["shades"] == 21
    assert overview["sources"][0]["protected"] is True
    assert overview["sources"][1]["file_name"] is None
    assert overview["sources"][1]["rows_skipped"] == 1


def test_a_multipart_upload_and_the_colour_space_parameter(client: TestClient[Litestar], auth: Auth) -> None:
    lab_only = b"brand,product,shade_code,L,a,b\nLab,Only,1,60,12,18\n"
    files = {"file": ("lab.csv", lab_only, "text/csv")}
    url = "/v1/admin/catalog/sources/lab"
    refused = client.put(url, files=files, headers=auth(Role.ADMIN))
    body = assert_problem(refused, 422, "colour_space_unknown")
    assert body["line"] == 2
    assert "D50" in body["detail"]
    done = client.put(url + "?colour_space=CIELAB%20D65&approximate=true", files=files, headers=auth(Role.ADMIN))
    assert done.status_code == 200, done.text
    assert done.json()["file_name"] == "lab.csv"
    page = client.get("/v1/admin/catalog/shades?source=lab", headers=auth(Role.ADMIN)).json()
    assert page["items"][0]["lab"] == {"L": 60.0, "a": 12.0, "b": 18.0}
    assert page["items"][0]["approximate"] is True
    assert_problem(client.put(url + "?colour_space=Adobe%20RGB", files=files, headers=auth(Role.ADMIN)), 400,
                   "invalid_request")  # fmt: skip
    as_form = client.put(url, files=files, data={"colour_space": "CIELAB D65"}, headers=auth(Role.ADMIN))
    body = assert_problem(as_form, 400, "invalid_request")  # a form part that would be ignored is refused
    assert "'colour_space' is not read" in body["detail"]
    assert "query parameters" in body["detail"]


def test_pages_walk_every_source_once(client: TestClient[Litestar], auth: Auth) -> None:
    _put(client, auth, "acme", ACME)
    _put(client, auth, "bold", BOLD)
    seen, cursor = [], None
    while True:
        query = "?limit=7" + (f"&cursor={cursor}" if cursor else "")
        page = client.get("/v1/admin/catalog/shades" + query, headers=auth(Role.ADMIN)).json()
        assert len(page["items"]) <= 7
        seen += [(item["source"], item["shade_name"], item["shade_code"]) for item in page["items"]]
        cursor = page["next_cursor"]
        if cursor is None:
            break
    assert len(seen) == len(set(seen)) == 21
    assert [s for s, *_ in seen[-3:]] == ["acme", "acme", "bold"]
    assert_problem(client.get("/v1/admin/catalog/shades?cursor=nope:1", headers=auth(Role.ADMIN)), 400,
                   "invalid_request")  # fmt: skip
    assert_problem(client.get("/v1/admin/catalog/shades?source=none", headers=auth(Role.ADMIN)), 404, "not_found")


def test_export_imports_back_to_the_same_catalogue(client: TestClient[Litestar], auth: Auth) -> None:
    _put(client, auth, "acme", ACME)
    exported = client.get("/v1/admin/catalog/sources/acme/export", headers=auth(Role.ADMIN))
    assert exported.status_code == 200
    assert exported.headers["content-type"] == "text/csv; charset=utf-8"  # the charset said once
    assert 'filename="acme.csv"' in exported.headers["content-disposition"]
    before = client.get("/v1/admin/catalog/shades?source=acme", headers=auth(Role.ADMIN)).json()
    assert _put(client, auth, "acme", exported.text).status_code == 200  # type: ignore[attr-defined]
    after = client.get("/v1/admin/catalog/shades?source=acme", headers=auth(Role.ADMIN)).json()
    assert after == before
    assert client.get("/v1/admin/catalog/sources/acme/export", headers=auth(Role.ADMIN)).text == exported.text
    house = client.get("/v1/admin/catalog/sources/house/export", headers=auth(Role.ADMIN)).text
    assert house.count("\nhouse,tonematch,") == 18


def test_delete_and_the_protected_house_range(client: TestClient[Litestar], auth: Auth) -> None:
    _put(client, auth, "acme", ACME)
    assert client.delete("/v1/admin/catalog/sources/acme", headers=auth(Role.ADMIN)).status_code == 204
    assert_problem(client.delete("/v1/admin/catalog/sources/acme", headers=auth(Role.ADMIN)), 404, "not_found")
    assert_problem(client.delete("/v1/admin/catalog/sources/house", headers=auth(Role.ADMIN)), 409,
                   "catalogue_source_protected")  # fmt: skip
    assert_problem(_put(client, auth, "house", ACME), 409, "catalogue_source_protected")
    assert_problem(_put(client, auth, "Bad%20Name", ACME), 400, "invalid_request")
    assert _count(client, auth) == {"house": 18}


@pytest.mark.parametrize(
    ("body", "code", "detail"),
    [
        (b"", "catalogue_empty", "empty"),
        ("brand,product,shade_name,hex\nLancôme,Teint,Beige,#C8A07A\n".encode("latin-1"), "catalogue_encoding",
         "not UTF-8"),
        (b"brand,shade_name,hex\nA,N,#aabbcc\n", "catalogue_columns_missing", "product"),
        (b"brand,product,shade_name,colour_space,hex\nA,P,N,P3,#aabbcc\n", "colour_space_unknown", "'P3'"),
        (b"brand,product,shade_name,colour_space,L,a,b\nA,P,N,CIELAB D65,101,0,0\n", "lab_out_of_range", "Row 2"),
        (b"brand,product,shade_name,hex\nA,P,N,#GGGGGG\n", "hex_invalid", "Row 2"),
    ],
)  # fmt: skip
def test_a_refused_file_is_a_problem_and_leaves_the_catalogue(
    client: TestClient[Litestar], auth: Auth, body: bytes, code: str, detail: str
) -> None:
    _put(client, auth, "acme", ACME)
    problem = assert_problem(_put(client, auth, "acme", body), 422, code)
    assert detail in problem["detail"]
    assert "as it was" in problem["hint"]
    assert _count(client, auth) == {"house": 18, "acme": 2}


def test_strict_refuses_skipped_rows(client: TestClient[Litestar], auth: Auth) -> None:
    problem = assert_problem(_put(client, auth, "acme", ACME, "?strict=true"), 422, "catalogue_rows_skipped")
    assert problem["line"] == 4


def test_the_size_limit(make_settings: Callable[..., Settings], auth: Auth) -> None:
    with TestClient(create_app_with(make_settings(max_catalogue_bytes=200)), raise_server_exceptions=False) as client:
        assert_problem(_put(client, auth, "acme", ACME * 3), 413, "body_too_large")  # by its Content-Length
        chunked = client.put("/v1/admin/catalog/sources/acme", content=iter([ACME.encode()] * 3),
                             headers={**auth(Role.ADMIN), **CSV})  # fmt: skip
        assert_problem(chunked, 413, "catalogue_too_large")  # no Content-Length: counted as read
        assert _put(client, auth, "acme", ACME).status_code == 200  # type: ignore[attr-defined]


def create_app_with(settings: Settings) -> Litestar:
    from api.app import create_app

    return create_app(settings)


def test_only_the_admin(client: TestClient[Litestar], auth: Auth) -> None:
    assert_problem(client.get("/v1/admin/catalog", headers=auth(Role.LAB)), 403, "role_not_allowed")
    assert_problem(client.put("/v1/admin/catalog/sources/x", content=ACME, headers={**CSV, **auth(Role.CUSTOMER, "c")}),
                   403, "role_not_allowed")  # fmt: skip


def test_an_import_under_way_blocks_another_of_the_same_source(
    client: TestClient[Litestar], auth: Auth, redis_url: str
) -> None:
    _put(client, auth, "acme", ACME)
    connection = redis.Redis.from_url(redis_url)
    connection.set(shade_lock_key("acme"), "someone-else", ex=60)
    assert_problem(_put(client, auth, "acme", BOLD), 409, "catalogue_import_in_progress")
    assert_problem(client.delete("/v1/admin/catalog/sources/acme", headers=auth(Role.ADMIN)), 409,
                   "catalogue_import_in_progress")  # fmt: skip
    assert _put(client, auth, "bold", BOLD).status_code == 200  # type: ignore[attr-defined]
    connection.delete(shade_lock_key("acme"))
    connection.close()
    assert _count(client, auth) == {"house": 18, "acme": 2, "bold": 1}


def test_two_imports_of_one_source_at_once_never_interleave(settings: Settings) -> None:
    first = [{"brand": "A", "product": "P", "name": f"a{i}", "code": "", "Lab_D65": [50, 10, 10],
              "colour_space": "sRGB", "approximate": False} for i in range(3000)]  # fmt: skip
    second = [{**row, "name": f"b{i}"} for i, row in enumerate(first[:2000])]

    async def race() -> tuple[list[object], list[str]]:
        client = connect(settings)
        repository = ShadeRepository(client)
        outcomes = await asyncio.gather(
            *(repository.replace("race", rows, {}) for rows in (first, second, first, second)), return_exceptions=True
        )
        names = [row["name"] for row in await repository.page("race", 0, 10_000)]
        await client.aclose()
        return list(outcomes), names

    outcomes, names = asyncio.run(race())
    assert any(isinstance(o, int) for o in outcomes)
    assert all(isinstance(o, int | SourceBusy) for o in outcomes)
    assert names in ([r["name"] for r in first], [r["name"] for r in second])


def test_matches_list_each_shade_once(client: TestClient[Litestar], auth: Auth) -> None:
    near = "brand,product,shade_name,shade_code,colour_space,L,a,b\nAcme,Silk,Exact,01,CIELAB D65,58,12,17\n"
    _put(client, auth, "one", near)
    _put(client, auth, "two", near.replace("Exact", "EXACT"))  # the same product, listed by another source
    _put(client, auth, "three", near.replace("Exact,01", "Renamed,09"))  # the same colour of the same brand
    measured = client.post("/v1/measurements/", json={**READING, "lab": {"L": 58, "a": 12, "b": 17}},
                           headers=auth(Role.CUSTOMER, "alice"))  # fmt: skip
    matched = client.post("/v1/matches/", json={"measurement_id": measured.json()["id"]},
                          headers=auth(Role.CUSTOMER, "alice"))  # fmt: skip
    shades = matched.json()["nearest_shades"]
    assert [(s["brand"], s["shade_name"]) for s in shades].count(("Acme", "Exact")) == 1
    assert len({(s["brand"], s["shade_name"].casefold(), s["lab"]["L"]) for s in shades}) == len(shades)
    assert sum(s["brand"] == "Acme" for s in shades) == 1


def test_the_real_catalogue_imports_over_http(client: TestClient[Litestar], auth: Auth, shared_data: Path) -> None:
    data = (shared_data / "foundation_shades" / "foundation_shades_combined_lab.csv").read_bytes()
    report = _put(client, auth, "pudding", data).json()  # type: ignore[attr-defined]
    assert (report["rows_read"], report["skipped_count"], report["imported"]) == (7441, 625, 6750)
    assert report["skipped_reasons"] == {"no shade name or code": 625}
    assert len(report["skipped"]) == 100
    again = _put(client, auth, "pudding", data).json()  # type: ignore[attr-defined]
    assert (again["imported"], again["replaced"], again["catalogue_shades"]) == (6750, 6750, 6768)
