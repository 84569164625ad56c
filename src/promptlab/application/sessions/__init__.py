"""Use cases for prompt sessions."""
