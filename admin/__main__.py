"""`python -m admin`: the same as `techbank-admin`."""

import sys

from admin import main

sys.exit(main(prog="python -m admin"))
