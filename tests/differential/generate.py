"""Random but plausible cases for the differential run: a command line, an environment,
config/credential files, --cli-input-json/yaml documents and a stub scenario.

A case is plain JSON so it can be printed as a reproducer and replayed::

    {"args": [["--endpoint-name", "ep"], ...],   # option groups; flattened to run
     "env": {"AWS_REGION": ""},                  # on top of the base environment
     "files": {"home/config": "...", "b.bin": {"hex": "00ff"}},
     "scenario": "ok"}

``@DIR@`` stands for the case's folder and ``@PORT@`` for the stub's port. Each case comes from
its own ``random.Random(f"{seed}:{index}")``, so one case is regenerated from (seed, index)
alone. The pools below favour what users really type, plus the edges that found differences.
"""

from __future__ import annotations

import base64
import json
import random
from typing import Any

COMMAND = ["sagemaker-runtime", "invoke-endpoint-async"]
ENDPOINT = "http://127.0.0.1:@PORT@"
ACCESS_KEY = "AKIDEXAMPLE"
SECRET_KEY = "fake-secret-key"

CREDENTIALS = f"[default]\naws_access_key_id = {ACCESS_KEY}\naws_secret_access_key = {SECRET_KEY}\n"

# -- values --------------------------------------------------------------------------------
NAMES = ["ep", "my-endpoint", "e" * 63, "", "a b", "x/y", "ünï", "ep?x=1", "%41", "-dash"]
CONTENT_TYPES = ["application/json", "text/csv; charset=utf-8", "", "application/x-npy", "ü/x"]
ACCEPTS = ["application/json", "*/*", "", "text/plain"]
CUSTOM = ["a=1", "trace=abc;x=y", "", "x" * 1025, "é=1", " spaced "]
IDS = ["id-1", "00000000-0000-4000-8000-000000000000", "", "x" * 65, "ü-id", "with space"]
LOCATIONS = ["s3://in-bucket/k.json", "s3://b/" + "k" * 1030, "", "not-s3", "file://@DIR@/loc.txt"]
TTLS = ["60", "5", "21600", "21601", "abc", "-1", "0x10", " 60", "file://@DIR@/ttl.txt", "1e3"]
TIMEOUTS = ["1", "3600", "3601", "0", "x", "file://@DIR@/ttl.txt"]
TEXTS = ["f.json", "", "out/ext", "ü", "a" * 300]
QUERIES = [
    "InferenceId",
    "OutputLocation",
    "[InferenceId, OutputLocation]",
    "{a: InferenceId, b: FailureLocation}",
    "x[",
    "length(@)",
    "`1`",
    "@",
    "*",
    "InferenceId[0]",
    "keys(@)",
    "`null`",
    "[?@]",
    "[0:100000000000000000000000]",
    '`"ü"`',
]
OUTPUTS = ["json", "text", "table", "yaml", "yaml-stream", "off", "xml", "JSON", ""]
REGIONS = ["us-east-1", "eu-west-1", "", "a/b", "us east 1", "US-EAST-1", "-x", "cn-north-1"]
PROFILES = ["default", "dev", "nosuch", "", "yamlp"]
ERROR_FORMATS = ["legacy", "json", "yaml", "text", "table", "enhanced", "bogus", "JSON", ""]
BINARY_FORMATS = ["base64", "raw-in-base64-out", "hex", ""]


def _b64(data: bytes) -> str:
    return base64.b64encode(data).decode()


def body_value(rng: random.Random) -> str:
    """Base64 as people paste it, wrap it and break it."""
    data = rng.choice([b"hello", b'{"x": 1}', b"x" * 60, bytes(range(7)), b""])
    good = _b64(data)
    choices = [
        good,
        good + "\n",
        good[:4] + " " + good[4:],
        "\n".join(good[i : i + 8] for i in range(0, len(good), 8)),
        good.rstrip("="),
        "!!!!",
        "café",
        "-_-_",
        "aGk",
        "aGk=x",
        "a===",
        "YQ==YQ==",
        "  aGk=  ",
        "aGk=\t",
        "file://@DIR@/b64.txt",
        "fileb://@DIR@/bin.bin",
        "file://@DIR@/bin.bin",
        "file://@DIR@/nope.bin",
        "file://@DIR@/latin1.txt",
        "aGVs\r\nbG8=",
        "",
    ]
    return rng.choice(choices)


