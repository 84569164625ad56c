"""Alembic environment. Migrations run on a connection handed over by `run_migrations`."""

from alembic import context

from promptlab.adapters.sqlalchemy.tables import metadata

connection = context.config.attributes.get("connection")
if connection is None:
    raise RuntimeError(
        "promptlab migrations run through `promptlab migrate`, which supplies the connection; "
        "the alembic command line is not configured for this project."
    )

context.configure(
    connection=connection,
    target_metadata=metadata,
    render_as_batch=connection.dialect.name == "sqlite",
    compare_type=True,
)
with context.begin_transaction():
    context.run_migrations()
