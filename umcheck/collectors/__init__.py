"""Remote fact collectors (shipped as package data) and how to invoke them.

``windows.ps1`` and ``linux.py`` run on the managed host, read only, and print one facts document
(contract v1, ``umcheck.facts``) between the ``umcheck.envelope`` marker lines. ``invocation``
turns collector parameters into a command line + stdin (or a PSRP script) for each transport.
"""
