"""The embedded local asynchronous inference endpoint (``sagemaker-async serve``)."""
