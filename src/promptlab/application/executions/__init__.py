"""Use cases that run prompts on models and read the execution logs they leave."""
