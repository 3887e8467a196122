"""DynamoDB storage: the only package that speaks DynamoDB."""
