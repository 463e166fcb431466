"""The error an action raises when a rule refuses: actions import it from here and nothing of the web layer."""

from __future__ import annotations

from typing import Any

from consult.i18n import gettext


class DomainError(Exception):
    """A rule an action refused, naming the form field it concerns (or "" for the whole form)."""

    def __init__(self, field: str, message: str, status_code: int = 422, **params: Any) -> None:
        super().__init__(message)
        self.field = field
        self.message = message
        self.status_code = status_code
        self.params = params

    def translated(self) -> str:
        return gettext(self.message, **self.params)
