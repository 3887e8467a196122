"""API Gateway glue: the only package that knows requests arrive through API Gateway."""
