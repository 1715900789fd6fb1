"""Module declarations and their discovery through the `videoforge.modules` entry-point group."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from importlib.metadata import PackageNotFoundError, distribution, entry_points
from typing import TYPE_CHECKING, Any

from videoforge.config import ConfigError

if TYPE_CHECKING:
    from flask import Flask

ENTRY_POINT_GROUP = "videoforge.modules"
OWN_DISTRIBUTION = "videoforge"
"""The distribution that declares the project's own modules (setup.cfg's entry points)."""


@dataclass(frozen=True)
class Module:
    """What a module brings to the app: its blueprints, config defaults, commands and hooks."""

    name: str
    blueprints: Callable[[], Sequence[Any]] = lambda: ()
    """Returns the module's blueprints; called only when the module is mounted locally."""
    config: Any = None
    """A namespace (the module's config.py) of upper-case defaults."""
    cli: Callable[[], Sequence[Any]] = lambda: ()
    """Returns click commands added to the `videoforge` group."""
    setup: Callable[[Flask], None] | None = None
    """Called with the app after blueprints are registered (wire ports, start threads)."""
    housekeeping: Callable[[Flask], Any] | None = None
    """Periodic clean-up the workers run with the app (every MODULE_HOUSEKEEPING_SECONDS, one process at a time):
    import its code inside, so a process that never runs it never loads it. Two runs at once must be harmless."""
    needs_database: bool = True
    order: int = 50
    """Registration order; the web client's catch-all comes last."""
    depends: Sequence[str] = field(default_factory=tuple)


def installed_modules(wanted: Sequence[str] = ()) -> dict[str, Any]:
    """Installed module names mapped to their (not yet loaded) entry points; a name declared by VideoForge itself is
    always its own module.

    When the `wanted` names are all VideoForge's own, only its distribution's metadata is read: scanning every
    installed distribution reads one file per package, 5-7 ms in a development virtualenv of ~130 packages on every
    cold start of a Lambda (docs/benchmarks.md). Without names, or for a name another package installs, every
    distribution is scanned."""
    own = _own_entry_points()
    if wanted and all(name in own for name in wanted):
        return own
    return {**{ep.name: ep for ep in entry_points(group=ENTRY_POINT_GROUP)}, **own}


def _own_entry_points() -> dict[str, Any]:
    try:
        declared = distribution(OWN_DISTRIBUTION).entry_points
    except PackageNotFoundError:  # run from a checkout that was never installed: the scan finds nothing either
        return {}
    return {ep.name: ep for ep in declared.select(group=ENTRY_POINT_GROUP)}


def select_modules(enabled: Sequence[str], remote: dict[str, str]) -> list[Module]:
    """Load the enabled modules only, so a process never imports code it does not serve."""
    installed = installed_modules([*enabled, *remote] if enabled else ())  # none enabled: every installed one
    names = list(enabled) or sorted(n for n in installed if n not in remote)
    unknown = [n for n in list(names) + list(remote) if n not in installed]
    if unknown:
        raise ConfigError(
            f"VIDEOFORGE_MODULES: unknown module {', '.join(sorted(set(unknown)))}; installed: "
            f"{', '.join(sorted(installed)) or 'none'} (re-run `pip install -e .` after adding one)"
        )
    both = sorted(set(names) & set(remote))
    if both:
        raise ConfigError(f"VIDEOFORGE_REMOTE_MODULES: {', '.join(both)} is both local and remote")
    modules = [installed[name].load() for name in names]
    for module in modules:
        if not isinstance(module, Module):
            raise ConfigError(f"VIDEOFORGE_MODULES: entry point {module!r} is not a videoforge Module")
    return sorted(modules, key=lambda m: (m.order, m.name))
