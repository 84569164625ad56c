"""Use cases for projects and their collaborators."""
