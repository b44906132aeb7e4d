"""The output renderers against real AWS CLI v2.36.7 captures, plus hand-checked cases."""

from __future__ import annotations

import json
import re
import subprocess
import sys
import unicodedata
from pathlib import Path

import jmespath
import pytest

from sagemaker_async.render import FORMATS, RenderError, format_output

GOLDEN = Path(__file__).parent / "golden" / "aws-cli-v2.36.7" / "cases.jsonl"
CASES = [json.loads(line) for line in GOLDEN.read_text(encoding="utf-8").splitlines() if line]
TITLE = "InvokeEndpointAsync"
UUID = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}")
USAGE = (
    "usage: aws [options] <command> <subcommand> [<subcommand> ...] [parameters]\n"
    "To see help text, you can run:\n"
    "\n"
    "  aws help\n"
    "  aws <command> help\n"
    "  aws <command> <subcommand> help\n"
)


# --- reading the captures ---------------------------------------------------------------


def _option(argv: list[str], name: str) -> str | None:
    """The last value given for ``--name`` (``--name value`` or ``--name=value``)."""
    value = None
    for index, arg in enumerate(argv):
        if arg == name and index + 1 < len(argv):
            value = argv[index + 1]
        elif arg.startswith(name + "="):
            value = arg.split("=", 1)[1]
    return value


def _output_format(case: dict) -> str:
    explicit = _option(case["argv"], "--output")
    if explicit:
        return explicit
    env = case.get("env") or {}
    if env.get("AWS_DEFAULT_OUTPUT"):
        return env["AWS_DEFAULT_OUTPUT"]
    if env.get("AWS_CONFIG_FILE", "").endswith("config-yaml"):
        return "yaml"
    return "json"


def _response(inference_id: str) -> dict:
    # botocore's parse order: header members first, then the body.
    return {
        "OutputLocation": f"s3://out-bucket/results/{inference_id}.out",
        "FailureLocation": f"s3://out-bucket/failures/{inference_id}-error.out",
        "InferenceId": inference_id,
    }


def _shape(case: dict, response: dict):
    query = _option(case["argv"], "--query")
    return response if query is None else jmespath.search(query, response)


def _render(case: dict, data) -> str:
    color = _option(case["argv"], "--color") == "on"
    return format_output(data, _output_format(case), title=TITLE, color=color)


def _success_cases() -> list[dict]:
    return [
        case
        for case in CASES
        if case["rc"] == 0
        and len(case["requests"]) == 1
        and "--generate-cli-skeleton" not in case["argv"]
    ]


def _skeleton_output_cases() -> list[dict]:
    return [
        case
        for case in CASES
        if case["rc"] == 0 and _option(case["argv"], "--generate-cli-skeleton") == "output"
    ]


def _ids(cases: list[dict]) -> list[str]:
    return [case["name"] for case in cases]


# --- golden: stdout of successful calls -------------------------------------------------


@pytest.mark.parametrize("case", _success_cases(), ids=_ids(_success_cases()))
def test_golden_success_stdout(case):
    inference_id = case["requests"][0]["headers"].get("x-amzn-sagemaker-inference-id")
    if inference_id is None:
        # The stub made up a uuid; the CLI printed it.
        found = UUID.search(case["stdout"])
        if found is None:
            pytest.skip("server-generated id not visible in stdout")
        inference_id = found.group(0)
    assert _render(case, _shape(case, _response(inference_id))) == case["stdout"]


def test_golden_success_cases_are_many():
    # Guard against the filter silently matching nothing.
    assert len(_success_cases()) >= 50


@pytest.mark.parametrize("case", _skeleton_output_cases(), ids=_ids(_skeleton_output_cases()))
def test_golden_skeleton_output(case):
    skeleton = {
        "InferenceId": "InferenceId",
        "OutputLocation": "OutputLocation",
        "FailureLocation": "FailureLocation",
    }
    assert _render(case, _shape(case, skeleton)) == case["stdout"]


def test_golden_skeleton_output_cases_found():
    assert {"skeleton_output", "skeleton_output_table", "skeleton_output_query"} <= set(
        _ids(_skeleton_output_cases())
    )


# --- golden: structured errors on stderr ------------------------------------------------

