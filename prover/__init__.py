"""Lean Workbench: automated theorem proving in Lean 4."""

__version__ = "0.1.0"