def pick(rng: random.Random, pool: list[str]) -> str:
    return rng.choice(pool)


# -- files ---------------------------------------------------------------------------------
def config_file(rng: random.Random, env: dict[str, str]) -> str:
    if rng.random() < 0.04:
        return rng.choice(["[default\nregion = us-east-1\n", "region = us-east-1\n", ""])
    lines = ["[default]"]
    if rng.random() < 0.9:
        lines.append(
            "region = " + rng.choice(["us-east-1", "us-east-1", "eu-central-1", "", "a b"])
        )
    extra = {
        "output": OUTPUTS,
        "cli_binary_format": BINARY_FORMATS,
        "cli_error_format": ERROR_FORMATS,
        "max_attempts": ["1", "2", "0", "one", "-1"],
        "retry_mode": ["standard", "legacy", "adaptive", "fast"],
        "ca_bundle": ["/nonexistent-ca.pem", ""],
        "endpoint_url": [ENDPOINT, "not-a-url", ENDPOINT + "/pfx/"],
        "cli_pager": ["", "cat"],
        "cli_follow_urlparam": ["false"],
    }
    for key, pool in extra.items():
        if rng.random() < 0.07:
            lines.append(f"{key} = {rng.choice(pool)}")
    lines += ["", "[profile dev]", "region = eu-west-2", "output = text"]
    lines += ["", "[profile yamlp]", "region = ap-northeast-1", "output = yaml", ""]
    return "\n".join(lines)


def credentials_file(rng: random.Random) -> str:
    roll = rng.random()
    if roll < 0.03:
        return "[default\naws_access_key_id = X\n"
    if roll < 0.06:
        return f"[default]\naws_access_key_id = {ACCESS_KEY}\n"
    if roll < 0.08:
        return ""
    text = CREDENTIALS
    text += f"\n[dev]\naws_access_key_id = AKIDDEV\naws_secret_access_key = {SECRET_KEY}\n"
    text += f"\n[yamlp]\naws_access_key_id = AKIDYAML\naws_secret_access_key = {SECRET_KEY}\n"
    return text


def data_files() -> dict[str, Any]:
    return {
        "loc.txt": "s3://in-bucket/from-file.json",
        "ttl.txt": "600\n",
        "b64.txt": _b64(b"hello from a file") + "\n",
        "bin.bin": {"hex": bytes(range(256)).hex()},
        "latin1.txt": {"hex": "636166e9"},
    }


# -- --cli-input-json / --cli-input-yaml -----------------------------------------------------
def input_document(rng: random.Random) -> dict[str, Any]:
    doc: dict[str, Any] = {}
    if rng.random() < 0.85:
        doc["EndpointName"] = pick(rng, NAMES[:4])
    members = {
        "InputLocation": lambda: pick(rng, LOCATIONS[:3]),
        "ContentType": lambda: pick(rng, CONTENT_TYPES),
        "InferenceId": lambda: pick(rng, IDS),
        "RequestTTLSeconds": lambda: rng.choice([60, 3600, 5, "600", 1.5, None, True]),
        "InvocationTimeoutSeconds": lambda: rng.choice([1, 3600, 3601]),
        "CustomAttributes": lambda: pick(rng, CUSTOM[:3]),
        "Body": lambda: body_value(rng),
        "Extra": lambda: True,
        "Accept": lambda: rng.choice(["*/*", 5, ["a"]]),
    }
    for name, make in members.items():
        if rng.random() < 0.3:
            doc[name] = make()
    return doc


YAML_INTS = ["1_000", "0b1111", "+0x1F", "0o17", "017", "0x_1F", "1e3", "+60", "0600", "60"]


