"""Writes of the mailings app, one module per subdomain. `mail_send` and `mail_muted` are the entrance every
other app uses to send a transactional e-mail (mailings.services.transactional)."""

from mailings.mute import mail_muted
from mailings.services.transactional import mail_send

__all__ = ["mail_muted", "mail_send"]
