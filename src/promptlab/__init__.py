"""promptlab: a self-hostable backend for teams who engineer LLM prompts."""

__version__ = "0.1.0"
