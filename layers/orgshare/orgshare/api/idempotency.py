"""The API's Idempotency-Key: the records and their rules live in domain/idempotency.py, shared
with the dashboard's one-time form tokens (so both keep one behaviour)."""

from __future__ import annotations

from orgshare.domain.idempotency import MAX_KEY_LENGTH, answer, answer_in_write, fingerprint

__all__ = ["MAX_KEY_LENGTH", "answer", "answer_in_write", "fingerprint"]
