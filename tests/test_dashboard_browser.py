"""The reference dashboard at `/` (issue 15), end to end in a browser: Playwright drives Debian's Chromium
(`executable_path`, no browser download) against the live server with the demo data.

Each test signs in the way a person does (a demo-role button, or a pasted token), opens a page and compares
the figures it shows with the API's own answer to the same registered operation, queried directly by the test.
axe-core (from dashboard/node_modules, installed by `npm ci` when missing) checks every page for serious or
critical accessibility violations.  Screenshots go to each test's tmp_path; KKR_DASHBOARD_SCREENSHOT=1 also
writes docs/dashboard.png (the README's picture).
"""

from __future__ import annotations

import datetime as dt
import json
import os
import shutil
from collections.abc import Iterator
from decimal import Decimal
from pathlib import Path
from typing import Any

import httpx
import pytest

from kkr.platform.contract import read_operation

from .conftest import LiveServer, require
from .mutation_helpers import gid, mutate, ok
from .npm import npm_for
from .paths import REPO_ROOT
from .tokens import mint

pytestmark = pytest.mark.usefixtures("demo_data")

CHROMIUM = next((shutil.which(n) for n in ("chromium", "chromium-browser", "google-chrome") if shutil.which(n)), None)
DASHBOARD = REPO_ROOT / "dashboard"
AXE = DASHBOARD / "node_modules" / "axe-core" / "axe.min.js"
PHONE = {"width": 390, "height": 844}
DESKTOP = {"width": 1280, "height": 900}
TIMEOUT_MS = 15_000

FULFILMENT = {
    "MET": "Opfyldt",
    "PARTLY_MET": "Delvist opfyldt",
    "NOT_MET": "Ikke opfyldt",
    "NOT_YET_REPORTED": "Endnu ikke rapporteret",
    "NOT_ASSESSABLE": "Kan ikke vurderes",
}
UNIT = {"COUNT": "", "PERCENT": " %", "PERCENTAGE_POINTS": " pct.-point", "NPS": " (NPS)", "DKK": " kr."}
COMPARATOR = {"AT_LEAST": "mindst", "AT_MOST": "højst"}


# --- Danish formatting, as the dashboard's Intl.NumberFormat("da-DK") prints the API's decimals ---------------


def da(value: str | int | None) -> str:
    if value is None or value == "":
        return "–"
    d = Decimal(str(value)).normalize()
    text = f"{d:,f}" if d == d.to_integral_value() else f"{d:,f}".rstrip("0")
    return text.replace(",", "_").replace(".", ",").replace("_", ".")


def with_unit(value: str | None, unit: str | None) -> str:
    text = da(value)
    return text if text == "–" or not unit else f"{text}{UNIT.get(unit, '')}"


def target_text(t: dict[str, Any]) -> str:
    if t["value"] is None:
        return t["valueText"] or "–"
    if t["comparator"] == "RANGE" and t.get("valueMax"):
        return f"{da(t['value'])}–{with_unit(t['valueMax'], t['unit'])}"
    return " ".join(x for x in (COMPARATOR.get(t["comparator"], ""), with_unit(t["value"], t["unit"])) if x)


def result_text(t: dict[str, Any]) -> str:
    r = t["latestResult"]
    if not r:
        return "–"
    return with_unit(r["value"], t["unit"]) if r["value"] is not None else (r["valueText"] or "–")


def test_danish_number_format() -> None:
    assert [da("6.04"), da("600"), da("1200"), da("17039000.0000"), da("33.50"), da(None)] == [
        "6,04",
        "600",
        "1.200",
        "17.039.000",
        "33,5",
        "–",
    ]


# --- The API, queried directly ----------------------------------------------------------------------------------


def api(client: httpx.Client, token: str, name: str, variables: dict[str, Any]) -> dict[str, Any]:
    response = client.post(
        "/graphql",
        json={"query": read_operation(name), "variables": variables},
        headers={"Authorization": f"Bearer {token}"},
    )
    assert response.status_code == 200, response.text
    body = response.json()
    assert "errors" not in body, body["errors"]
    return body["data"]


