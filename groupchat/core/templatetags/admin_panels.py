from django import template
from django.utils import translation

from groupchat.core.admin_panels import panels_for

register = template.Library()


@register.simple_tag(takes_context=True)
def staff_panels(context):
    request = context.get("request")
    return panels_for(getattr(request, "user", None), translation.get_language())
