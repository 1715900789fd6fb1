"""Ports: the small protocols VideoForge needs from the outside world, each with its adapters."""
