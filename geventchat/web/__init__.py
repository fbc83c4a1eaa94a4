"""The web listener: the chat page's files over HTTP (h11), and IRC over WebSocket (wsproto) on the same port."""
