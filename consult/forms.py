"""Parse a form into a validated input model, or errors (translated) plus the typed values."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Generic, TypeVar

from pydantic import BaseModel, ValidationError
from pydantic_core import PydanticCustomError
from starlette.datastructures import FormData
from starlette.requests import Request

from consult.i18n import _, gettext

T = TypeVar("T", bound=BaseModel)

# Messages for pydantic's own error types; our validators raise invalid() with their own.
STANDARD_MESSAGES = {
    "missing": _("This field is required."),
    "string_too_short": _("This field is required."),
    "string_too_long": _("This text is too long."),
    "literal_error": _("Choose one of the options."),
    "int_parsing": _("Enter a whole number."),
    "datetime_parsing": _("Enter a valid date and time."),
    "datetime_from_date_parsing": _("Enter a valid date and time."),
}


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


def invalid(message: str) -> PydanticCustomError:
    """A validation error carrying one of our (untranslated, marked) messages."""
    return PydanticCustomError("consult", message)


@dataclass
class Form(Generic[T]):
    data: T | None
    values: dict[str, Any]
    errors: dict[str, str] = field(default_factory=dict)
    prefix: str = ""  # makes field ids unique when several forms share a page

    @property
    def ok(self) -> bool:
        return self.data is not None and not self.errors

    def add_error(self, error: DomainError) -> None:
        self.errors[error.field or "__all__"] = error.translated()


def values_of(form: FormData) -> dict[str, Any]:
    values: dict[str, Any] = {}
    for key in form:
        if key == "csrf_token":
            continue
        items = form.getlist(key)
        values[key] = items if len(items) > 1 or key.endswith("[]") else items[0]
    return values


def validate(model: type[T], values: dict[str, Any]) -> Form[T]:
    cleaned = {k.removesuffix("[]"): (v.strip() if isinstance(v, str) else v) for k, v in values.items()}
    try:
        return Form(model.model_validate(cleaned), values)
    except ValidationError as exc:
        errors: dict[str, str] = {}
        for error in exc.errors():
            name = str(error["loc"][0]) if error["loc"] else "__all__"
            message = error["msg"] if error["type"] == "consult" else STANDARD_MESSAGES.get(error["type"])
            errors.setdefault(name, gettext(message or _("This value is not valid.")))
        return Form(None, values, errors)


async def parse_form(request: Request, model: type[T]) -> Form[T]:
    return validate(model, values_of(await request.form()))


def empty_form() -> Form[Any]:
    return Form(None, {})
