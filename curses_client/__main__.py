"""python -m curses_client: the terminal chat client."""

import sys

from .cli import main

sys.exit(main())