def yaml_text(rng: random.Random, doc: dict[str, Any]) -> str:
    lines = [f"{key}: {json.dumps(value, ensure_ascii=False)}" for key, value in doc.items()]
    roll = rng.random()
    if roll < 0.25:
        lines.append(f"RequestTTLSeconds: {rng.choice(YAML_INTS)}")
    elif roll < 0.35:
        lines.append(
            f"InferenceId: {rng.choice(['yes', 'on', 'no', '~', 'null', '2024-01-01', '1:20'])}"
        )
    elif roll < 0.45 and lines:
        lines.append(lines[0])  # a duplicate key
    elif roll < 0.52:
        lines.insert(0, "%YAML 1.1\n---")
        # Not 1e3: ruamel.yaml warns about 1.1 floats without a dot, naming its own install path.
        lines.append(f"RequestTTLSeconds: {rng.choice([i for i in YAML_INTS if 'e' not in i])}")
    elif roll < 0.57:
        lines = ["base: &a ep", "EndpointName: *a", *lines[1:]]
    elif roll < 0.62:
        lines.append("Body: !!binary aGVsbG8=")
    elif roll < 0.66:
        lines.append("---\nEndpointName: second")
    elif roll < 0.70:
        return "[" + ", ".join(lines) + "]"
    return "\n".join(lines) + "\n"


def json_text(rng: random.Random, doc: dict[str, Any]) -> str:
    text = json.dumps(doc, indent=rng.choice([None, 2]), ensure_ascii=rng.random() < 0.5)
    roll = rng.random()
    if roll < 0.05:
        text += " trailing"
    elif roll < 0.1:
        text = text[:-1]
    elif roll < 0.13:
        text = "[" + text + "]"
    elif roll < 0.16:
        text = text.replace('"EndpointName"', '"EndpointName": "dup", "EndpointName"', 1)
    return text


def cli_input(rng: random.Random, files: dict[str, Any]) -> list[str]:
    doc = input_document(rng)
    as_yaml = rng.random() < 0.45
    text = yaml_text(rng, doc) if as_yaml else json_text(rng, doc)
    option = "--cli-input-yaml" if as_yaml else "--cli-input-json"
    roll = rng.random()
    if roll < 0.6:
        return [option, text]
    name = "in.yaml" if as_yaml else "in.json"
    if roll < 0.9:
        files[name] = text
    else:  # encoded differently: a BOM, UTF-16, latin-1
        encoding = rng.choice(["utf-8-sig", "utf-16", "latin-1"])
        files[name] = {"hex": text.encode(encoding, "replace").hex()}
    return [option, f"file://@DIR@/{name}"]


# -- the command line ------------------------------------------------------------------------
def operation_args(rng: random.Random) -> list[list[str]]:
    groups: list[list[str]] = []
    if rng.random() < 0.93:
        groups.append(["--endpoint-name", pick(rng, NAMES) if rng.random() < 0.3 else "ep"])
    optional = [
        (0.5, "--input-location", LOCATIONS),
        (0.25, "--content-type", CONTENT_TYPES),
        (0.1, "--accept", ACCEPTS),
        (0.15, "--custom-attributes", CUSTOM),
        (0.3, "--inference-id", IDS),
        (0.15, "--request-ttl-seconds", TTLS),
        (0.1, "--invocation-timeout-seconds", TIMEOUTS),
        (0.05, "--filename", TEXTS),
        (0.05, "--s3-output-path-extension", TEXTS),
    ]
    for chance, option, pool in optional:
        if rng.random() < chance:
            value = pick(rng, pool) if rng.random() < 0.5 else pool[0]
            groups.append([option, value])
    if rng.random() < 0.3:
        groups.append(["--body", body_value(rng)])
    return groups


def global_args(rng: random.Random) -> list[list[str]]:
    groups: list[list[str]] = []
    optional = [
        (0.2, "--output", OUTPUTS),
        (0.15, "--query", QUERIES),
        (0.1, "--region", REGIONS),
        (0.08, "--profile", PROFILES),
        (0.05, "--color", ["on", "off", "auto", "maybe"]),
        (0.06, "--cli-binary-format", BINARY_FORMATS[:2]),
        (0.1, "--cli-error-format", ERROR_FORMATS),
        (0.03, "--ca-bundle", ["", "/nonexistent-ca.pem", " "]),
        (0.04, "--cli-read-timeout", ["0", "5", "abc", "-1"]),
        (0.03, "--cli-connect-timeout", ["0", "5", "x"]),
    ]
    for chance, option, pool in optional:
        if rng.random() < chance:
            groups.append([option, pick(rng, pool)])
    for flag in ("--no-verify-ssl", "--no-paginate", "--no-cli-pager", "--no-sign-request"):
        if rng.random() < 0.03:
            groups.append([flag])
    return groups