# --- The browser ------------------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def axe_source() -> str:
    npm_for(DASHBOARD, "axe-core comes from dashboard/node_modules")
    return AXE.read_text(encoding="utf-8")


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    require(CHROMIUM, "Chromium is not installed (apt-get install chromium): the dashboard browser tests drive it")
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:  # pragma: no cover - the test extra installs it
        require(False, "the playwright package is not installed (pip install -e '.[test]')")
        raise
    with sync_playwright() as p:
        browser = p.chromium.launch(
            executable_path=CHROMIUM, headless=True, args=["--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage"]
        )
        yield browser
        browser.close()


class Dashboard:
    """One browser context (its own sessionStorage) on the live server's dashboard."""

    def __init__(self, browser: Any, server: LiveServer, shots: Path, axe: str, viewport: dict[str, int]) -> None:
        self.context = browser.new_context(viewport=viewport, locale="da-DK", accept_downloads=True)
        self.context.set_default_timeout(TIMEOUT_MS)
        self.page = self.context.new_page()
        self.errors: list[str] = []
        self.page.on("pageerror", lambda error: self.errors.append(str(error)))
        self.server = server
        self.shots = shots
        self.axe = axe

    def open(self, route: str = "#/") -> None:
        self.page.goto(f"{self.server.url}/{route}")

    def go(self, route: str) -> None:
        self.page.evaluate("document.getElementById('main').removeAttribute('data-ready')")
        self.page.evaluate(f"location.hash = {json.dumps(route)}")
        self.ready()

    def ready(self) -> None:
        self.page.wait_for_selector("main[data-ready='true']")
        self.page.wait_for_load_state("networkidle")

    def sign_in_as(self, role: str) -> None:
        self.open()
        self.page.click(f"button[data-role='{role}']")
        self.ready()

    def sign_in_with(self, token: str) -> None:
        self.open()
        self.page.fill("#token", token)
        self.page.get_by_role("button", name="Log ind").click()
        self.ready()

    def token(self) -> str:
        token: str = self.page.evaluate("sessionStorage.getItem('kkr-dashboard-token')")
        assert token
        return token

    def texts(self, selector: str) -> list[str]:
        return [t.strip() for t in self.page.locator(selector).all_inner_texts()]

    def rows(self, table: str) -> list[list[str]]:
        return self.page.eval_on_selector_all(
            f"{table} tbody tr", "rows => rows.map(r => [...r.cells].map(c => c.innerText.trim()))"
        )

    def shot(self, name: str) -> Path:
        path = self.shots / f"{name}.png"
        self.page.screenshot(path=str(path), full_page=True)
        return path

    def check_accessibility(self, name: str) -> None:
        """axe-core on the page as it is: no serious or critical violation."""
        self.page.add_script_tag(content=self.axe)
        result = self.page.evaluate(
            "axe.run(document, {resultTypes: ['violations']}).then(r => r.violations.map("
            "v => ({id: v.id, impact: v.impact, help: v.help, nodes: v.nodes.map(n => n.target.join(' ')).slice(0, 5)})))"
        )
        bad = [v for v in result if v["impact"] in ("serious", "critical")]
        assert bad == [], f"{name}: {json.dumps(bad, ensure_ascii=False, indent=1)}"

    def fits_the_width(self) -> None:
        overflow = self.page.evaluate("document.documentElement.scrollWidth - window.innerWidth")
        assert overflow <= 1, f"the page is {overflow}px wider than the viewport"

    def close(self) -> None:
        assert self.errors == [], self.errors
        self.context.close()


@pytest.fixture
def dashboard(browser: Any, live_server: LiveServer, tmp_path: Path, axe_source: str) -> Iterator[Any]:
    opened: list[Dashboard] = []

    def new(viewport: dict[str, int] = DESKTOP) -> Dashboard:
        board = Dashboard(browser, live_server, tmp_path, axe_source, viewport)
        opened.append(board)
        return board

    yield new
    for board in opened:
        board.close()


# --- Sign-in ----------------------------------------------------------------------------------------------------


