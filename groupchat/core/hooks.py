"""Start-up hooks: how a higher app lends behaviour to a lower one without an upward import.

A higher app registers a callable in its ``AppConfig.ready()`` (for example moderation registers a screening
function on ``"message.screen"``); the lower app calls ``run_hooks`` on its path and never imports the higher one.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable
from typing import Any

_HOOKS: dict[str, list[Callable[..., Any]]] = defaultdict(list)


def register_hook(name: str, fn: Callable[..., Any]) -> None:
    if fn not in _HOOKS[name]:
        _HOOKS[name].append(fn)


def run_hooks(name: str, /, **kwargs: Any) -> list[Any]:
    """Call every function registered on ``name`` in registration order; they raise ApplicationError to refuse."""
    return [fn(**kwargs) for fn in _HOOKS.get(name, ())]


def hooks_for(name: str) -> list[Callable[..., Any]]:
    return list(_HOOKS.get(name, ()))
