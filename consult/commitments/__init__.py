"""Commitments: what became of contributions the municipality accepted."""
