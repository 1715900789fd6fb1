"""VideoForge: a self-hostable video platform (uploads, one-decode HLS ladders, signed playback)."""

from videoforge.app import create_app

__all__ = ["create_app"]
