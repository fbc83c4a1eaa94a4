"""curses_client: a terminal chat client for geventchat and any IRC server."""
