"""The successor rule pack: Azure Arc, the Azure VM agent, the extension-based Hybrid Runbook
Worker, Azure Update Manager, and legacy leftovers (docs/successor.md).

Modules: ``facts`` (facts v2 sections, imported by umcheck.facts — so this package imports
nothing at load time), ``common`` (groups, scope flags), ``arc``, ``hosting`` (Azure VM agent,
extension worker), ``updates`` (Update Manager), ``leftovers`` (legacy), ``remediation``,
``migration`` (the second grade), ``rules`` (the pack in order).
"""
