"""Linux remediation texts by message id (stub)."""

from umcheck.results import Remediation

LINUX_REMEDIATION: dict[str, Remediation] = {}
