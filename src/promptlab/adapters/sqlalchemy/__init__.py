"""Persistence with SQLAlchemy Core on SQLite (embedded) and PostgreSQL.

The domain stays free of ORM classes: repositories map rows to attrs
entities and back explicitly.
"""
