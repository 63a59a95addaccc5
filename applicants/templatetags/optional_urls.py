from django import template
from django.urls import NoReverseMatch, reverse

register = template.Library()


@register.simple_tag
def optional_url(name: str, *args: object) -> str:
    """The URL, or "" when no view has that name: pages link to other apps' views only once those exist."""
    try:
        return reverse(name, args=args or None)
    except NoReverseMatch:
        return ""
