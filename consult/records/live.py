"""The table of comments during the consultation ("zestawienie uwag"): the record's table built from the live data
on request, numbered as the record will be, for officials who prepare their answers before the close."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from sqlmodel import Session

from consult.models import Consultation, Organisation, utcnow
from consult.records import build, export


def live_table(session: Session, consultation: Consultation, municipality: Organisation) -> dict[str, Any]:
    """The record's structure as it would be now (no conclusion, no ledger head): what the XLSX writer reads."""
    head, draft = build.head(
        session, consultation, municipality, published_at=utcnow(), conclusion="", ledger_seq=None, ledger_hash=""
    )
    return {**head, "contributions": list(build.contributions(session, consultation, draft))}


def live_xlsx_chunks(data: dict[str, Any]) -> Iterator[bytes]:
    """The workbook of the live table, without a hash: it is not the record."""
    return export.xlsx_chunks(data, "")
