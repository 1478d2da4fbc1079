"""Alembic's environment and the history schema's revisions (run from ``umcheck/store/migrate.py``)."""
