"""Shared test helpers: loopback-only networking and golden fixture discovery."""

from __future__ import annotations

import os

# Tests only ever talk to loopback; a proxy in the environment must never see that traffic.
os.environ["NO_PROXY"] = os.environ["no_proxy"] = "127.0.0.0/8,localhost,::1"
for _var in ("HTTP_PROXY", "HTTPS_PROXY", "http_proxy", "https_proxy", "ALL_PROXY", "all_proxy"):
    os.environ.pop(_var, None)

# A developer's ANSIBLE_* settings must not change what the tests see (ansible.cfg and
# ANSIBLE_* now feed umcheck's defaults); tests that want them set their own.
for _var in [v for v in os.environ if v.startswith("ANSIBLE_")]:
    os.environ.pop(_var, None)
