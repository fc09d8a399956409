"""Sandbox market: a local, deterministic, Polygon-compatible source of SYNTHETIC data."""

from extract.sandbox.market import SandboxMarket
from extract.sandbox.server import SandboxServer, serve

__all__ = ["SandboxMarket", "SandboxServer", "serve"]
