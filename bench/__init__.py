"""Benchmarks (make bench): figures printed, nothing timing-dependent asserted."""
