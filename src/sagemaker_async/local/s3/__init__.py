"""serve's S3: the API handlers, the on-disk store, checksums."""
