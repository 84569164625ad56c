"""In-memory adapters: a unit of work with repositories over Python dicts, a manual clock.

They keep the transaction rules of the SQL adapters (isolation, rollback,
one writer at a time, the same unique constraints and errors), so use cases
can be tested fast and without a database. One module per area; the unit of
work in `unit_of_work.py` gathers their repositories.
"""
