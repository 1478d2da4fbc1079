"""``python -m umcheck.sim start ...`` = ``umcheck sim start ...`` (handy for a separate bench process)."""

import sys

from umcheck.cli import main

sys.exit(main(["sim", *sys.argv[1:]]))
