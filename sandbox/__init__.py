"""Sandbox market: a local, deterministic, Polygon-compatible source of SYNTHETIC data."""

from sandbox.market import SandboxMarket
from sandbox.server import SandboxServer, serve

__all__ = ["SandboxMarket", "SandboxServer", "serve"]
