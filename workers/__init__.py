"""RQ jobs: the worker side of escalator (see docs/worker.md)."""
