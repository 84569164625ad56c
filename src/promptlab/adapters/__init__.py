"""Implementations of the application ports, named by technology."""
