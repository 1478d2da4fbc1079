"""The Redis keys a run and the workers share (in the broker's own database), and their lifetimes."""

from __future__ import annotations

QUEUE_PREFIX = "umcheck."
RUN_TTL = 7 * 24 * 3600  # an abandoned run's stream and done set go away on their own
CANCEL_TTL = 24 * 3600
HEARTBEAT_TTL = 30  # a worker refreshes its key every HEARTBEAT_TTL / 3 seconds
TASK = "umcheck.scan_chunk"


def queue(segment: str) -> str:
    return QUEUE_PREFIX + segment


def results(run_id: str) -> str:
    """Stream of ``started``/``result`` events; the controller deletes entries once journaled."""
    return f"umcheck:run:{run_id}:results"


def done(run_id: str) -> str:
    """Set of host names a worker has finished: a re-delivered chunk skips them."""
    return f"umcheck:run:{run_id}:done"


def live(run_id: str) -> str:
    """Set by the controller while the run's chunks are out: missing after a broker restart means
    the broker came back without the run's queued chunks and results (it keeps no data)."""
    return f"umcheck:run:{run_id}:live"


def cancelled(run_id: str) -> str:
    """Set while the run is over or interrupted: workers stop its hosts and skip its chunks."""
    return f"umcheck:run:{run_id}:cancel"


def heartbeat(queue_name: str, worker: str) -> str:
    """One per worker and queue, with a TTL: the controller's "is anyone listening" check."""
    return f"umcheck:worker:{queue_name}:{worker}"


def heartbeat_pattern(queue_name: str) -> str:
    return f"umcheck:worker:{queue_name}:*"
