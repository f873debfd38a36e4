"""The sandbox's cached attribute verdicts: a verdict is never reused for another type or name; output given in pieces as it is written."""

from __future__ import annotations

from pathlib import Path

import pytest

from briefgen import sandbox
from briefgen.errors import TemplateError
from briefgen.models import Speaker
from briefgen.sandbox import make_environment, render


class Chameleon:
    """An object that may claim another class through ``__class__``, as a proxy does; isinstance believes the claim."""

    def __init__(self, claimed: type | None = None) -> None:
        self.claimed = claimed

    @property  # type: ignore[misc]
    def __class__(self) -> type:
        return self.claimed or type(self)

    def append(self) -> str:
        return "appended"

    def copy(self) -> str:
        return "copied"


def render_text(tmp_path: Path, source: str, **context: object) -> str:
    """Render ``source`` as a plain-text template in a fresh sandbox."""
    (tmp_path / "t.txt.j2").write_text(source, encoding="utf-8")
    return render(make_environment(tmp_path, {}), tmp_path, "t.txt.j2", context)


def test_a_name_allowed_on_one_type_stays_refused_on_another(tmp_path):
    """``items`` of a dict is readable, then ``model_fields`` of a model is refused in the same render, and a dict key of that name still reads."""
    speaker = Speaker(name="Ana Ortis")
    source = "{{ d.items()|list|length }} {{ d.model_fields }} {{ s.name }}{{ s.model_fields }}"
    with pytest.raises(TemplateError, match="access to attribute 'model_fields' of 'Speaker' object is unsafe"):
        render_text(tmp_path, source, d={"model_fields": "key"}, s=speaker)
    assert render_text(tmp_path, "{{ d.model_fields }} {{ d.items()|list|length }}", d={"model_fields": "key"}) == "key 1"


def test_a_refused_name_is_refused_every_time(tmp_path):
    """A mutating method refused once is refused again, not remembered as readable."""
    for _ in range(2):
        with pytest.raises(TemplateError, match="access to attribute 'append' of 'list' object is unsafe"):
            render_text(tmp_path, "{{ x.index(1) }}{{ x.append }}", x=[1])


def test_an_object_claiming_another_class_is_judged_by_its_claim(tmp_path):
    """isinstance trusts ``__class__``: what an honest object of a type may read, one claiming a list or a model may not."""
    honest = Chameleon()
    assert render_text(tmp_path, "{{ c.append() }} {{ c.copy() }}", c=honest) == "appended copied"
    with pytest.raises(TemplateError, match="access to attribute 'append' of 'Chameleon' object is unsafe"):
        render_text(tmp_path, "{{ h.append() }}{{ c.append() }}", h=honest, c=Chameleon(list))
    with pytest.raises(TemplateError, match="access to attribute 'copy' of 'Chameleon' object is unsafe"):
        render_text(tmp_path, "{{ h.copy() }}{{ c.copy() }}", h=honest, c=Chameleon(Speaker))


def test_filled_in_dates_follow_the_wording(tmp_path):
    """The cache of filled-in wording is keyed by the pattern: two wordings give two results."""
    from briefgen.sandbox import format_wording

    environment = make_environment(tmp_path, {})
    fields = {"day": 1, "month": "May", "year": 2031}
    assert format_wording(environment, {"day_format": "{day} {month} {year}"}, "day_format", fields) == "1 May 2031"
    assert format_wording(environment, {"day_format": "{month} {day}, {year}"}, "day_format", fields) == "May 1, 2031"
    with pytest.raises(Exception, match="day_format of the wording"):
        format_wording(environment, {"day_format": "{day.__class__}"}, "day_format", fields)


class Holder:
    """A plain object whose attribute holds whatever a test puts there."""

    def __init__(self, value: object) -> None:
        self.value = value


def test_a_name_read_plainly_before_is_still_sandboxed_when_it_holds_str_format(tmp_path):
    """A type and name read before as a plain value are read quickly after; a ``str.format`` found there is still the sandbox's."""
    plain, sneaky = Holder("plain"), Holder("{0.__class__.__init__.__globals__}".format)
    source = "{% for _ in range(3) %}{{ a.value }} {% endfor %}{{ b.value(b) }}"
    with pytest.raises(TemplateError, match=r"access to attribute '__\w+__' of '\w+' object is unsafe"):
        render_text(tmp_path, source, a=plain, b=sneaky)
    assert render_text(tmp_path, "{% for h in hs %}{{ h.value }} {% endfor %}", hs=[plain, Holder(3), Holder("again")]) == "plain 3 again "


def test_a_dict_is_read_by_key_unless_the_name_is_one_of_its_methods(tmp_path):
    """A key reads as the item; a name dict defines reads as the method (and a mutating one is refused); a missing key is undefined."""
    d = {"s": "Ostrelia", "keys": "shadowed", "pop": "shadowed"}
    assert render_text(tmp_path, "{{ d.s }} {{ d.keys()|list|length }} {{ d['keys'] }}", d=d) == "Ostrelia 3 shadowed"
    with pytest.raises(TemplateError, match="access to attribute 'pop' of 'dict' object is unsafe"):
        render_text(tmp_path, "{{ d.pop }}", d=d)
    with pytest.raises(TemplateError, match="has no attribute 'missing'"):
        render_text(tmp_path, "{{ d.missing }}", d=d)


def test_output_is_given_in_pieces_as_it_is_written_and_they_join_to_the_whole(tmp_path, monkeypatch):
    """Each piece but the last holds at least WRITE_PIECE characters, and each comes while the template is still running."""
    monkeypatch.setattr(sandbox, "WRITE_PIECE", 100)
    (tmp_path / "t.txt.j2").write_text("{% for i in range(60) %}{{ mark(i) }}line {{ i }} of the output\n{% endfor %}", encoding="utf-8")
    pieces: list[str] = []
    lines_when_given: list[int] = []
    reached: list[int] = []

    def mark(i: int) -> str:
        reached.append(i)
        return ""

    whole = render(make_environment(tmp_path, {}), tmp_path, "t.txt.j2", {"mark": mark}, write=lambda piece: (pieces.append(piece), lines_when_given.append(len(reached))))
    assert "".join(pieces) == whole
    assert len(pieces) > 5 and all(len(piece) >= 100 for piece in pieces[:-1]) and len(pieces[-1]) <= 100 + 30
    assert lines_when_given[0] < 10  # the first piece came long before the last line was written
    assert lines_when_given == sorted(lines_when_given)


def test_a_template_that_fails_gives_no_piece_after_the_failure(tmp_path, monkeypatch):
    monkeypatch.setattr(sandbox, "WRITE_PIECE", 10)
    pieces: list[str] = []
    with pytest.raises(TemplateError, match=r"t.txt.j2:\d+: template error: 'missing' is undefined"):
        render_text_to(tmp_path, "{% for i in range(20) %}line {{ i }}\n{% endfor %}{{ missing }} after", pieces.append)
    written = "".join(pieces)
    assert written and "".join(f"line {i}\n" for i in range(20)).startswith(written)  # what came before the failure, and nothing after


def render_text_to(tmp_path: Path, source: str, write) -> str:
    (tmp_path / "t.txt.j2").write_text(source, encoding="utf-8")
    return render(make_environment(tmp_path, {}), tmp_path, "t.txt.j2", {}, write=write)
