"""serve's HTTP front: the server, request bodies, SigV4 verification."""
