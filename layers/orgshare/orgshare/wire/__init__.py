"""Stripe's wire dialect: request bodies, validation errors, list objects."""
