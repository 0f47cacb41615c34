"""The catalogue's problems over HTTP: each refusal of ``catalog.shades`` as an API error with its own ``code``."""

from __future__ import annotations

from api.errors import ApiError, Conflict
from catalog.shades import CatalogueError

UNCHANGED = "Nothing was imported: the catalogue is as it was. Fix the file and import it again."


class CatalogueRefused(ApiError):
    """A catalogue file that cannot be imported."""

    status_code = 422
    code = "invalid_catalogue"
    title = "Catalogue file refused"


class CatalogueEmptyProblem(CatalogueRefused):
    code = "catalogue_empty"
    title = "No shades in the catalogue file"


class CatalogueEncodingProblem(CatalogueRefused):
    code = "catalogue_encoding"
    title = "Catalogue file is not UTF-8 text"


class CatalogueColumnsMissing(CatalogueRefused):
    code = "catalogue_columns_missing"
    title = "Columns missing from the catalogue file"


class ColourSpaceUnknown(CatalogueRefused):
    code = "colour_space_unknown"
    title = "Unknown or unstated colour space"


class LabOutOfRange(CatalogueRefused):
    code = "lab_out_of_range"
    title = "L*a*b* outside the possible range"


class HexInvalid(CatalogueRefused):
    code = "hex_invalid"
    title = "Not an sRGB hex colour"


class RowsSkippedStrict(CatalogueRefused):
    code = "catalogue_rows_skipped"
    title = "Rows without a brand, product or shade name or code"


class CatalogueTooLarge(ApiError):
    status_code = 413
    code = "catalogue_too_large"
    title = "Catalogue file too large"


class SourceProtected(Conflict):
    code = "catalogue_source_protected"
    title = "This catalogue source cannot be changed"


class SourceBusyProblem(Conflict):
    code = "catalogue_import_in_progress"
    title = "An import of this source is under way"


_BY_CODE: dict[str, type[ApiError]] = {
    cls.code: cls
    for cls in (CatalogueRefused, CatalogueEmptyProblem, CatalogueEncodingProblem, CatalogueColumnsMissing,
                ColourSpaceUnknown, LabOutOfRange, HexInvalid, RowsSkippedStrict, CatalogueTooLarge)
}  # fmt: skip


def refused(exc: CatalogueError) -> ApiError:
    """The API error for a refusal of the catalogue core: its code, message, row and missing columns."""
    extra: dict[str, object] = {}
    if exc.line is not None:
        extra["line"] = exc.line
    if exc.columns:
        extra["missing_columns"] = list(exc.columns)
    return _BY_CODE.get(exc.code, CatalogueRefused)(str(exc), hint=UNCHANGED, extra=extra)
