"""The card vault: card validation, envelope encryption under KMS, keyed fingerprints.

Only domain code imports the opening half (vault.sealing.open_sealed); no API handler does, and the
functions that serve the API have no kms:Decrypt permission.
"""