STUB_ERRORS = {
    "validation": ("ValidationError", "Endpoint nope of account 123456789012 not found."),
    "model": ("ModelError", "Received server error (500) from model"),
    "throttle": ("ThrottlingException", "Rate exceeded"),
    "internal": ("InternalFailure", "Internal failure"),
    "unavailable": ("ServiceUnavailable", "Service is unavailable"),
}
CLI_ERRORS = {
    "no_region_json_fmt": (
        "NoRegion",
        'You must specify a region. You can also configure your region by running "aws configure".',
    ),
    "missing_required_json_fmt": (
        "ParamValidation",
        "the following arguments are required: --endpoint-name\n\n" + USAGE,
    ),
}


def _error_cases() -> list[dict]:
    return [
        case
        for case in CASES
        if case["name"].endswith(("_fmt_yaml", "_fmt_table", "_fmt_json", "_fmt_text"))
        or case["name"] in CLI_ERRORS
    ]


@pytest.mark.parametrize("case", _error_cases(), ids=_ids(_error_cases()))
def test_golden_structured_error(case):
    fmt = _option(case["argv"], "--cli-error-format")
    if case["name"] in CLI_ERRORS:
        code, message = CLI_ERRORS[case["name"]]
        error = {"Code": code, "Message": message}
    else:
        code, message = STUB_ERRORS[case["scenario"]]
        error = {"Message": message, "Code": code}  # botocore's ClientError order
    assert format_output(error, fmt, title="error") == case["stderr"]


def test_golden_structured_error_cases_found():
    names = set(_ids(_error_cases()))
    assert {"error_validation_fmt_yaml", "error_validation_fmt_table"} <= names
    assert set(CLI_ERRORS) <= names


# --- the dispatcher ---------------------------------------------------------------------


def test_formats_tuple():
    assert FORMATS == ("json", "text", "table", "yaml", "yaml-stream", "off")


@pytest.mark.parametrize("data", [{"a": 1}, "x", None, [1], {}])
def test_off_prints_nothing(data):
    assert format_output(data, "off") == ""


@pytest.mark.parametrize("fmt", ["xml", "", "JSON", "yaml_stream"])
def test_unknown_format_raises(fmt):
    with pytest.raises(ValueError):
        format_output({"a": 1}, fmt)


