"""OpenAPI naming shared by every app's API module."""

from __future__ import annotations

from drf_spectacular.utils import extend_schema_serializer
from rest_framework.views import APIView


def name_input_components(namespace: dict) -> None:
    """Name each view's nested ``Input`` after its view in the OpenAPI schema (``GroupJoinInput``, ...).

    Every view calls its request serializer ``Input``; without this the schema components collide. Call it at the
    end of an API module with ``globals()``, so a new view cannot be forgotten.
    """
    for view in list(namespace.values()):
        if isinstance(view, type) and issubclass(view, APIView) and "Input" in vars(view):
            extend_schema_serializer(component_name=view.__name__.removesuffix("Api") + "Input")(view.Input)
