"""Parse a form into a validated input model, or errors (translated) plus the typed values."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any, Generic, TypeVar, get_args

from pydantic import BaseModel, ValidationError
from pydantic_core import PydanticCustomError
from starlette.datastructures import FormData
from starlette.requests import Request

from consult.errors import DomainError
from consult.i18n import _, gettext

T = TypeVar("T", bound=BaseModel)
MAX_INT = 2**63 - 1  # a 64-bit integer column; ids and counts beyond it are refused as a field error
MIN_YEAR, MAX_YEAR = 1900, 2999  # dates outside are typing errors, and year 1 or 9999 breaks time-zone arithmetic
INTEGER = re.compile(r"[+-]?[0-9_]+")
YEAR = re.compile(r"(?:[+-])?([0-9]+)-")

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


def _kinds(annotation: Any) -> set[type]:
    """The plain types a field's annotation names (int | None → {int, NoneType})."""
    args = get_args(annotation)
    return set().union(*(_kinds(a) for a in args)) if args else {annotation}


def out_of_range(model: type[BaseModel], cleaned: dict[str, Any]) -> dict[str, str]:
    """Numbers no column can hold and dates no calendar arithmetic survives, refused before any validator runs."""
    errors: dict[str, str] = {}
    for name, info in model.model_fields.items():
        value, kinds = cleaned.get(name), _kinds(info.annotation)
        if not isinstance(value, str) or not value:
            continue
        if int in kinds and INTEGER.fullmatch(value) and not -MAX_INT <= int(value[:30]) <= MAX_INT:
            errors[name] = gettext(_("This number is too large."))
        elif kinds & {date, datetime} and (year := YEAR.match(value)) and not MIN_YEAR <= int(year[1]) <= MAX_YEAR:
            errors[name] = gettext(_("Enter a date between %(first)s and %(last)s."), first=MIN_YEAR, last=MAX_YEAR)
    return errors


def validate(model: type[T], values: dict[str, Any]) -> Form[T]:
    cleaned = {k.removesuffix("[]"): _clean(v) for k, v in values.items()}
    refused = out_of_range(model, cleaned)
    try:
        data = model.model_validate({k: v for k, v in cleaned.items() if k not in refused})
    except ValidationError as exc:
        errors: dict[str, str] = {}
        for error in exc.errors():
            name = str(error["loc"][0]) if error["loc"] else "__all__"
            message = error["msg"] if error["type"] == "consult" else STANDARD_MESSAGES.get(error["type"])
            errors.setdefault(name, gettext(message or _("This value is not valid.")))
        return Form(None, values, errors | refused)
    return Form(None, values, refused) if refused else Form(data, values)


def _clean(value: Any) -> Any:
    """Spaces around a value dropped; NUL, which no text means and PostgreSQL cannot store, dropped too."""
    return value.replace("\x00", "").strip() if isinstance(value, str) else value


async def parse_form(request: Request, model: type[T]) -> Form[T]:
    return validate(model, values_of(await request.form()))


def empty_form() -> Form[Any]:
    return Form(None, {})
