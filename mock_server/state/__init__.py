"""All of the mock's mutable state, and nothing of HTTP.

``store`` is the :class:`Store` protocol and the in-memory store; ``redis_store`` keeps the
same state in Redis for several workers and hosts; ``connect`` opens a store from a URL;
``orderids`` hands out orderids from the store's counters; ``lanes`` keeps several workers'
orderids apart without a shared store.
"""
