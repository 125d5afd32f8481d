"""`python -m regscan`: the `regscan` command."""

import sys

from regscan.cli.main import main

sys.exit(main())
