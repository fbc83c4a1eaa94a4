"""python -m geventchat: the chat server."""

import sys

from .cli import main

sys.exit(main())
