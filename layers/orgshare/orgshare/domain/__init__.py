"""Domain logic: knows pools, accounts and customers; knows nothing of API Gateway or DynamoDB."""
