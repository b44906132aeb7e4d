"""From parsed values to a sent request: the service model, options, params, cli-input
documents, skeletons, settings and the botocore client."""
