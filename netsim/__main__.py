"""``python -m netsim`` runs the command line."""

from __future__ import annotations

import sys

from netsim.cli.main import main

sys.exit(main())