ENV_POOL: dict[str, list[str]] = {
    "AWS_REGION": REGIONS,
    "AWS_DEFAULT_REGION": REGIONS,
    "AWS_DEFAULT_OUTPUT": OUTPUTS,
    "AWS_PROFILE": PROFILES,
    "AWS_CLI_ERROR_FORMAT": ERROR_FORMATS,
    "AWS_MAX_ATTEMPTS": ["1", "2", "0", "abc", ""],
    "AWS_RETRY_MODE": ["standard", "adaptive", "legacy", "bogus", ""],
    "AWS_CA_BUNDLE": ["", "/nonexistent-ca.pem"],
    "AWS_CLI_FILE_ENCODING": ["utf-8", "latin-1", "utf-16", "ascii", "bogus"],
    "PYTHONIOENCODING": ["latin-1", "ascii", "utf-8", "ascii:replace", "utf-16"],
    "AWS_ENDPOINT_URL": [ENDPOINT, "not-a-url", ""],
    "AWS_PAGER": ["", "cat"],
}


def environment(rng: random.Random) -> dict[str, str]:
    env: dict[str, str] = {}
    for name, pool in ENV_POOL.items():
        if rng.random() < 0.05:
            env[name] = pick(rng, pool)
    roll = rng.random()
    if roll < 0.04:
        env["AWS_ACCESS_KEY_ID"] = "AKIDONLY"
    elif roll < 0.08:
        env["AWS_ACCESS_KEY_ID"] = "AKIDENV"
        env["AWS_SECRET_ACCESS_KEY"] = SECRET_KEY
    return env


def placement(rng: random.Random, ops: list[list[str]], glob: list[list[str]]) -> list[list[str]]:
    """Global options go before or after the command names; option groups in any order."""
    before = [g for g in glob if rng.random() < 0.2]
    after = [g for g in glob if g not in before]
    tail = ops + after
    rng.shuffle(tail)
    return [*before, [COMMAND[0]], [COMMAND[1]], *tail]


def spell(rng: random.Random, groups: list[list[str]]) -> list[list[str]]:
    """Other spellings users write: --opt=value, unique prefixes, a repeated option, --."""
    out = []
    for group in groups:
        if len(group) == 2 and group[0].startswith("--") and rng.random() < 0.06:
            group = [f"{group[0]}={group[1]}"]
        elif group[0].startswith("--") and rng.random() < 0.03:
            group = [group[0][: max(5, len(group[0]) - 3)], *group[1:]]
        out.append(group)
    if rng.random() < 0.03 and len(out) > 2:
        out.insert(rng.randrange(2, len(out) + 1), ["--"])
    if rng.random() < 0.03:
        out.append(["--endpoint-name", "last-wins"])
    return out


def make_case(seed: int | str, index: int) -> dict[str, Any]:
    rng = random.Random(f"{seed}:{index}")
    env = environment(rng)
    files: dict[str, Any] = {
        "home/config": config_file(rng, env),
        "home/credentials": credentials_file(rng),
        **data_files(),
    }
    ops = operation_args(rng)
    if rng.random() < 0.2:
        ops.append(cli_input(rng, files))
        if rng.random() < 0.5:
            ops = [g for g in ops if g[0] != "--endpoint-name"]
    if rng.random() < 0.04:
        ops.append(["--generate-cli-skeleton", rng.choice(["input", "yaml-input", "output"])])
    glob = global_args(rng)
    if rng.random() < 0.97:
        glob.append(["--endpoint-url", ENDPOINT])
    elif rng.random() < 0.5:
        glob.append(["--endpoint-url", rng.choice(["http://[127.0.0.1]:@PORT@", "localhost", ""])])
    scenario = "ok"
    if rng.random() < 0.2:
        scenario = rng.choice(["validation", "model", "throttle", "internal", "unavailable"])
        # Retries with backoff cost seconds; the first answer is what is compared.
        env.setdefault("AWS_MAX_ATTEMPTS", "1")
    return {
        "args": spell(rng, placement(rng, ops, glob)),
        "env": env,
        "files": files,
        "scenario": scenario,
    }
