"""Windows remediation texts by message id (stub)."""

from umcheck.results import Remediation

WINDOWS_REMEDIATION: dict[str, Remediation] = {}