def test_sign_in_as_each_demo_role_and_with_a_pasted_token(dashboard, client: httpx.Client) -> None:
    board = dashboard()
    board.open()
    board.page.wait_for_selector("button[data-role]")
    board.check_accessibility("sign-in")
    board.shot("sign-in")
    roles = client.get("/dev/roles").json()["roles"]
    assert [r["role"] for r in roles] == ["sjaelland-editor", "nordjylland-reader", "kl", "ministry"]
    landing = {
        "sjaelland-editor": ("KKR Sjælland", "#/region/sjaelland"),
        "nordjylland-reader": ("KKR Nordjylland", "#/region/nordjylland"),
        "kl": ("Benchmark af erhvervshusene", "#/benchmark"),
        "ministry": ("Aggregerede tal", "#/ministry"),
    }
    for role in roles:
        board.sign_in_as(role["role"])
        viewer = api(client, board.token(), "common/Viewer", {})["viewer"]
        assert sorted(viewer["scopes"]) == sorted(role["scopes"])
        heading, route = landing[role["role"]]
        assert board.page.evaluate("location.hash") == route
        assert heading in board.page.locator("h1").inner_text()
        assert board.page.locator("#signed-in-as").inner_text() == viewer["subject"]
        board.page.click("#sign-out")
        board.page.wait_for_selector("#token")

    # A token pasted in (here from the test identity provider, as regional staff would have one).
    board.sign_in_with(mint("region:sjaelland:read", subject="laeser@sjaelland"))
    assert board.page.locator("#signed-in-as").inner_text() == "laeser@sjaelland"
    assert board.page.locator("h1").inner_text() == "KKR Sjælland"
    assert board.page.get_by_role("link", name="Rapportér resultater").count() == 0  # a reader edits nothing

    board.page.click("#sign-out")
    board.sign_in_with("not-a-token")
    assert board.page.locator("[role=alert]").count() == 1
    assert board.page.locator("#token").is_visible()


def test_the_dev_token_endpoint_refuses_unknown_roles(client: httpx.Client) -> None:
    assert client.post("/dev/token", json={"role": "admin"}).status_code == 400
    token = client.post("/dev/token", json={"role": "kl"}).json()["token"]
    viewer = api(client, token, "common/Viewer", {})["viewer"]
    assert viewer["scopes"] == ["benchmark:read"] and viewer["subject"] == "demo:kl"


# --- A region's page --------------------------------------------------------------------------------------------


def _current(contracts: list[dict[str, Any]]) -> dict[str, Any]:
    """The contract the page opens on: the newest not a draft up to this year (tests make future ones)."""
    ordered = sorted(contracts, key=lambda c: (-c["year"], c["businessHub"]["slug"]))
    signed = [c for c in ordered if c["status"] != "DRAFT"]
    return next((c for c in signed if c["year"] <= dt.date.today().year), signed[0] if signed else ordered[0])


