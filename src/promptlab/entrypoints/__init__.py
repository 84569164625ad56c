"""Composition root, HTTP app and CLI."""
