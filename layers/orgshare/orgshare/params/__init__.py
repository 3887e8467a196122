"""Request parameter models: what each API operation accepts, validated the way Stripe does."""
