"""Shared fixtures: a sample document exercising every part of the document model."""

from __future__ import annotations

import datetime as dt

import pytest

from briefgen.document import (
    Document,
    Footnote,
    Heading,
    LineBreak,
    Link,
    ListBlock,
    Metadata,
    PageBreak,
    Paragraph,
    Style,
    Table,
    Text,
)
from briefgen.resources import shipped_family


def _note(n: int) -> Footnote:
    return Footnote(
        (
            Text(f"Ministry of Fictional Affairs of Veloria, “Statement {n}”, 3 March 2031, para. {n}, "),
            Link("https://example.org/veloria/statement", (Text("https://example.org/veloria/statement"),)),
            Text(" (accessed 4 March 2031)."),
        )
    )


def make_sample_document(footnotes: int = 3) -> Document:
    """A fictional note with Cyrillic, Kazakh letters, footnotes, a list, a table and links."""
    style = Style(body_font=shipped_family("PT Serif"), heading_font=shipped_family("PT Sans"))
    blocks = [
        Heading(0, (Text("Veloria proposes a river commission"),)),
        Paragraph((Text("Ilsa Marrow, Foreign Minister of Veloria · Port Ardent · 3 March 2031"),), role="meta"),
        Paragraph((Text("Veloria wants a joint commission on the Arden river by autumn."),), role="lead"),
        Heading(1, (Text("Key points"),), anchor="key-points"),
        ListBlock(
            tuple(
                (Text(f"Point {i}: the minister said the commission is "), Text("urgent", italic=True), _note(i))
                for i in range(1, footnotes + 1)
            )
        ),
        Paragraph((Text("«Мы предлагаем создать комиссию» — Қазақ әліпбиі: Ә Ғ Қ Ң Ө Ұ Ү Һ І."),), role="quote"),
        Heading(2, (Text("Attendees"),), anchor="attendees"),
        Table(
            header=((Text("Name"),), (Text("Role"),), (Text("Country"),)),
            rows=(
                ((Text("Ilsa Marrow"),), (Text("Foreign Minister"),), (Text("Veloria"),)),
                ((Text("Тарас Вельский"),), (Text("Посол"),), (Text("Остерland"),)),
            ),
            widths=(3, 3, 2),
        ),
        Heading(3, (Text("Comment"),)),
        Paragraph((Text("Assessment: ", bold=True), Text("likely to stall."), LineBreak(), Text("Second line.")), role="aside"),
        PageBreak(),
        Paragraph(
            (Text("See "), Link("https://example.org/a?b=1&c=<2>", (Text("the <source> & notes"),)), Text(".")),
            role="small",
        ),
    ]
    meta = Metadata(
        title="Veloria proposes a river commission",
        subject="Statement by Ilsa Marrow, 3 March 2031",
        author="Desk officer",
        keywords=("Veloria", "river"),
        created=dt.datetime(2031, 3, 3),
    )
    return Document(meta, tuple(blocks), style)


@pytest.fixture
def sample_document() -> Document:
    return make_sample_document()
