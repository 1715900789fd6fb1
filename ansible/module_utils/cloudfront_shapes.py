"""CloudFront's request shapes, shared by our CloudFront modules: `Quantity` beside every `Items`, and whether what
AWS answers already holds what a task wants (it adds defaults of its own)."""

from __future__ import annotations


def with_quantities(value):
    """The API wants `Quantity` beside every `Items`; an empty list is written as Quantity 0 alone."""
    if isinstance(value, list):
        return [with_quantities(item) for item in value]
    if not isinstance(value, dict):
        return value
    filled = {key: with_quantities(item) for key, item in value.items()}
    if "Items" in filled:
        filled["Quantity"] = len(filled["Items"])
        if not filled["Items"]:
            del filled["Items"]
    return filled


def covers(actual, wanted):
    """True when every value in `wanted` is in `actual` (AWS adds defaults of its own)."""
    if isinstance(wanted, dict):
        return isinstance(actual, dict) and all(covers(actual.get(key), item) for key, item in wanted.items())
    if isinstance(wanted, list):
        if not isinstance(actual, list) or len(actual) != len(wanted):
            return False
        if not any(isinstance(item, (dict, list)) for item in wanted):
            return sorted(actual) == sorted(wanted)  # methods, origins, aliases, header names: AWS may reorder them
        return all(covers(a, w) for a, w in zip(actual, wanted))
    return actual == wanted