def test_render_imports_no_botocore_and_no_yaml_for_json():
    code = (
        "import sys\n"
        "from sagemaker_async.render import format_output\n"
        "format_output({'a': 1}, 'json'); format_output({'a': 1}, 'table')\n"
        "format_output({'a': 1}, 'text')\n"
        "print(sorted(m for m in sys.modules if m.split('.')[0] in ('botocore', 'yaml')))\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout == "[]\n"


# --- json -------------------------------------------------------------------------------


def test_json_keeps_key_order_and_writes_unicode_raw():
    assert format_output({"b": "café ✓", "a": "日本"}, "json") == (
        '{\n    "b": "café ✓",\n    "a": "日本"\n}\n'
    )


@pytest.mark.parametrize(
    ("data", "expected"),
    [
        ({}, ""),
        ([], "[]\n"),
        ("", '""\n'),
        (None, "null\n"),
        (False, "false\n"),
        (0, "0\n"),
        (1.5, "1.5\n"),
        ({"a": {}, "b": []}, '{\n    "a": {},\n    "b": []\n}\n'),
        ([{}], "[\n    {}\n]\n"),
    ],
)
def test_json_empty_and_scalars(data, expected):
    assert format_output(data, "json") == expected


def test_json_nested():
    data = {"Top": "t", "Nested": {"Out": "o"}, "L": ["x", None]}
    assert format_output(data, "json") == (
        '{\n    "Top": "t",\n    "Nested": {\n        "Out": "o"\n    },\n'
        '    "L": [\n        "x",\n        null\n    ]\n}\n'
    )


# --- text -------------------------------------------------------------------------------

NESTED = {
    "Top": "inf-0001",
    "Nested": {
        "Out": "s3://out-bucket/results/inf-0001.out",
        "Fail": "s3://out-bucket/failures/inf-0001-error.out",
    },
    "L": ["inf-0001", "inf-0001"],
}


def test_text_nested_query_from_reference():
    assert format_output(NESTED, "text") == (
        "inf-0001\n"
        "L\tinf-0001\n"
        "L\tinf-0001\n"
        "NESTED\ts3://out-bucket/failures/inf-0001-error.out\ts3://out-bucket/results/inf-0001.out\n"
    )


def test_text_list_of_objects_uses_union_of_keys():
    data = [
        {"A": "inf-0001", "B": "s3://out-bucket/results/inf-0001.out"},
        {"A": "s3://out-bucket/failures/inf-0001-error.out"},
    ]
    assert format_output(data, "text") == (
        "inf-0001\ts3://out-bucket/results/inf-0001.out\n"
        "s3://out-bucket/failures/inf-0001-error.out\t\n"
    )


def test_text_deeply_nested():
    data = {
        "b": 2,
        "a": "x",
        "Items": [{"k": "v1", "Tags": ["t1", "t2"]}, {"k": "v2", "n": None}],
        "Empty": [],
        "Obj": {"Inner": {"z": True}},
    }
    assert format_output(data, "text") == (
        "x\t2\nITEMS\tv1\t\nTAGS\tt1\nTAGS\tt2\nITEMS\tv2\tNone\nINNER\tTrue\n"
    )


def test_text_lists_of_lists():
    assert format_output([["a", "b"], "c", ["d"]], "text") == "c\na\tb\nd\n"
    assert format_output({"x": [[1, 2], 3]}, "text") == "X\t3\nX\t1\nX\t2\n"


@pytest.mark.parametrize(
    ("data", "expected"),
    [
        (None, "None\n"),
        (True, "True\n"),
        (False, "False\n"),
        (0, "0\n"),
        (1.5, "1.5\n"),
        ("", "\n"),
        ("café ✓", "café ✓\n"),
        ({}, ""),
        ([], ""),
        ({"a": {}, "b": []}, ""),
        ({"a": "", "b": None}, "\tNone\n"),
        (["", None, False], "\tNone\tFalse\n"),
    ],
)
def test_text_scalars_and_empties(data, expected):
    assert format_output(data, "text") == expected


def test_text_mixed_dict_list_fails_like_the_cli():
    with pytest.raises(RenderError, match="'str' object has no attribute 'items'"):
        format_output([{"a": 1}, "x"], "text")


# --- table ------------------------------------------------------------------------------


def _display_width(line: str) -> int:
    return sum(2 if unicodedata.east_asian_width(c) in "WFA" else 1 for c in line)


def _assert_rectangular(rendered: str) -> None:
    widths = {_display_width(line) for line in rendered.splitlines()}
    assert len(widths) == 1, rendered


def test_table_nested_query_from_reference():
    expected = (
        "-----------------------------------------------------------\n"
        "|                   InvokeEndpointAsync                   |\n"
        "+--------------------+------------------------------------+\n"
        "|  Top               |  inf-0001                          |\n"
        "+--------------------+------------------------------------+\n"
        "||                           L                           ||\n"
        "|+-------------------------------------------------------+|\n"
        "||  inf-0001                                             ||\n"
        "||  inf-0001                                             ||\n"
        "|+-------------------------------------------------------+|\n"
        "||                        Nested                         ||\n"
        "|+------+------------------------------------------------+|\n"
        "||  Fail|  s3://out-bucket/failures/inf-0001-error.out   ||\n"
        "||  Out |  s3://out-bucket/results/inf-0001.out          ||\n"
        "|+------+------------------------------------------------+|\n"
    )
    assert format_output(NESTED, "table", title=TITLE) == expected


def test_table_wide_terminal_stays_horizontal():
    expected = (
        "--------------------------------------------------------------------------------------------------------\n"
        "|                                          InvokeEndpointAsync                                         |\n"
        "+----------------------------------------------+--------------+----------------------------------------+\n"
        "|                FailureLocation               | InferenceId  |            OutputLocation              |\n"
        "+----------------------------------------------+--------------+----------------------------------------+\n"
        "|  s3://out-bucket/failures/inf-0001-error.out |  inf-0001    |  s3://out-bucket/results/inf-0001.out  |\n"
        "+----------------------------------------------+--------------+----------------------------------------+\n"
    )
    data = _response("inf-0001")
    assert format_output(data, "table", title=TITLE, width=200) == expected
    # 104 columns is exactly enough; 103 is not.
    assert format_output(data, "table", title=TITLE, width=104) == expected
    vertical = format_output(data, "table", title=TITLE, width=103)
    assert "|  FailureLocation |  s3://out-bucket/failures/inf-0001-error.out  |" in vertical


def test_table_single_key_dict_and_title_only():
    assert format_output({"Id": "inf-0001"}, "table", title=TITLE) == (
        "---------------------\n"
        "|InvokeEndpointAsync|\n"
        "+-----+-------------+\n"
        "|  Id |  inf-0001   |\n"
        "+-----+-------------+\n"
    )
    for truthy in ("inf-0001", True, 8, 1.5):
        assert format_output(truthy, "table", title=TITLE) == (
            "---------------------\n|InvokeEndpointAsync|\n+-------------------+\n"
        )


@pytest.mark.parametrize("data", [None, [], {}, False, 0, "", 0.0])
def test_table_falsy_prints_nothing(data):
    assert format_output(data, "table", title=TITLE) == ""
    assert format_output(data, "table", title=TITLE, color=True) == ""


def test_table_dict_with_only_empty_nested_values_prints_title_box():
    assert format_output({"a": [], "b": {}}, "table", title=TITLE) == (
        "---------------------\n|InvokeEndpointAsync|\n+-------------------+\n"
    )


def test_table_falsy_cells_are_printed():
    assert format_output({"a": "", "b": None, "c": False, "d": 0}, "table", title="T") == (
        "-----------------------------\n"
        "|             T             |\n"
        "+---+--------+---------+----+\n"
        "| a |   b    |    c    | d  |\n"
        "+---+--------+---------+----+\n"
        "|   |  None  |  False  |  0 |\n"
        "+---+--------+---------+----+\n"
    )


def test_table_east_asian_wide_characters_take_two_columns():
    rendered = format_output({"Id": "日本"}, "table", title=TITLE)
    assert rendered == (
        "---------------------\n"
        "|InvokeEndpointAsync|\n"
        "+-------+-----------+\n"
        "|  Id   |  日本     |\n"
        "+-------+-----------+\n"
    )
    _assert_rectangular(rendered)


def test_table_unicode_columns_line_up():
    # "é" is East-Asian ambiguous: the CLI counts it as two columns too.
    data = [{"名前": "テスト", "v": "café"}, {"名前": "x", "v": "✓✓"}]
    rendered = format_output(data, "table", title="一覧")
    assert rendered == (
        "---------------------\n"
        "|       一覧        |\n"
        "+--------+----------+\n"
        "|    v   |  名前    |\n"
        "+--------+----------+\n"
        "|  café |  テスト  |\n"
        "|  ✓✓    |  x       |\n"
        "+--------+----------+\n"
    )


def test_table_list_of_objects_with_nested_values_repeats_headers():
    data = [{"a": "1", "n": {"x": "y"}}, {"a": "2", "n": {"x": "z"}}]
    assert format_output(data, "table", title="T") == (
        "--------------\n"
        "|      T     |\n"
        "+------------+\n"
        "|      a     |\n"
        "+------------+\n"
        "|  1         |\n"
        "+------------+\n"
        "||     n    ||\n"
        "|+----+-----+|\n"
        "||  x |  y  ||\n"
        "|+----+-----+|\n"
        "|      T     |\n"
        "+------------+\n"
        "|      a     |\n"
        "+------------+\n"
        "|  2         |\n"
        "+------------+\n"
        "||     n    ||\n"
        "|+----+-----+|\n"
        "||  x |  z  ||\n"
        "|+----+-----+|\n"
    )


def test_table_list_of_lists_shares_the_section():
    assert format_output([["a", "b"], ["c", "dd"]], "table", title="T") == (
        "-------------\n|     T     |\n+----+------+\n|  a |  b   |\n|  c |  dd  |\n+----+------+\n"
    )


def test_table_ragged_rows_fail_like_the_cli():
    with pytest.raises(RenderError, match="Row should have 1 elements, instead it has 2"):
        format_output(["a", ["b", "c"]], "table", title="T")
    with pytest.raises(RenderError, match="string indices must be integers"):
        format_output([{"a": 1}, "x"], "table", title="T")


def test_table_empty_title_draws_no_title_line():
    assert format_output({"a": "b"}, "table") == (
        "------------\n+----+-----+\n|  a |  b  |\n+----+-----+\n"
    )


def test_table_color_nested_sections():
    reset = "\x1b[0m"
    pipe = "\x1b[2m\x1b[33m|" + reset
    blue = "\x1b[1m\x1b[34m"
    lines = [
        ("", "|   T   |"),
        ("", "+-------+"),
        (pipe, "|  L  |"),
        (pipe, "+-----+"),
        (pipe, f"|  {blue}v{reset}  |"),
        (pipe, "+-----+"),
    ]
    expected = "---------\n" + reset
    for pipes, body in lines:
        expected += pipes + reset + body + reset + pipes + reset + "\n" + reset
    assert format_output({"L": ["v"]}, "table", title="T", color=True) == expected
    assert format_output({"L": ["v"]}, "table", title="T") == (
        "---------\n|   T   |\n+-------+\n||  L  ||\n|+-----+|\n||  v  ||\n|+-----+|\n"
    )


# --- yaml -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("data", "yaml_text", "stream_text"),
    [
        ({}, "", ""),
        ([], "[]\n", "- []\n"),
        (None, "null\n", "- null\n"),
        ("", '""\n', "- ''\n"),
        ("inf-0001", '"inf-0001"\n', "- inf-0001\n"),
        ("café", '"café"\n', "- café\n"),
        (True, "true\n", "- true\n"),
        (0, "0\n", "- 0\n"),
        (1.5, "1.5\n", "- 1.5\n"),
        ({"a": {}, "b": [], "c": None, "d": ""}, "a: {}\nb: []\nc: null\nd: ''\n", None),
        ([{}], "- {}\n", "- - {}\n"),
    ],
)
def test_yaml_empty_and_scalars(data, yaml_text, stream_text):
    assert format_output(data, "yaml") == yaml_text
    if stream_text is not None:
        assert format_output(data, "yaml-stream") == stream_text


