"""Options: the global ones, the operation's (from botocore's service model), and ours.

Each option is a :class:`Spec`: plain data, declared once, that the click tree turns into its
options (:class:`sagemaker_async.cli.core.AwsOption`: parsing, help, completion) and that
:mod:`sagemaker_async.request.settings` reads for the global options' names and defaults. A
member added to the model becomes an option here by itself.
"""

from __future__ import annotations

from sagemaker_async.render import FORMATS
from sagemaker_async.request.service_model import Member, Operation

OUTPUT_FORMATS = FORMATS
COLORS = ("on", "off", "auto")
BINARY_FORMATS = ("base64", "raw-in-base64-out")
ERROR_FORMATS = ("legacy", "json", "yaml", "text", "table", "enhanced")
SKELETON_CHOICES = ("input", "output", "yaml-input")

# Options added to every operation by the AWS CLI, after the model's members.
CLI_INPUT_JSON = "--cli-input-json"
CLI_INPUT_YAML = "--cli-input-yaml"
GENERATE_CLI_SKELETON = "--generate-cli-skeleton"

VALUE, FLAG, OPTIONAL_VALUE, BOOLEAN = "value", "flag", "optional-value", "boolean"
# What Tab offers for a value (besides choices): see sagemaker_async.cli.completion.
PATH, PROFILE, REGION, ENDPOINT_NAME = "path", "profile", "region", "endpoint-name"
FILE_URL, FILE_URL_EAGER = (
    "file-url",
    "file-url-eager",
)  # file:// and fileb:// (when typed, or at once)


class Spec:
    """One option.

    ``kind``: VALUE (takes one value), FLAG (``--x``), OPTIONAL_VALUE (``--x`` or ``--x V``;
    ``const`` when bare), BOOLEAN (``--x``/``--no-x``, from a boolean model member).
    ``workflow`` marks our own options on an AWS operation (help lists them apart).
    """

    __slots__ = (
        "name",
        "kind",
        "dest",
        "choices",
        "required",
        "default",
        "const",
        "help",
        "metavar",
        "workflow",
        "doc_html",
        "completes",
    )

    def __init__(
        self,
        name: str,
        *,
        kind: str = VALUE,
        choices: tuple[str, ...] | None = None,
        required: bool = False,
        default: object = None,
        const: object = None,
        help: str = "",
        metavar: str | None = None,
        workflow: bool = False,
        doc_html: str = "",  # model documentation: help is made from it only when shown
        completes: str | None = None,  # PATH, PROFILE, … (what Tab offers for the value)
    ):
        self.name = name
        self.kind = kind
        self.dest = name[2:].replace("-", "_")
        self.choices = choices
        self.required = required
        self.default = default
        self.const = const
        self.help = help
        self.metavar = metavar
        self.workflow = workflow
        self.doc_html = doc_html
        self.completes = completes

    def __repr__(self) -> str:
        return f"Spec({self.name!r}, kind={self.kind!r})"

    def default_value(self) -> object:
        """The value when the option is not given (a flag: False)."""
        return False if self.kind == FLAG else self.default

    def help_text(self) -> str:
        if self.doc_html:
            from sagemaker_async.request.model_docs import first_paragraph

            return first_paragraph(self.doc_html)
        return self.help


def _flag(name: str, help: str) -> Spec:
    return Spec(name, kind=FLAG, help=help)


VERSION = Spec("--version", kind=FLAG, help="Display the version of this tool.")


def global_options() -> list[Spec]:
    """The AWS CLI v2.36 global options, in its order (``--version``, :data:`VERSION`, is
    added last by the tree: it stops parsing, so it is no setting)."""
    return [
        _flag("--debug", "Turn on debug logging (secrets are redacted)."),
        Spec("--endpoint-url", help="Override the service URL."),
        _flag("--no-verify-ssl", "Do not verify TLS certificates."),
        _flag("--no-paginate", "Accepted for compatibility; this operation has no pages."),
        Spec("--output", choices=OUTPUT_FORMATS, help="Output format."),
        Spec("--query", help="A JMESPath query applied to the response."),
        Spec("--profile", help="Use this profile from your config files.", completes=PROFILE),
        Spec("--region", help="The region to use.", completes=REGION),
        Spec("--color", choices=COLORS, default="auto", help="Colour output."),
        _flag("--no-sign-request", "Do not sign the request (no credentials needed)."),
        Spec("--ca-bundle", help="CA certificate bundle for TLS verification.", completes=PATH),
        Spec("--cli-read-timeout", help="Socket read timeout in seconds (0 = none)."),
        Spec("--cli-connect-timeout", help="Connect timeout in seconds (0 = none)."),
        Spec(
            "--cli-binary-format",
            choices=BINARY_FORMATS,
            help="How blob arguments are read: base64 (default) or raw-in-base64-out.",
        ),
        _flag("--no-cli-pager", "Disable the output pager."),
        _flag("--cli-auto-prompt", "Accepted for compatibility; prompting is not supported."),
        _flag("--no-cli-auto-prompt", "Disable auto-prompt."),
        Spec("--cli-error-format", choices=ERROR_FORMATS, help="How errors are written to stderr."),
    ]


