"""Model-based tests: hypothesis state machines over the use cases, checked against a reference model."""
