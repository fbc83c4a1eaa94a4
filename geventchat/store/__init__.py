"""Stores behind the core's seams: what must outlive a process, on disk (SQLite) for a single node."""
