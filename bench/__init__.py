"""Benchmarks, run by hand or in a scheduled job, never by the default test run."""
