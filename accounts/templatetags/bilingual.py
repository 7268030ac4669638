"""``{% t "中文" "English" %}``: both languages side by side in the template, picked by the active language.

The identity, agreement and credit pages use this instead of the shared .po catalogue, so their texts exist in both
languages without a message-catalogue round trip.
"""

from django import template

from groupchat.core.language import pick

register = template.Library()


@register.simple_tag
def t(zh: str, en: str) -> str:
    return pick(None, zh=zh, en=en)


@register.filter
def lang_pick(obj, field: str) -> str:
    """``{{ agreement|lang_pick:"title" }}`` -> ``title_en`` or ``title_zh``."""
    suffix = pick(None, zh="zh", en="en")
    return getattr(obj, f"{field}_{suffix}", "")
