"""Calendar renderer: a document's dated events as an RFC 5545 calendar of all-day events."""

from __future__ import annotations

import datetime as dt
import re

from icalendar import Calendar, Event, vText

from ..document import Document

_EPOCH = dt.datetime(1980, 1, 1, tzinfo=dt.timezone.utc)


def render_ics(document: Document) -> bytes:
    """Return the bytes of an iCalendar file with one all-day event per calendar event."""
    calendar = Calendar()
    calendar.add("prodid", "-//briefgen//briefgen//EN")
    calendar.add("version", "2.0")
    calendar.add("calscale", "GREGORIAN")
    calendar.add("method", "PUBLISH")
    # A calendar's name is one line; an unknown (X-) property is not escaped by icalendar,
    # so a line break in the title would end the content line.
    calendar.add("x-wr-calname", vText(_one_line(document.metadata.title)))
    # DTSTAMP is required; taking it from the document (not the clock) keeps rebuilds identical.
    created = document.metadata.created
    stamp = created.replace(tzinfo=dt.timezone.utc) if created and created.tzinfo is None else created or _EPOCH
    for item in document.events:
        event = Event()
        event.add("uid", item.uid)
        event.add("dtstamp", stamp.astimezone(dt.timezone.utc))
        event.add("dtstart", item.date)
        event.add("dtend", item.date + dt.timedelta(days=1))
        event.add("summary", _one_line(item.summary))
        if item.location:
            event.add("location", _one_line(item.location))
        if item.description:
            event.add("description", item.description)
        if item.url:
            event.add("url", item.url)
        event.add("transp", "TRANSPARENT")  # an all-day reminder, not a busy block
        calendar.add_component(event)
    return calendar.to_ical()


def _one_line(text: str) -> str:
    """Return ``text`` with every run of whitespace, line breaks included, as one space."""
    return re.sub(r"\s+", " ", text).strip()
