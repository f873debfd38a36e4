"""Shared fixtures: a sample document exercising every part of the document model."""

from __future__ import annotations

import datetime as dt

import pytest

from briefgen.document import (
    Contents,
    Cover,
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


def make_sample_pack_document(sections: int = 6) -> Document:
    """A fictional pack: cover, contents, classification, page label and many sections."""
    note = make_sample_document()
    blocks: list = [
        Cover(
            title=(Text("Arden river talks: briefing pack"),),
            subtitle=(Text("Statements ahead of the Veloria–Osterland meeting"),),
            details=(
                ((Text("Meeting"),), (Text("Veloria–Osterland river talks, Port Ardent"),)),
                ((Text("Date"),), (Text("12 March 2031"),)),
                ((Text("Prepared by"),), (Text("Desk officer, Arden unit"),)),
                ((Text("Prepared for"),), (Text("The Minister"),)),
            ),
        ),
        Contents((Text("Contents"),), depth=2),
    ]
    for index in range(1, sections + 1):
        blocks.append(PageBreak())
        blocks.append(Heading(1, (Text(f"Section {index}: Қазақ Ә and Осterland"),), anchor=f"section-{index}"))
        for block in note.blocks[1:]:
            if isinstance(block, Heading):
                block = Heading(min(block.level + 1, 3), block.children)
            if not isinstance(block, PageBreak):
                blocks.append(block)
    meta = Metadata(
        title="Arden river talks: briefing pack",
        subject="Briefing pack",
        author="Desk officer",
        created=dt.datetime(2031, 3, 11),
        classification="OFFICIAL-SENSITIVE",
        page_label="Page {page} of {pages}",
    )
    return Document(meta, tuple(blocks), note.style)


@pytest.fixture
def sample_document() -> Document:
    return make_sample_document()


@pytest.fixture
def sample_pack_document() -> Document:
    return make_sample_pack_document()


@pytest.fixture(autouse=True, scope="session")
def _template_cache_in_a_temporary_folder(tmp_path_factory):
    """Keep compiled templates in a folder of the test session's own, not the user's cache folder."""
    import os

    previous = os.environ.get("XDG_CACHE_HOME")
    os.environ["XDG_CACHE_HOME"] = str(tmp_path_factory.mktemp("cache"))
    yield
    if previous is None:
        del os.environ["XDG_CACHE_HOME"]
    else:
        os.environ["XDG_CACHE_HOME"] = previous