def test_a_regions_page_shows_the_apis_figures(dashboard, client: httpx.Client) -> None:
    board = dashboard()
    board.sign_in_as("nordjylland-reader")
    token = board.token()
    region = api(client, token, "regional/Dashboard", {"region": "nordjylland", "year": None})["region"]
    profile = api(client, token, "regional/RegionProfile", {"region": "nordjylland"})["region"]

    assert board.page.locator("h1").inner_text() == region["kkrName"]
    assert board.page.locator("#region-name").inner_text() == f"Region: {region['name']}"
    assert board.texts("section[aria-labelledby=hubs-heading] h3") == [
        h["name"] for h in region["businessHubs"]["nodes"]
    ]
    offices = [o["town"] for h in region["businessHubs"]["nodes"] for o in h["offices"]["nodes"]]
    shown = board.texts("section[aria-labelledby=hubs-heading] li")
    assert [s.split(": ", 1)[1] for s in shown] == offices

    contract = _current(region["resultContracts"]["nodes"])
    expected = [
        [f"{g['code']}. {g['title']}", i["name"], t["periodLabel"], target_text(t), result_text(t), t["fulfilment"]]
        for g in contract["goals"]["nodes"]
        for i in g["indicators"]["nodes"]
        for t in i["targets"]["nodes"]
    ]
    rows = board.rows("#goals-table")
    assert len(rows) == len(expected) > 0
    for row, (goal, indicator, period, target, result, fulfilment) in zip(rows, expected, strict=True):
        assert row[:5] == [goal, indicator, period, target, result]
        assert row[5].startswith(FULFILMENT[fulfilment["status"]])
        if fulfilment["pct"] is not None and fulfilment["status"] != "NOT_YET_REPORTED":
            assert f"({da(fulfilment['pct'])} %)" in row[5]
    statuses = board.page.eval_on_selector_all("#goals-table tbody tr", "rs => rs.map(r => r.dataset.status)")
    assert statuses == [f["status"] for *_, f in expected]
    summary = contract["fulfilmentSummary"]
    assert (
        f"{summary['targets']} måltal: {summary['met']} opfyldt"
        in board.page.locator("#fulfilment-summary").inner_text()
    )
    # Each status has its own colour.
    colours = board.page.eval_on_selector_all(
        "#goals-table .badge", "bs => bs.map(b => [b.textContent, getComputedStyle(b).backgroundColor])"
    )
    by_status: dict[str, set[str]] = {}
    for text, colour in colours:
        by_status.setdefault(text.split(" (")[0], set()).add(colour)
    assert all(len(c) == 1 for c in by_status.values()), by_status  # one colour per status ...
    assert len(set().union(*by_status.values())) == len(by_status), by_status  # ... and no two share one

    # The goal over the years: the chart is drawn, its figures are in the table under it.
    assert board.page.locator("#history-chart").count() == 1
    assert board.page.evaluate("document.getElementById('history-chart').width") > 0

    def series(category: str, code: str) -> list[tuple[str, str, str]]:
        points = []
        for c in region["resultContracts"]["nodes"]:
            goal = next((g for g in c["goals"]["nodes"] if (g["category"], g["code"]) == (category, code)), None)
            targets = [t for i in (goal["indicators"]["nodes"] if goal else []) for t in i["targets"]["nodes"]]
            first = next((t for t in targets if t["latestResult"] and t["latestResult"]["value"] is not None), None)
            if first:
                points.append(
                    (c["year"], c["businessHub"]["slug"], with_unit(first["latestResult"]["value"], first["unit"]))
                )
        return [(str(y), h, v) for y, h, v in sorted(points)]

    options = board.page.eval_on_selector_all("#history-goal option", "os => os.map(o => o.value)")
    assert len(options) > 1
    assert board.page.locator("#history-goal").input_value() == options[0]
    assert [tuple(r[:3]) for r in board.rows("#history-table")] == series(*options[0].split(":"))
    assert len(series(*options[0].split(":"))) == max(len(series(*o.split(":"))) for o in options)
    board.page.select_option("#history-goal", options[1])  # another goal: its own figures
    assert [tuple(r[:3]) for r in board.rows("#history-table")] == series(*options[1].split(":"))

    teams = profile["growthTeams"]["nodes"]
    assert [r[0] for r in board.rows("#teams-table")] == [t["name"] for t in teams]
    assert [r[4] for r in board.rows("#teams-table")] == [da(t["members"]["totalCount"]) for t in teams]
    initiatives = profile["climateInitiatives"]["nodes"]
    if initiatives:
        assert [r[0] for r in board.rows("#climate-table")] == [c["name"] for c in initiatives]
    board.check_accessibility("region")
    board.shot("region-nordjylland")


def test_a_regions_token_cannot_open_another_regions_page(dashboard, client: httpx.Client) -> None:
    board = dashboard()
    board.sign_in_as("sjaelland-editor")
    board.go("#/region/nordjylland")
    assert board.page.locator("h1").inner_text() == "Ingen adgang"
    assert "nordjylland" in board.page.locator("[role=alert]").inner_text()
    assert board.page.locator("table").count() == 0 and board.page.locator("canvas").count() == 0
    # Nor does the API give this token any of Nordjylland's rows (only its shared reference data, the name).
    region = api(client, board.token(), "regional/Dashboard", {"region": "nordjylland", "year": None})["region"]
    assert region is None or region["resultContracts"] is None or region["resultContracts"]["nodes"] == []
    # The editor of another region's contract is refused the same way.
    board.go("#/region/nordjylland/edit/2020/x")
    assert board.page.locator("h1").inner_text() == "Ingen adgang"
    board.check_accessibility("refusal")
    board.shot("refusal")


