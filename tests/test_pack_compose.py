"""The pack's derived tables (timeline, tracker, people), its calendar and its email, built
from a fictional two-statement pack; renderers are not involved except ICS and EML."""

from __future__ import annotations

import datetime as dt
import email
import email.policy
from pathlib import Path

import pytest
from icalendar import Calendar

from briefgen.build import pack_basename, slug
from briefgen.compose import compose_email, compose_pack, load_template_set, pack_context, resolve_template_dir
from briefgen.document import Contents, Cover, Heading, plain_text
from briefgen.render.eml import render_eml
from briefgen.render.ics import render_ics
from briefgen.workspace import load_pack

FICTION = Path(__file__).resolve().parent / "data" / "veloria"


@pytest.fixture(scope="module")
def pack():
    loaded, diagnostics = load_pack(FICTION / "briefing.yaml")
    assert loaded is not None, diagnostics
    return loaded


@pytest.fixture(scope="module")
def templates():
    return load_template_set(resolve_template_dir("default", FICTION))


def test_statements_are_ordered_by_date_and_the_pack_dated_by_its_meeting(pack):
    assert [s.id for s in pack.statements] == ["veloria-2031-03-03-river-commission", "osterland-2031-03-05-waterways-reply"]
    assert pack.date == dt.date(2031, 6, 2)
    assert pack_basename(pack) == "2031-06-02_arden-river-talks"


def test_timeline_is_sorted_with_partial_dates_placed_at_the_start_of_their_period(pack, templates):
    rows = pack_context(pack, templates, author="")["timeline"]
    assert [str(row["date"]) for row in rows] == ["2031-04-20", "2031-05", "2031-09", "2032"]


def test_people_index_merges_the_same_person_once(pack, templates):
    people = pack_context(pack, templates, author="")["people"]
    names = [p["name"] for p in people]
    assert names.count("Ilsa Marrow") == 1  # speaker of one statement, attendee ("Ilsa  Marrow") of the other
    marrow = next(p for p in people if p["name"] == "Ilsa Marrow")
    assert [(a["id"][:8], a["role"]) for a in marrow["appearances"]] == [("veloria-", "speaker"), ("osterlan", "attendee")]
    assert names.count("Tomas Wend") == 1


def test_pack_document_has_cover_contents_sections_and_only_full_dates_as_events(pack, templates):
    document = compose_pack(pack, templates, author="")
    assert isinstance(document.blocks[0], Cover) and isinstance(document.blocks[1], Contents)
    assert document.metadata.classification == "OFFICIAL-SENSITIVE"
    level_one = [plain_text(b.children) for b in document.blocks if isinstance(b, Heading) and b.level == 1]
    assert level_one[:4] == ["Overview", "Timeline", "Proposals tracker", "People"]
    assert level_one[-1] == "Sources cited"
    assert [(e.date, e.summary) for e in document.events] == [(dt.date(2031, 4, 20), "Expert meeting on the commission")]


def test_calendar_parses_and_rebuilds_with_the_same_uids(pack, templates):
    first = render_ics(compose_pack(pack, templates, author=""))
    second = render_ics(compose_pack(pack, templates, author=""))
    assert first == second
    events = [c for c in Calendar.from_ical(first).walk() if c.name == "VEVENT"]
    assert len(events) == 1
    event = events[0]
    assert event.decoded("dtstart") == dt.date(2031, 4, 20) and event.decoded("dtend") == dt.date(2031, 4, 21)
    assert str(event["location"]) == "Port Ardent"
    assert "Tomas Wend" in str(event["description"]) and "Osterland Waterways Office" in str(event["description"])


def test_email_draft_has_bodies_and_typed_attachments(pack, templates):
    draft = compose_email(pack, templates, author="")
    message_bytes = render_eml(draft, {"p.docx": b"PK\x03\x04", "p.pdf": b"%PDF-1.7", "p.ics": b"BEGIN:VCALENDAR\r\nEND:VCALENDAR\r\n"})
    message = email.message_from_bytes(message_bytes, policy=email.policy.default)
    assert message["Subject"] == "Arden river talks"
    assert message["X-Unsent"] == "1"
    body = message.get_body(("plain",)).get_content()
    assert "Osterland accepts talks" in body and "2031-04-20" not in body and "20\u00a0April 2031" in body
    assert "Expert meeting on the commission" in message.get_body(("html",)).get_content()
    attachments = {part.get_filename(): part.get_content_type() for part in message.iter_attachments()}
    assert attachments == {
        "p.docx": "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
        "p.pdf": "application/pdf",
        "p.ics": "text/calendar",
    }


def test_slugs_are_ascii_and_transliterate_cyrillic():
    assert slug("Совет мира: итоги") == "sovet-mira-itogi"
    assert slug("Ұлытау Әлемі") == "ulytau-alemi"
    assert slug("!!!") == "pack"
