"""``--version``'s text, as the AWS CLI words its own (without importing click or botocore's
client machinery)."""

from __future__ import annotations


def version_text() -> str:
    import platform

    import botocore  # its __init__ only: no client machinery

    from sagemaker_async import __version__

    return (
        f"sagemaker-async/{__version__} Python/{platform.python_version()} "
        f"{platform.system()}/{platform.release()} botocore/{botocore.__version__}"
    )