def test_a_regions_page_at_phone_width(dashboard) -> None:
    board = dashboard(PHONE)
    board.sign_in_as("sjaelland-editor")
    assert board.page.locator("h1").inner_text() == "KKR Sjælland"
    board.fits_the_width()
    board.check_accessibility("region at phone width")
    # Keyboard: the skip link is the first stop of a fresh page.
    board.page.reload()
    board.ready()
    board.page.keyboard.press("Tab")
    assert board.page.evaluate("document.activeElement.textContent") == "Spring til indhold"
    board.shot("region-sjaelland-phone")


# --- The contract editor ----------------------------------------------------------------------------------------

YEAR = 2096  # a contract year no other test uses (tests/test_new_tenant.py uses 2095)


def _signed_contract_with_a_target(client: httpx.Client) -> tuple[dict[str, Any], dict[str, Any]]:
    contract = ok(
        mutate(
            client,
            "createResultContract",
            {"businessHubId": gid("BusinessHub", "sjaelland"), "year": YEAR, "title": f"Resultatkontrakt {YEAR}"},
            "resultContract { id rowVersion }",
        ),
        "resultContract",
    )
    goal = ok(
        mutate(
            client,
            "createGoal",
            {"contractId": contract["id"], "code": "1", "category": "LOCAL", "title": "Flere virksomheder i vækst"},
            "goal { id }",
        ),
        "goal",
    )
    indicator = ok(
        mutate(
            client,
            "createIndicator",
            {
                "goalId": goal["id"],
                "name": "Antal vækstforløb",
                "targets": [{"periodLabel": str(YEAR), "unit": "COUNT", "comparator": "AT_LEAST", "value": "120"}],
            },
            "indicator { targets { nodes { id } } }",
        ),
        "indicator",
    )
    for status, on in (("ADOPTED", f"{YEAR}-01-15"), ("SIGNED", f"{YEAR}-02-01")):
        contract = ok(
            mutate(
                client,
                "changeResultContractStatus",
                {"id": contract["id"], "rowVersion": contract["rowVersion"], "status": status, "on": on},
                "resultContract { id rowVersion }",
            ),
            "resultContract",
        )
    return contract, indicator["targets"]["nodes"][0]


def test_the_contract_editor_reports_a_result_and_explains_a_stale_version(dashboard, client: httpx.Client) -> None:
    contract, target = _signed_contract_with_a_target(client)
    board = dashboard()
    board.sign_in_as("sjaelland-editor")
    token = board.token()
    board.page.select_option("#contract", contract["id"])
    board.page.get_by_role("link", name="Rapportér resultater").click()
    board.ready()
    row = f"#editor-table tr[data-target-id='{target['id']}']"
    assert board.page.locator(row).get_attribute("data-status") == "NOT_YET_REPORTED"
    board.check_accessibility("editor")

    def editor() -> dict[str, Any]:
        nodes = api(client, token, "regional/ContractEditor", {"region": "sjaelland", "year": YEAR})["region"]
        found = next(c for c in nodes["resultContracts"]["nodes"] if c["id"] == contract["id"])
        return found["goals"]["nodes"][0]["indicators"]["nodes"][0]["targets"]["nodes"][0]

    # Report 130 (Danish input) on the target "at least 120": met.
    board.page.fill(f"{row} input[name=value]", "130")
    board.page.fill(f"{row} input[name=measuredAt]", f"{YEAR}-06-30")
    board.page.click(f"{row} button[type=submit]")
    board.page.wait_for_selector("#editor-message p")
    board.page.wait_for_selector(f"{row}[data-status='MET']")
    board.ready()
    reported = editor()
    assert reported["fulfilment"]["status"] == "MET" and reported["latestResult"]["value"] == "130"
    cells = board.page.locator(f"{row} td").all_inner_texts()
    assert cells[3:5] == [result_text(reported), "Opfyldt"]
    assert "er gemt" in board.page.locator("#editor-message").inner_text()
    assert "1 opfyldt" in board.page.locator("#fulfilment-summary").inner_text()
    board.shot("editor")

    # Someone else reports meanwhile (revision 2); the page still holds revision 1: a stale version.
    other = mutate(
        client,
        "reportResult",
        {"targetId": target["id"], "value": "90", "measuredAt": f"{YEAR}-07-31", "expectedRevision": 1},
        "result { revision }",
    )
    assert ok(other, "result")["revision"] == 2
    board.page.fill(f"{row} input[name=value]", "1.250,5")
    board.page.click(f"{row} button[type=submit]")
    board.page.wait_for_selector("#editor-message [role=alert]")
    board.ready()
    message = board.page.locator("#editor-message").inner_text()
    assert "ikke gemt" in message and "nyere resultat" in message
    latest = editor()
    assert latest["latestResult"]["revision"] == 2 and latest["latestResult"]["value"] == "90"  # nothing written
    assert board.page.locator(f"{row}").get_attribute("data-status") == latest["fulfilment"]["status"] == "NOT_MET"
    assert board.page.locator(f"{row} td").all_inner_texts()[3] == "90"
    board.check_accessibility("editor after a stale version")
    board.shot("editor-stale")


