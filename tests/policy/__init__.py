"""Tests of the pure policy engine (app/policy) and `escalator classify`."""
