"""sagemaker-async: the AWS CLI's ``invoke-endpoint-async``, faster, plus a local endpoint."""

__version__ = "0.1.0"
