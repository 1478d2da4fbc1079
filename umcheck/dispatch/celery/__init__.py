"""Celery dispatch across jump hosts (``umcheck scan --dispatch redis://…``, ``umcheck worker``).

Each network segment has its own queue (``umcheck.<segment>``) served by ``umcheck worker``s on
jump hosts inside it. The controller (``controller.py``) sends chunks of hosts as tasks whose
payload (``wire.py``) carries unrendered variables, never a credential in clear text; a worker
(``task.py``, started by ``worker.py``) renders and decrypts them with its own environment and
runs the ordinary ``Runner`` over the chunk, pushing each HostResult to a Redis stream of the run
the moment it finishes (``keys.py``). The controller de-duplicates by host, so Celery's
at-least-once delivery (late acks, visibility timeout) never puts a host twice into a report.
"""


def require_celery(what: str) -> None:
    """A one-line usage error, not an ImportError traceback, where the ``dispatch`` extra is missing."""
    import importlib.util

    from umcheck.errors import UsageError

    missing = [m for m in ("celery", "redis") if importlib.util.find_spec(m) is None]
    if missing:
        raise UsageError(f"{what} needs {' and '.join(missing)}: pip install 'umcheck[dispatch]' "
                         "(in umcheck's venv)")  # fmt: skip
