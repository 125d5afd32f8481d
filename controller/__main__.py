"""`python -m controller`: the controller command (see `controller.app`)."""

import sys

from controller.app import cli

sys.exit(cli())
