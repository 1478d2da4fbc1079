"""The successor pack's rules in report order."""

from umcheck.packs.successor.arc import ARC_RULES
from umcheck.packs.successor.arc_host import ARC_HOST_RULES
from umcheck.packs.successor.connectivity import CONNECTIVITY_RULES
from umcheck.packs.successor.hosting import HOSTING_RULES
from umcheck.packs.successor.leftovers import LEFTOVER_RULES
from umcheck.packs.successor.platform import PLATFORM_RULES
from umcheck.packs.successor.updates import UPDATE_RULES
from umcheck.packs.successor.worker_acl import WORKER_ACL_RULES

SUCCESSOR_RULES = (*ARC_RULES, *ARC_HOST_RULES, *HOSTING_RULES, *WORKER_ACL_RULES, *UPDATE_RULES, *PLATFORM_RULES, *CONNECTIVITY_RULES,
                   *LEFTOVER_RULES)
