"""Every registered operation of the frontend contract runs against a live server with the demo data, with its
example variables and a token of the client its folder names (issue 13)."""

from __future__ import annotations

import json
from typing import Any

import httpx
import pytest

from kkr.platform.contract import operation_files, read_operation

from .tokens import bearer

pytestmark = pytest.mark.usefixtures("demo_data")

#: The token each client's operations are sent with.
CLIENT_SCOPES = {
    "regional": ("region:sjaelland:write",),
    "kl": ("benchmark:read",),
    "ministry": ("aggregates:read",),
    "common": ("region:nordjylland:read",),
}
#: Operations that need ids of rows the test makes first (test_the_contract_editor_flow).
EDITOR = {
    "regional/ContractForEditing",
    "regional/CreateResultContract",
    "regional/UpdateResultContract",
    "regional/ReportResult",
}


def name_of(path: Any) -> str:
    return f"{path.parent.name}/{path.stem}"


def example_variables(name: str) -> dict[str, Any]:
    for path in operation_files():
        if name_of(path) == name:
            variables: dict[str, Any] = json.loads(path.with_suffix(".variables.json").read_text(encoding="utf-8"))
            return variables
    raise KeyError(name)


def run(client: httpx.Client, name: str, variables: dict[str, Any]) -> dict[str, Any]:
    scopes = CLIENT_SCOPES[name.split("/")[0]]
    response = client.post(
        "/graphql", json={"query": read_operation(name), "variables": variables}, headers=bearer(*scopes)
    )
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    assert "errors" not in body, (name, body["errors"])
    return body["data"]


def test_every_registered_operation_has_example_variables_and_a_known_client() -> None:
    for path in operation_files():
        assert path.parent.name in CLIENT_SCOPES, path
        assert isinstance(json.loads(path.with_suffix(".variables.json").read_text(encoding="utf-8")), dict), path


@pytest.mark.parametrize("name", [n for n in map(name_of, operation_files()) if n not in EDITOR], ids=lambda name: name)
def test_a_registered_query_answers_with_its_example_variables(client: httpx.Client, name: str) -> None:
    data = run(client, name, example_variables(name))
    assert data and all(value is not None for value in data.values()), data


def test_the_contract_editor_flow(client: httpx.Client) -> None:
    create = example_variables("regional/CreateResultContract")
    create["input"] = {**create["input"], "year": 2087}  # a year no other test uses
    created = run(client, "regional/CreateResultContract", create)["createResultContract"]
    assert created["errors"] == []
    contract = created["resultContract"]
    loaded = run(client, "regional/ContractForEditing", {"id": contract["id"]})["node"]
    assert (loaded["id"], loaded["rowVersion"], loaded["status"]) == (contract["id"], 1, "DRAFT")

    update = example_variables("regional/UpdateResultContract")
    edit = {**update["input"], "id": contract["id"], "rowVersion": loaded["rowVersion"]}
    saved = run(client, "regional/UpdateResultContract", {"input": edit})["updateResultContract"]
    assert saved["errors"] == [] and saved["resultContract"]["rowVersion"] == 2
    # The same edit again from the version loaded before: refused as stale, nothing written.
    stale = run(client, "regional/UpdateResultContract", {"input": edit})["updateResultContract"]
    assert stale["resultContract"] is None
    assert [(e["field"], e["code"]) for e in stale["errors"]] == [(["input", "rowVersion"], "STALE_VERSION")]

    # A result for a demo target, sent with a stale expected revision: refused, the demo data stays as it is.
    dashboard = run(client, "regional/Dashboard", example_variables("regional/Dashboard"))["region"]
    targets = [
        t
        for c in dashboard["resultContracts"]["nodes"]
        if c["status"] != "DRAFT"  # results are reported on signed contracts
        for g in run(client, "regional/ContractForEditing", {"id": c["id"]})["node"]["goals"]["nodes"]
        for i in g["indicators"]["nodes"]
        for t in i["targets"]["nodes"]
    ]
    target = targets[0]
    report = example_variables("regional/ReportResult")
    report["input"] = {**report["input"], "targetId": target["id"], "expectedRevision": 999}
    report["input"].pop("measuredAt")  # the example's date lies outside this target's period
    reported = run(client, "regional/ReportResult", report)["reportResult"]
    assert reported["result"] is None
    assert [(e["field"], e["code"]) for e in reported["errors"]] == [(["input", "expectedRevision"], "STALE_VERSION")]
