"""Bodies of the scheduling routes: cadence rules and recorded contacts.

Field values are checked by ``geo.schedule`` (every problem of every rule in
one 422, with its pointer); here only shapes and sizes are bounded.
"""

from __future__ import annotations

from datetime import date, time
from typing import Annotated

from pydantic import Field

from service.schemas.common import StrictModel

Short = Annotated[str, Field(min_length=1, max_length=40)]
Days = Annotated[int, Field(ge=-(2**31), le=2**31 - 1)]
Number = Annotated[float, Field(ge=-1e9, le=1e9)]


class CadenceRuleIn(StrictModel):
    """How often one channel is used for a tier and stage (unset: any)."""

    channel: Short = Field(description="visit, phone, email or video.")
    every_days: Number | None = Field(None, description="Days between contacts.")
    per_month: Number | None = Field(None, description="Contacts per month (instead).")
    min_days: Days | None = None
    max_days: Days | None = None
    tier: Short | None = Field(None, description="A, B or C; unset: every tier.")
    stage: Short | None = Field(None, description="lead, opportunity, customer; unset: any.")
    weekdays: list[Days] = Field([], max_length=7, description="Preferred, 0 = Monday.")
    time_window: tuple[time, time] | None = Field(
        None, strict=False, description="Preferred time of day: [HH:MM, HH:MM]."
    )
    seasonal: list[Number] = Field([], max_length=12, description="12 monthly multipliers.")
    minutes: Number | None = Field(None, description="Length of one contact.")


class CadenceIn(StrictModel):
    """A territory's rules, replacing the stored ones whole (empty: clear)."""

    rules: list[CadenceRuleIn] = Field([], max_length=200)


class ContactIn(StrictModel):
    """A contact that happened."""

    account_id: Annotated[str, Field(min_length=1, max_length=200)]
    channel: Short
    on: date = Field(strict=False, description="The day of the contact (YYYY-MM-DD).")
    rep_id: Annotated[int, Field(ge=1, le=2**31 - 1)] | None = Field(
        None, description="Staff only; default the account's rep. A rep records as themself."
    )
