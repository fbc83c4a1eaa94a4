"""geventchat: an IRC chat server on gevent. Imports nothing, so the client can use the protocol."""

__version__ = "0.1.0"
