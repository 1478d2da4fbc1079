"""The Linux troubleshooter rules (UM_Linux_Troubleshooter_Offline.py) in official output order.

The rules live in ``linux_agent`` (prerequisites, agent and worker health), ``linux_network``
(proxy, IMDS, internet, repositories) and ``linux_endpoints`` (agent service, JRDS, Log
Analytics); this module only fixes their order. Deviations from the official script are listed
in docs/deviations.md (Part 2).
"""

from __future__ import annotations

from umcheck.rules.base import RuleSpec
from umcheck.rules.linux_agent import AGENT_RULES
from umcheck.rules.linux_endpoints import ENDPOINT_RULES
from umcheck.rules.linux_network import NETWORK_RULES

LINUX_RULES: list[RuleSpec] = [
    *AGENT_RULES,
    NETWORK_RULES["Linux.ProxyCheck"],
    NETWORK_RULES["Linux.ImdsCheck"],
    NETWORK_RULES["Linux.InternetConnectionCheck"],
    *ENDPOINT_RULES,
    NETWORK_RULES["Linux.ReposAccessCheck"],
]
