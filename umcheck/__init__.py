"""umcheck: fleet readiness checks for Azure Automation Update Management Hybrid Runbook Workers."""

__version__ = "0.1.0"
