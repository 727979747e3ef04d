"""Each item's internal steps as a BPMN 2.0 process run by SpiffWorkflow.

The ``.bpmn`` files in ``data/bpmn/`` open in any standard BPMN editor. A workflow's
state is serialised to JSON and stored with the application task, so an in-flight
case (parallel branches included) survives a restart. Script tasks and gateway
conditions run through RestrictedPython, never plain ``eval``/``exec``.
"""

from __future__ import annotations

import base64
import copy
import zlib
from functools import cache
from importlib import resources
from typing import Any

from RestrictedPython import compile_restricted_eval, compile_restricted_exec, safe_globals
from RestrictedPython.Eval import default_guarded_getitem
from RestrictedPython.Guards import guarded_iter_unpack_sequence
from SpiffWorkflow.bpmn.parser import BpmnParser
from SpiffWorkflow.bpmn.script_engine import PythonScriptEngine
from SpiffWorkflow.bpmn.script_engine.python_environment import BasePythonScriptEngineEnvironment
from SpiffWorkflow.bpmn.serializer import BpmnWorkflowSerializer
from SpiffWorkflow.bpmn.specs.bpmn_process_spec import BpmnProcessSpec
from SpiffWorkflow.bpmn.workflow import BpmnWorkflow
from SpiffWorkflow.util.task import TaskState

from citybrain.core.errors import DomainError

PROCESSES = ("approval_simple", "approval_parallel")
DECIDE_STEP = "decide"
ACCEPT_STEP = "accept"
COMPRESSED = "z1:"


EXTRA_BUILTINS = {f.__name__: f for f in (sum, min, max, any, all, sorted, enumerate)}


class RestrictedEnvironment(BasePythonScriptEngineEnvironment):
    """Evaluates BPMN expressions and scripts with RestrictedPython's guards."""

    def _globals(self, context: dict[str, Any]) -> dict[str, Any]:
        scope: dict[str, Any] = dict(safe_globals)
        scope["__builtins__"] = {**safe_globals["__builtins__"], **EXTRA_BUILTINS}
        scope["_getitem_"] = default_guarded_getitem
        scope["_getiter_"] = iter
        scope["_iter_unpack_sequence_"] = guarded_iter_unpack_sequence
        scope.update(copy.deepcopy(context))
        return scope

    def evaluate(
        self, expression: str, context: dict[str, Any], external_context: Any = None
    ) -> Any:
        code = compile_restricted_eval(expression)
        if code.errors or code.code is None:
            raise ValueError("; ".join(code.errors))
        return eval(code.code, self._globals(context))  # noqa: S307 - restricted bytecode

    def execute(self, script: str, context: dict[str, Any], external_context: Any = None) -> bool:
        code = compile_restricted_exec(script)
        if code.errors or code.code is None:
            raise ValueError("; ".join(code.errors))
        scope = self._globals(context)
        before = set(scope)
        exec(code.code, scope)  # noqa: S102 - restricted bytecode
        for key, value in scope.items():
            if key.startswith("_") or callable(value):
                continue
            if key not in before or key in context:
                context[key] = value
        return True


ENGINE = PythonScriptEngine(environment=RestrictedEnvironment())
_serializer = BpmnWorkflowSerializer()


@cache
def process_spec(process: str) -> BpmnProcessSpec:
    """The parsed process from the packaged ``.bpmn`` file."""
    if process not in PROCESSES:
        raise ValueError(f"unknown process {process}")
    parser = BpmnParser()
    path = resources.files("citybrain.servicehub").joinpath(f"data/bpmn/{process}.bpmn")
    with resources.as_file(path) as file:
        parser.add_bpmn_file(str(file))
    return parser.get_spec(process)


def start(process: str) -> BpmnWorkflow:
    workflow = BpmnWorkflow(process_spec(process), script_engine=ENGINE)
    workflow.do_engine_steps()
    return workflow


def dump(workflow: BpmnWorkflow) -> str:
    """The workflow as text for a Text column: SpiffWorkflow's JSON, zlib-compressed (~4×)."""
    raw = str(_serializer.serialize_json(workflow)).encode()
    return COMPRESSED + base64.b64encode(zlib.compress(raw, 1)).decode()


def restore(state: str) -> BpmnWorkflow:
    """A workflow from ``dump`` (plain JSON from older rows is read as well)."""
    if state.startswith(COMPRESSED):
        state = zlib.decompress(base64.b64decode(state[len(COMPRESSED) :])).decode()
    workflow = _serializer.deserialize_json(state)
    workflow.script_engine = ENGINE
    return workflow


def ready_steps(workflow: BpmnWorkflow) -> list[str]:
    """Names (BPMN ids) of the user tasks waiting for a person, in a stable order."""
    tasks = workflow.get_tasks(state=TaskState.READY, manual=True)
    return sorted(task.task_spec.name for task in tasks)


def step_labels(process: str) -> dict[str, str]:
    spec = process_spec(process)
    return {
        name: task.bpmn_name or name
        for name, task in spec.task_specs.items()
        if getattr(task, "manual", False)
    }


def complete(workflow: BpmnWorkflow, step: str, data: dict[str, Any] | None = None) -> None:
    """Complete the READY user task ``step`` with ``data``; 409 when it is not waiting."""
    for task in workflow.get_tasks(state=TaskState.READY, manual=True):
        if task.task_spec.name == step:
            if data:
                task.set_data(**data)
            task.run()
            workflow.do_engine_steps()
            return
    raise DomainError(
        "servicehub.step_not_ready",
        f"当前不能办理此环节：{step}",
        f"The step {step} is not waiting now",
        status=409,
        step=step,
        ready=ready_steps(workflow),
    )


def outcome(workflow: BpmnWorkflow) -> str | None:
    """``grant``/``refuse`` once the process has ended, else None."""
    if not workflow.completed:
        return None
    value = workflow.data.get("outcome")
    if value is None:
        for task in workflow.get_tasks(state=TaskState.COMPLETED):
            value = task.data.get("outcome", value)
    return str(value) if value is not None else None
