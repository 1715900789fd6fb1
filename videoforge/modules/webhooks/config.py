"""Webhooks module defaults (the delivery settings are core: videoforge/config.py, WEBHOOK_*)."""

WEBHOOK_MAX_ENDPOINTS = 20
"""Endpoints one owner may have."""
