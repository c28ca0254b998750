"""Benchmarks (`make bench`): measured figures, never assertions in tests."""
