"""Storage module: serves the local object store's signed URLs at /api/storage (idle unless STORAGE_BACKEND=local)."""

from videoforge.modules import Module


def _blueprints():
    from videoforge.ports.storage.local_views import blp

    return [blp]


module = Module(name="storage", blueprints=_blueprints, needs_database=False)
