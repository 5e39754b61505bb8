"""AWS adapters: the only place in ``shared`` that imports boto3."""