# Expected texts below were produced by ruamel.yaml 0.19.1 with ruamel.yaml.clib, configured
# as the CLI configures it (YAML(typ='safe'), default_flow_style=False).
@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("yes", "k: yes\n"),  # YAML 1.2: not a boolean, so plain
        ("on", "k: on\n"),
        ("1:20", "k: 1:20\n"),
        ("true", "k: 'true'\n"),
        ("null", "k: 'null'\n"),
        ("123", "k: '123'\n"),
        ("0o17", "k: '0o17'\n"),
        ("1e5", "k: '1e5'\n"),
        ("2001-12-14", "k: '2001-12-14'\n"),
        ("a: b", "k: 'a: b'\n"),
        ("café ✓ 日本", "k: café ✓ 日本\n"),
        ("😀", 'k: "\\U0001F600"\n'),  # the C emitter escapes non-BMP characters
        ("a\nb", "k: 'a\n\n  b'\n"),
        (1e20, "k: 1e+20\n"),
        (1e-07, "k: 1e-07\n"),
        (float("inf"), "k: .inf\n"),
        (123456789012345678901234567890, "k: 123456789012345678901234567890\n"),
    ],
)
def test_yaml_scalars_as_the_cli_dumps_them(value, expected):
    assert format_output({"k": value}, "yaml") == expected


