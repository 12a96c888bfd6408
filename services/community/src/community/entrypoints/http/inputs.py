"""The text fields a person types into community's bodies and queries, with their bounds.

Each is the kit's `Text` (one line, trimmed, no control characters) or `LongText` (line
breaks kept), so that a name of control characters is a 422 naming the field, as is a
date outside the network's calendar (`Day`, `Instant`, used as they are).
"""

from __future__ import annotations

from typing import Annotated

from pydantic import Field

from parkgrid.http.models import RequestModel
from parkgrid.inputs import LongText, Text

Name = Annotated[Text, Field(min_length=1, max_length=200)]
"""An organisation's or a person's name (also what a search looks for)."""
Label = Annotated[Text, Field(min_length=1, max_length=100)]
"""A sector, a role in an organisation."""
Cohort = Annotated[Text, Field(min_length=1, max_length=50)]
Reason = Annotated[Text, Field(min_length=1, max_length=500)]


Line = Annotated[Text, Field(min_length=1, max_length=4000)]
Lines = Annotated[LongText, Field(min_length=1, max_length=4000)]


class TitleIn(RequestModel):
    """An event's title in French and English (Arabic welcome), as the contract's `LocalizedText`: one line each."""

    fr: Line
    en: Line
    ar: Annotated[Text, Field(max_length=4000)] | None = None


class DescriptionIn(RequestModel):
    """An event's description in French and English (Arabic welcome): line breaks kept."""

    fr: Lines
    en: Lines
    ar: Annotated[LongText, Field(max_length=4000)] | None = None
