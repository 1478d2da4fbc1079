"""The 20 Windows rules of the official troubleshooter, in its output order.

Each rule lives in the module named after its theme; this module only fixes the order, which
reports and golden tests rely on.
"""

from umcheck.rules.base import RuleSpec
from umcheck.rules.windows_connectivity import AGENT_SERVICE, HTTPS, IMDS, JRDS, LA_ODS, LA_OMS, PROXY
from umcheck.rules.windows_permissions import MACHINE_KEYS
from umcheck.rules.windows_prereq import DOTNET, OPERATING_SYSTEM, TLS, WMF
from umcheck.rules.windows_services import AGENT_EVENTS, HEALTH_SERVICE, SYSTEM_WORKER, WU_SERVICE
from umcheck.rules.windows_settings import AUTO_REBOOT, AUTO_UPDATE, WSUS
from umcheck.rules.windows_workspace import LINKED_WORKSPACE

WINDOWS_RULES: list[RuleSpec] = [
    OPERATING_SYSTEM,  # 1
    DOTNET,  # 2
    WMF,  # 3
    AGENT_SERVICE,  # 4
    JRDS,  # 5
    HEALTH_SERVICE,  # 6
    SYSTEM_WORKER,  # 7
    AGENT_EVENTS,  # 8
    LINKED_WORKSPACE,  # 9
    MACHINE_KEYS,  # 10
    TLS,  # 11
    AUTO_REBOOT,  # 12
    WSUS,  # 13
    AUTO_UPDATE,  # 14
    HTTPS,  # 15
    PROXY,  # 16
    IMDS,  # 17
    WU_SERVICE,  # 18
    LA_ODS,  # 19
    LA_OMS,  # 20
]
