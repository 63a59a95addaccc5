"""`{% load access %}` … `{% if user|may:"placements" %}`: the navigation and the pages show an operator only what
the role may use (accounts/permissions.py), so nobody is led to a page that answers 404."""

from django import template

from accounts.permissions import operator_may

register = template.Library()


@register.filter
def may(user: object, permission: str) -> bool:
    return operator_may(user, permission)
