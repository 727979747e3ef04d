"""BPMN processes on SpiffWorkflow: parallel branches survive a restore; scripts are restricted."""

from __future__ import annotations

import base64
import json
import zlib

import pytest
from SpiffWorkflow.bpmn.exceptions import WorkflowTaskException

from citybrain.core.errors import DomainError
from citybrain.servicehub import workflow


def test_parallel_branches_survive_serialisation() -> None:
    flow = workflow.start("approval_parallel")
    assert workflow.ready_steps(flow) == ["accept"]
    workflow.complete(flow, "accept", {"accepted": True})
    assert workflow.ready_steps(flow) == ["inspect_site", "review_documents"]
    workflow.complete(flow, "inspect_site", {"inspector_note": "设施符合要求"})

    state = workflow.dump(flow)
    assert state.startswith(workflow.COMPRESSED) and len(state) < 5_000
    plain = zlib.decompress(base64.b64decode(state[len(workflow.COMPRESSED) :])).decode()
    assert json.loads(plain)["serializer_version"]
    assert workflow.ready_steps(workflow.restore(plain)) == ["review_documents"]
    del flow  # the "server" restarts: only the stored JSON is left
    restored = workflow.restore(state)

    assert workflow.ready_steps(restored) == ["review_documents"]
    with pytest.raises(DomainError) as caught:  # the join waits for the other branch
        workflow.complete(restored, "decide", {"granted": True})
    assert caught.value.status == 409
    workflow.complete(restored, "review_documents")
    assert workflow.ready_steps(restored) == ["decide"]
    workflow.complete(restored, "decide", {"granted": True})
    assert restored.completed and workflow.outcome(restored) == "grant"
    assert restored.data.get("inspector_note") == "设施符合要求"


def test_simple_process_refusal() -> None:
    flow = workflow.start("approval_simple")
    for step in ("accept", "review_documents"):
        workflow.complete(flow, step)
    workflow.complete(flow, "decide", {"granted": False})
    assert workflow.outcome(flow) == "refuse"


@pytest.mark.parametrize(
    "script",
    ["import os", "x = open('/etc/passwd').read()", "y = ().__class__.__bases__", "exec('1')"],
)
def test_scripts_run_restricted(script: str) -> None:
    with pytest.raises((ValueError, NameError, ImportError, SyntaxError, WorkflowTaskException)):
        workflow.RestrictedEnvironment().execute(script, {})


def test_restricted_scripts_still_compute() -> None:
    context = {"granted": True, "fees": [1, 2, 3]}
    workflow.RestrictedEnvironment().execute("total = sum(fees)\nok = granted", context)
    assert context["total"] == 6 and context["ok"] is True
    assert workflow.RestrictedEnvironment().evaluate("total > 5", context) is True
