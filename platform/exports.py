"""HTTP exports of the ministries' aggregates: `GET /aggregates.csv` and `GET /aggregates.json` (JSON-stat 2.0).

Same bearer token and scopes as /graphql (`aggregates:read` or `benchmark:read`), same arguments as the
GraphQL field `aggregate` as query parameters (lists comma-separated or repeated, enum values by their
GraphQL names), e.g.::

    GET /aggregates.csv?family=MUNICIPALITY_FIGURES&groupBy=REGION&indicators=payment-business-hub&years=2019

Parameters: `family` (required), `groupBy`, `measures` (default all), `subtotals` (default ROLLUP) and the
filter fields `years`, `periods`, `goalCategories`, `lineages`, `units`, `segments`, `indicators`.  Both formats come from platform/services/aggregates.py, so they carry the same
numbers as the GraphQL answer.  Suppressed values are `..` (CSV) or null with status `..` (JSON-stat).
Errors are JSON: 400 for a bad parameter (naming it), 401 without a valid token, 403 without the scope.
Every call is written to the access log first, like GraphQL calls.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
from decimal import Decimal
from typing import Any

from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from kkr.schema.permissions import AggregatesRead

from .auth.access_log import is_logged, record_access
from .auth.http import bearer_auth_middleware, identity_of
from .auth.identity import ANONYMOUS
from .rate_limits import rate_limited
from .replicas import READ_AFTER_LSN_HEADER
from .services import aggregates as service
from .settings import Settings

#: Category id of a total (SDMX's code) and of figures without a value in a dimension.
TOTAL = "_T"
NO_VALUE = "_Z"
#: How a suppressed or withheld value is printed (as Danmarks Statistik and Eurostat do).
SUPPRESSED = ".."
WITHHELD = "ORDER_STATISTICS_WITHHELD"
ORDER_STATISTICS = (service.Measure.MEDIAN, service.Measure.MIN, service.Measure.MAX)
LEGEND = {
    SUPPRESSED: "confidential: value not published (statistical disclosure control)",
    "FEW_CONTRIBUTORS": "fewer contributors than the minimum (primary suppression)",
    "DOMINANCE": "the largest contributors dominate the sum (primary suppression)",
    "SECONDARY": "suppressed so that no primary suppressed cell can be recovered",
    WITHHELD: "min, median and max withheld: a cell contained in this one is suppressed",
    TOTAL: "total over every value of the dimension",
}


def _error(status: int, error: str, message: str, **extra: Any) -> JSONResponse:
    headers = {"Cache-Control": "no-store"}
    if status == 401:
        headers["WWW-Authenticate"] = 'Bearer realm="kkr-platform"'
    return JSONResponse({"error": error, "message": message, **extra}, status_code=status, headers=headers)


def _text(value: Decimal | int | None, hidden: bool) -> str:
    if hidden:
        return SUPPRESSED
    return "" if value is None else str(value)


def _hidden(cell: service.Cell, measure: service.Measure) -> bool:
    return cell.suppressed or (measure in ORDER_STATISTICS and cell.order_statistics_withheld)


def _category(value: str | None, total: bool) -> str:
    return TOTAL if total else NO_VALUE if value is None else value


def render_csv(table: service.AggregateTable) -> str:
    """UTF-8 CSV with a header row: one column per dimension and measure, then contributors, status, reason."""
    request = table.request
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(
        [d.value for d in request.group_by] + [m.value for m in request.measures] + ["contributors", "status", "reason"]
    )
    for cell in table.cells:
        withheld = (
            cell.order_statistics_withheld
            and not cell.suppressed
            and any(m in ORDER_STATISTICS for m in request.measures)
        )
        writer.writerow(
            [_category(v, t) if t or v is not None else "" for v, t in zip(cell.values, cell.totals, strict=True)]
            + [_text(cell.measure(m), _hidden(cell, m)) for m in request.measures]
            + [
                _text(cell.contributors, cell.suppressed),
                SUPPRESSED if cell.suppressed else "",
                cell.reason or (WITHHELD if withheld else ""),
            ]
        )
    return out.getvalue()


def render_jsonstat(table: service.AggregateTable) -> dict[str, Any]:
    """A JSON-stat 2.0 dataset: the grouped dimensions (totals as category `_T`) and a metric dimension
    `measure` (the measures asked for and `contributors`); suppressed values are null with status `..`."""
    request = table.request
    ids = [d.value for d in request.group_by] + ["measure"]
    categories: list[list[str]] = []
    for j in range(len(request.group_by)):
        seen = {_category(c.values[j], c.totals[j]) for c in table.cells}
        categories.append(sorted(seen - {TOTAL, NO_VALUE}) + [c for c in (NO_VALUE, TOTAL) if c in seen])
    measures = [m.value for m in request.measures] + ["contributors"]
    categories.append(measures)
    sizes = [len(c) for c in categories]
    positions = [{value: i for i, value in enumerate(c)} for c in categories]
    total_size = 1
    for size in sizes:
        total_size *= size
    values: list[float | int | None] = [None] * total_size
    status: dict[str, str] = {}
    reasons: dict[str, str] = {}
    for cell in table.cells:
        index = 0
        for j, (v, t) in enumerate(zip(cell.values, cell.totals, strict=True)):
            index = index * sizes[j] + positions[j][_category(v, t)]
        index *= sizes[-1]
        for m, name in enumerate(measures):
            measure = service.Measure(name) if name != "contributors" else None
            hidden = cell.suppressed if measure is None else _hidden(cell, measure)
            value = cell.contributors if measure is None else cell.measure(measure)
            if hidden:
                status[str(index + m)] = SUPPRESSED
                reasons[str(index + m)] = cell.reason or WITHHELD
            elif value is not None:
                values[index + m] = float(value) if isinstance(value, Decimal) else value
    labels = {TOTAL: "Total", NO_VALUE: "No value"}
    dimension: dict[str, Any] = {
        name: {
            "label": name.replace("_", " "),
            "category": {"index": cats, "label": {c: labels.get(c, c) for c in cats}},
        }
        for name, cats in zip(ids, categories, strict=True)
    }
    role: dict[str, list[str]] = {"metric": ["measure"]}
    if service.Dimension.YEAR in request.group_by:
        role["time"] = ["year"]
    rules = table.rules
    return {
        "version": "2.0",
        "class": "dataset",
        "label": service.describe(request),
        "source": "KKR platform (kkr_aggregate, statistical disclosure control in the database)",
        "updated": dt.datetime.now(dt.UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
        "id": ids,
        "size": sizes,
        "role": role,
        "dimension": dimension,
        "value": values,
        "status": status,
        "note": [f"{code}: {text}" for code, text in LEGEND.items()],
        "extension": {
            "reason": reasons,
            "contributor": service.CONTRIBUTORS[request.family],
            "disclosure": {
                "minContributors": rules.min_contributors,
                "dominance": [{"n": n, "k": k} for n, k in rules.dominance],
                "protectionPercent": rules.protection_pct,
            },
        },
    }


async def aggregates_export(request: Request, settings: Settings) -> Response:
    """One export call (see the module docstring)."""
    identity = identity_of(request)
    if not AggregatesRead().allows(identity, settings):
        if identity == ANONYMOUS:
            return _error(401, "unauthorized", "Send a bearer token with the aggregates:read scope.")
        return _error(403, "forbidden", "This export needs the aggregates:read scope.")
    params = {name: request.query_params.getlist(name) for name in request.query_params}
    if is_logged(identity):
        await record_access(
            request.app.state.db,
            identity,
            operation_name=f"GET {request.url.path}",
            document=f"{request.url.path}?{request.url.query}",
            variables=params or None,
        )
    try:
        aggregate_request = service.request_from_query(params)
        db, replica, ctx = request.app.state.db, request.app.state.replica, identity.tenant_context()
        reading = (
            replica.read_transaction(db, ctx, identity, request.headers.get(READ_AFTER_LSN_HEADER))
            if replica is not None
            else db.transaction(ctx, read_only=True)
        )
        async with reading as session:
            table = await service.run_aggregate(
                session, aggregate_request, service.DisclosureRules.from_settings(settings)
            )
    except service.AggregateInputError as exc:
        argument = exc.argument.removeprefix("filter.")
        return _error(400, "bad_request", f"Parameter '{argument}': {exc.detail}", parameter=argument)
    if request.url.path.endswith(".csv"):
        return Response(
            render_csv(table),
            media_type="text/csv; charset=utf-8",
            headers={"Content-Disposition": 'attachment; filename="aggregates.csv"'},
        )
    return JSONResponse(render_jsonstat(table))


def export_routes(settings: Settings) -> list[Route]:
    """The two export endpoints, behind the same bearer authentication as /graphql."""

    async def endpoint(request: Request) -> Response:
        return await aggregates_export(request, settings)

    middleware = [bearer_auth_middleware(), rate_limited()]
    return [
        Route("/aggregates.csv", endpoint, methods=["GET"], middleware=middleware),
        Route("/aggregates.json", endpoint, methods=["GET"], middleware=middleware),
    ]
