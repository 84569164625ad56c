"""Use cases for prompts."""
