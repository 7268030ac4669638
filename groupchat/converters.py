"""URL path converters. ``<id:user_id>`` is a database id: digits, at most a PostgreSQL bigint.

Django's ``<int:...>`` takes any number of digits, so ``/members/99999999999999999999/`` reached the database and
failed there (500); with ``<id:...>`` a number no row can have matches no URL and answers 404.
"""

from __future__ import annotations

from django.urls import register_converter

ID_MAX = 2**63 - 1

# How the OpenAPI schema shows the converter (SPECTACULAR_SETTINGS["PATH_CONVERTER_OVERRIDES"]).
ID_SCHEMA = {"type": "integer", "format": "int64", "minimum": 1, "maximum": ID_MAX}


class IdConverter:
    regex = "[0-9]{1,19}"

    def to_python(self, value: str) -> int:
        number = int(value)
        if not 1 <= number <= ID_MAX:
            raise ValueError("not a database id")  # Django reads ValueError as "this pattern does not match"
        return number

    def to_url(self, value: int) -> str:
        return str(value)


register_converter(IdConverter, "id")