# --- KL's benchmark ---------------------------------------------------------------------------------------------


def _benchmark_rows(measure: dict[str, Any]) -> list[list[str]]:
    ranked = sorted(measure["figures"], key=lambda f: (f["rank"] if f["rank"] is not None else 99, f["area"]["name"]))
    unit = measure["unit"]
    return [
        [
            str(f["rank"]) if f["rank"] is not None else "–",
            f["area"]["name"],
            with_unit(f["result"], unit) if f["result"] is not None else (f["resultText"] or "–"),
        ]
        for f in ranked
    ]


def test_kls_benchmark_page(dashboard, client: httpx.Client) -> None:
    board = dashboard()
    board.sign_in_as("kl")
    token = board.token()

    def check(agreement: str, code: str, period: str) -> None:
        table = api(client, token, "kl/BenchmarkTable", {"agreement": agreement, "code": code, "period": period})
        measures = table["benchmarkComparison"]["measures"]
        shown = board.page.locator("table.ranking")
        assert shown.count() == len(measures) > 0
        for index, measure in enumerate(measures):
            rows = board.rows(f"#benchmark-results section.measure:nth-of-type({index + 1}) table.ranking")
            assert [r[:3] for r in rows] == _benchmark_rows(measure)
            assert board.page.locator(f"#benchmark-chart-{index}").count() == 1
        national = measures[0]["nationalFigure"] or (measures[0]["nationalTargets"] or [None])[0]
        if national:
            assert board.page.locator(".national").first.get_attribute("data-national") == national["value"]
        series = api(client, token, "kl/BenchmarkSeries", {"agreement": agreement, "code": code})["benchmarkSeries"]
        years = series["years"]
        hubs = list(dict.fromkeys((p["area"]["slug"], p["area"]["name"]) for p in series["points"]))
        expected = []
        for slug, name in hubs:
            row = [name]
            for year in years:
                p = next((p for p in series["points"] if p["area"]["slug"] == slug and p["year"] == year), None)
                row.append(
                    with_unit(p["result"], p["unit"])
                    if p and p["result"] is not None
                    else ((p or {}).get("resultText") or "–")
                )
            expected.append(row)
        assert board.rows("#series-table") == expected

    assert board.page.locator("#benchmark-goal").input_value() == "2019-2020/1"
    assert board.page.locator("#benchmark-period").input_value() == "2020"
    check("2019-2020", "1", "2020")
    board.check_accessibility("benchmark")
    board.shot("benchmark")

    # Another goal and period.
    catalogue = api(client, token, "kl/BenchmarkCatalogue", {"kind": "NATIONAL_GOAL"})["benchmarkCatalogue"]
    other = next(e for e in catalogue if e["key"] != "2019-2020/1" and e["periods"] and e["frameworkAgreement"])
    board.page.select_option("#benchmark-goal", other["key"])
    board.page.wait_for_function(
        "key => document.querySelector('#comparison-heading') && document.getElementById('benchmark-goal').value === key",
        arg=other["key"],
    )
    board.page.wait_for_load_state("networkidle")
    period = other["periods"][-1]
    board.page.select_option("#benchmark-period", period)
    board.page.wait_for_function(
        "p => (document.querySelector('#comparison-heading') || {}).textContent?.endsWith(', ' + p)", arg=period
    )
    board.page.wait_for_load_state("networkidle")
    check(other["frameworkAgreement"], other["nationalGoalCode"], period)