def operation_options(op: Operation) -> list[Spec]:
    """One option per input member, then --cli-input-json/yaml and --generate-cli-skeleton."""
    opts = [_member_option(m) for m in op.input_members]
    opts.append(
        Spec(
            CLI_INPUT_JSON,
            help="Read arguments from a JSON string or file:// (keys are API member names).",
            completes=FILE_URL_EAGER,
        )
    )
    opts.append(
        Spec(
            CLI_INPUT_YAML,
            help="Read arguments from a YAML string or file:// (keys are API member names).",
            completes=FILE_URL_EAGER,
        )
    )
    if not op.has_streaming_output:
        opts.append(
            Spec(
                GENERATE_CLI_SKELETON,
                kind=OPTIONAL_VALUE,
                const="input",
                choices=SKELETON_CHOICES,
                help="Print a skeleton: input (JSON), yaml-input, or output; send nothing.",
            )
        )
    return opts


# -- workflow options (ours, not the model's) -----------------------------------------------
# A new name must not start with a prefix that abbreviates an AWS option uniquely (the
# operation's: a b c e f g i r s; the globals' are parsed in an earlier pass), so every
# AWS-valid command line keeps its meaning; tests/workflow/test_prefix_rule.py checks it.
WORKFLOW_DESTS = ("payload", "wait", "wait_timeout", "download")
DEFAULT_WAIT_TIMEOUT = 900  # seconds, as InvocationTimeoutSeconds' default
DEFAULT_CONCURRENCY = 16


def workflow_options() -> list[Spec]:
    """--payload, --wait, --wait-timeout, --download on invoke-endpoint-async."""
    specs = [
        Spec(
            "--payload",
            metavar="PATH",
            completes=PATH,
            help="Send this local file (- for stdin): inline as Body when it is at most "
            "128,000 bytes and no --input-location is given, else uploaded to "
            "--input-location (a prefix ending in / gets a generated key).",
        ),
        Spec(
            "--wait",
            kind=FLAG,
            help="Wait for the output or the failure object; write the result to stdout "
            "(or to --download). Exit 3 if the inference failed, 4 on timeout.",
        ),
        Spec(
            "--wait-timeout",
            metavar="SECONDS",
            help=f"Give up waiting after this long (default {DEFAULT_WAIT_TIMEOUT}). "
            "Implies --wait.",
        ),
        Spec(
            "--download",
            metavar="PATH",
            completes=PATH,
            help="Write the result to PATH (atomically) and print the invoke response as "
            "usual. Implies --wait.",
        ),
    ]
    for spec in specs:
        spec.workflow = True
    return specs


def wait_options() -> list[Spec]:
    """The ``sagemaker-runtime wait`` command's options."""
    return [
        Spec(
            "--output-location",
            metavar="S3URI",
            help="The OutputLocation to wait for. Without locations, the JSON that "
            "invoke-endpoint-async printed is read from stdin.",
        ),
        Spec("--failure-location", metavar="S3URI", help="The FailureLocation to watch."),
        Spec(
            "--wait-timeout",
            metavar="SECONDS",
            help=f"Give up after this long (default {DEFAULT_WAIT_TIMEOUT}).",
        ),
        Spec(
            "--download",
            metavar="PATH",
            completes=PATH,
            help="Write the result to PATH (atomically) instead of stdout.",
        ),
    ]


def batch_options() -> list[Spec]:
    """The ``sagemaker-runtime batch`` command's options."""
    return [
        Spec(
            "--requests",
            required=True,
            metavar="PATH",
            completes=PATH,
            help="A JSON-lines file (- for stdin, with --state): one invoke document per line "
            "(API member names, as --cli-input-json), plus an optional Payload: a local file "
            "path.",
        ),
        Spec(
            "--concurrency",
            metavar="INTEGER",
            help=f"Requests in flight at once (default {DEFAULT_CONCURRENCY}).",
        ),
        Spec(
            "--wait",
            kind=FLAG,
            help="Wait for every request to complete, fail or time out.",
        ),
        Spec(
            "--wait-timeout",
            metavar="SECONDS",
            help=f"Per request, from its acceptance (default {DEFAULT_WAIT_TIMEOUT}). "
            "Implies --wait.",
        ),
        Spec(
            "--state",
            metavar="PATH",
            completes=PATH,
            help="Where accepted lines are recorded, so a re-run skips them "
            "(default: the requests file's name + .state).",
        ),
    ]


def _member_option(member: Member) -> Spec:
    metavar = _METAVARS.get(member.type, "TEXT")
    completes = FILE_URL_EAGER if metavar in ("BLOB", "JSON") else FILE_URL
    if member.name == "EndpointName":
        completes = ENDPOINT_NAME
    return Spec(
        member.option,
        kind=BOOLEAN if member.type == "boolean" else VALUE,
        required=member.required,
        choices=member.enum or None,
        metavar=metavar,
        doc_html=member.documentation,
        completes=completes,
    )


_METAVARS = {
    "integer": "INTEGER",
    "long": "INTEGER",
    "float": "FLOAT",
    "double": "FLOAT",
    "blob": "BLOB",
    "timestamp": "TIMESTAMP",
    "structure": "JSON",
    "list": "JSON",
    "map": "JSON",
}
