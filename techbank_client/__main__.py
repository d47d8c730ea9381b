"""`python -m techbank_client`: the `techbank` command."""

import sys

from techbank_client.cli import main

sys.exit(main())
