"""The landing document at ``/`` (the shape of an OGC API landing page)."""

from __future__ import annotations

from pydantic import BaseModel


class Link(BaseModel):
    """A typed link (RFC 8288 relation names)."""

    href: str
    rel: str
    type: str | None = None
    title: str | None = None


class Landing(BaseModel):
    """What the service is and where to go from here."""

    title: str
    description: str
    version: str
    links: list[Link]