def test_yaml_long_strings_fold_at_80_columns():
    words = " ".join(["word"] * 30)
    assert format_output({"Message": words}, "yaml") == (
        "Message: word word word word word word word word word word word word word word word\n"
        "  word word word word word word word word word word word word word word word\n"
    )
    # One long word is never broken.
    long = "s3://bucket/" + "x" * 150
    assert format_output({"k": long}, "yaml") == f"k: {long}\n"
    assert format_output([long + " y"], "yaml") == f"- {long}\n  y\n"


def test_yaml_nested_sorted_and_stream():
    assert format_output(NESTED, "yaml") == (
        "L:\n- inf-0001\n- inf-0001\nNested:\n"
        "  Fail: s3://out-bucket/failures/inf-0001-error.out\n"
        "  Out: s3://out-bucket/results/inf-0001.out\nTop: inf-0001\n"
    )
    assert format_output({"b": [{"y": 1, "x": [2]}], "a": 0}, "yaml-stream") == (
        "- a: 0\n  b:\n  - x:\n    - 2\n    y: 1\n"
    )


def test_yaml_shared_objects_become_aliases():
    shared = {"a": 1}
    assert format_output({"x": shared, "y": shared}, "yaml") == "x: &id001\n  a: 1\ny: *id001\n"


def test_yaml_uses_the_libyaml_dumper():
    # Only libyaml's emitter escapes and folds like the CLI's (ruamel.yaml.clib); PyYAML's
    # pure emitter is a fallback that differs for emoji and long escaped strings.
    import yaml

    from sagemaker_async.render import yaml_format

    assert issubclass(yaml_format._dumper(), yaml.CSafeDumper)


def test_render_error_is_a_value_error():
    assert issubclass(RenderError, ValueError)
