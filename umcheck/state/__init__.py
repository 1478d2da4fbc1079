"""Fleet state: what is known about every (host, rule) cell, and from which run.

A run may check only some rules (``--rules``, ``--failed-rule``, a playbook's ``rules:``) or
some hosts. Such a run updates only the cells it evaluated; each host it touches is graded on
its merged state: the rules just evaluated plus every other rule carried forward, with its age,
from the host's latest earlier result. ``scope`` says what a run set out to check, ``merge``
builds the merged host result, ``cells`` holds the per-cell records the store keeps.
"""
