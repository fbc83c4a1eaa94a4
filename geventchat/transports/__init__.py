"""Message-oriented transports: read lines from one connection, turn queued lines into its bytes.

Plain TCP, TLS and (later) WebSocket are each a Transport. The per-line
policy (flood control, 417, liveness) lives once in core; the connection's
queue and writer live once in connection.py; a transport only knows how
lines look on its wire.
"""
