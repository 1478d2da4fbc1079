"""Cross-check: umcheck's verdicts next to Microsoft's own troubleshooter on the same host.

``umcheck scan --cross-check official-windows=PATH`` runs umcheck's collector and then the
official script through the same connection, grades both, and records per rule where they
disagree (``HostResult.cross_check``), naming the documented deviation (docs/deviations.md) that
explains a disagreement where one does. See docs/cross-check.md.

Modules: ``values`` (what is stored), ``explained`` (deviation table), ``compare``.
"""
