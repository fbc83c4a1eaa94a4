"""A load generator and benchmark for IRC servers, with a bare gevent relay as the floor.

Run it as `bin/bench fanout|connect|churn|history`; see `python -m bench --help`.
"""
