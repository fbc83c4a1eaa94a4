"""Many server processes as one chat, over Redis: the bus and registry seams' network side.

Edge code: imports redis-py and expects gevent's monkey-patching (done in
cli.main only when --redis is given). Nothing in protocol/ or core/ imports it.
"""
