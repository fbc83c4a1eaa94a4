"""Test support: a real server in a subprocess, and a line-level IRC test client."""
