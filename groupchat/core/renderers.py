"""JSON for the HTTP API with orjson: the history endpoint renders 50 messages per request."""

from __future__ import annotations

from typing import Any

import orjson
from rest_framework.renderers import JSONRenderer

_fallback = JSONRenderer.encoder_class().default


def api_json(data: Any) -> bytes:
    """The API's JSON body for ``data``: what ORJSONRenderer renders (also used by paths that bypass DRF)."""
    return orjson.dumps(data, default=_fallback, option=orjson.OPT_NON_STR_KEYS)


class ORJSONRenderer(JSONRenderer):
    """DRF's JSON renderer, encoded by orjson (several times faster than the stdlib on message pages).

    Same media type and output shape: UTF-8, no ASCII escaping (DRF's default ``UNICODE_JSON``), compact. Types orjson
    does not know natively (Decimal, lazy translation strings, ...) fall back to DRF's own encoder.
    """

    def render(self, data: Any, accepted_media_type: str | None = None, renderer_context: dict | None = None) -> bytes:
        if data is None:
            return b""
        return api_json(data)
