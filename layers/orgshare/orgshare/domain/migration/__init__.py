"""Moving an account's customers into the shared pool when sharing is enabled for it."""
