"""Entities, value objects and policies. No I/O and no framework imports."""
