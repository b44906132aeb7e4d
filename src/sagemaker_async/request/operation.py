"""One operation, end to end: params → (skeleton | client → send) → shape → render → write."""

from __future__ import annotations

from sagemaker_async.errors import ExitCode
from sagemaker_async.request import params as P
from sagemaker_async.request.options import WORKFLOW_DESTS

TYPE_CHECKING = False  # typing costs start-up time; mypy reads this as typing.TYPE_CHECKING

if TYPE_CHECKING:
    from typing import Any

    from sagemaker_async.context import Streams
    from sagemaker_async.request.service_model import Operation
    from sagemaker_async.request.settings import Settings


def run_operation(
    op: Operation, values: dict[str, Any], settings: Settings, streams: Streams
) -> int:
    params = P.build_params(op, values)
    document = P.load_cli_input(values)  # read and parsed even when a skeleton is asked for
    skeleton = values.get("generate_cli_skeleton")
    if skeleton in ("input", "yaml-input"):
        from sagemaker_async.request.service_model import load_service_model

        shapes = load_service_model()["shapes"]
        text = (
            P.format_input_skeleton(op, shapes)
            if skeleton == "input"
            else P.format_yaml_input_skeleton(op, shapes)
        )
        streams.stdout.write(text.encode("utf-8"))
        streams.stdout.flush()
        return ExitCode.OK
    params = P.merge_cli_input(params, document)
    flow = None
    if skeleton is None and any(values.get(dest) not in (None, False) for dest in WORKFLOW_DESTS):
        from sagemaker_async.workflow.invoke import InvokeWorkflow

        flow = InvokeWorkflow.from_values(values, params, streams.stdin)

    from sagemaker_async.request import client as C

    api = C.make_client(settings)
    params = C.decode_blobs(op, params, settings.resolve_binary_format())
    if settings.redactor is not None:
        _register_secrets(settings, op, params)
    if skeleton == "output":
        C.validate(api, op, params)
        response: dict[str, Any] = P.output_skeleton(op)
    elif flow is not None:  # --payload, --wait…: upload, invoke, then maybe wait
        response = flow.submit(api, op, params, settings)
        if flow.prints_response:
            write_result(response, op.name, settings, streams)
        return flow.collect(response, streams)
    else:
        response = C.invoke(api, op, params)
    write_result(response, op.name, settings, streams)
    return ExitCode.OK


def write_result(
    response: dict[str, Any], title: str, settings: Settings, streams: Streams
) -> None:
    from sagemaker_async.render import format_output
    from sagemaker_async.render.shape import shape_response
    from sagemaker_async.render.writer import output_format, write_output

    data = shape_response(response, settings.compiled_query)
    fmt = output_format(settings)
    write_output(
        lambda width, color: format_output(data, fmt, title=title, color=color, width=width),
        settings,
        streams.stdout,
    )


def _register_secrets(settings: Settings, op: Operation, params: dict[str, Any]) -> None:
    """Tell the debug log's redactor every value that must never be printed."""
    for member in op.input_members:
        if member.sensitive and member.name in params:
            settings.redactor.add(params[member.name])
    from sagemaker_async.request.client import register_credentials

    register_credentials(settings)