# --- A ministry's page ------------------------------------------------------------------------------------------

REGION_NAMES = {
    "hovedstaden": "Hovedstaden",
    "sjaelland": "Sjælland",
    "syddanmark": "Syddanmark",
    "midtjylland": "Midtjylland",
    "nordjylland": "Nordjylland",
}
REASONS = {
    "FEW_CONTRIBUTORS": "for få bidragydere",
    "DOMINANCE": "dominerer summen",
    "SECONDARY": "sekundær diskretionering",
}


def test_a_ministrys_page_marks_suppressed_cells_and_downloads_the_exports(
    dashboard, client: httpx.Client, tmp_path: Path
) -> None:
    board = dashboard()
    board.sign_in_as("ministry")
    token = board.token()
    variables = {
        "family": "BENCHMARK_OBSERVATIONS",
        "groupBy": ["REGION"],
        "measures": ["COUNT", "SUM", "MEAN", "MEDIAN", "MIN", "MAX"],
        "filter": {"indicators": ["hub-awareness-2020-09"]},
    }
    aggregate = api(client, token, "ministry/AggregatePull", variables)["aggregate"]
    rows = board.rows("#aggregate-table")
    assert len(rows) == len(aggregate["cells"])
    suppressed = 0
    for row, cell in zip(rows, aggregate["cells"], strict=True):
        coordinate = cell["coordinates"][0]
        assert row[0] == ("I alt" if coordinate["total"] else REGION_NAMES[coordinate["value"]])
        assert row[1] == da(cell["contributors"])
        if cell["suppressed"]:
            suppressed += 1
            assert row[2:8] == [".."] * 6
            assert row[8].startswith("Diskretioneret") and REASONS[cell["reason"]] in row[8]
        else:
            assert row[2:4] == [da(cell["count"]), da(cell["sum"])]
            assert row[4] == da(cell["mean"])
    assert suppressed > 0
    assert board.page.locator("tr.suppressed").count() == suppressed
    assert ".." in board.page.locator("#suppression-legend").inner_text()
    board.check_accessibility("ministry")
    board.shot("ministry")

    query = "family=BENCHMARK_OBSERVATIONS&groupBy=REGION&measures=COUNT,SUM,MEAN,MEDIAN,MIN,MAX&indicators=hub-awareness-2020-09"
    for fmt, button in (("csv", "#download-csv"), ("json", "#download-json")):
        with board.page.expect_download() as info:
            board.page.click(button)
        saved = tmp_path / f"download.{fmt}"
        info.value.save_as(saved)
        direct = client.get(f"/aggregates.{fmt}?{query}", headers={"Authorization": f"Bearer {token}"})
        assert direct.status_code == 200
        if fmt == "json":  # the same dataset; `updated` is the time of each answer
            downloaded, answered = json.loads(saved.read_bytes()), direct.json()
            assert downloaded.pop("updated") and answered.pop("updated")
            assert downloaded == answered
        else:
            assert saved.read_bytes() == direct.content


def test_screenshot_for_the_readme(dashboard) -> None:
    """The README's picture: a region's page.  KKR_DASHBOARD_SCREENSHOT=1 writes it to docs/dashboard.png."""
    board = dashboard({"width": 1280, "height": 860})
    board.sign_in_as("sjaelland-editor")
    path = board.shot("readme")
    assert path.stat().st_size > 10_000
    if os.environ.get("KKR_DASHBOARD_SCREENSHOT") == "1":
        board.page.screenshot(path=str(REPO_ROOT / "docs" / "dashboard.png"), full_page=False)
