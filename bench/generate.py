"""Generate a fictional briefgen workspace of N statements, deterministically, for benchmarks.

Every country, city, river, person and organisation is invented. Each statement has a
source text of 8–15 paragraphs, 6–10 key points quoting sentences of that text verbatim,
5 attendees, 3 upcoming dates (one each to the day, the month and the year), 3 proposals,
tags and a comment; about one statement in four is in Russian (``source.language: ru``)
with Cyrillic text and names. ``briefing.yaml`` makes a pack of them all.

Statement ``i`` depends only on the seed and ``i``, so the workspace of 10 statements is
the first 10 of the workspace of 100. Only Latin and Cyrillic letters and common
punctuation are used, all of which the shipped PT fonts cover.

Usage: ``python bench/generate.py OUT_DIR --count 100 [--seed 1]``.
"""

from __future__ import annotations

import argparse
import datetime as dt
import functools
import random
from dataclasses import dataclass
from pathlib import Path

import yaml

#: Share of statements made in Russian.
RUSSIAN_SHARE = 0.25
#: Statements are made in these two years; the pack's meeting follows them.
FIRST_DAY = dt.date(2031, 1, 1)
SPAN_DAYS = 720
MEETING = dt.date(2033, 3, 1)


@dataclass(frozen=True)
class Country:
    """An invented country: its English name and, in Russian, its nominative and genitive."""

    en: str
    ru: str
    ru_genitive: str


@dataclass(frozen=True)
class City:
    """An invented city: English name; Russian nominative, genitive and prepositional."""

    en: str
    ru: str
    ru_genitive: str
    ru_prepositional: str


@dataclass(frozen=True)
class Person:
    """An invented person as a statement names them."""

    name: str
    role: str
    country: str
    organisation: str
    russian: bool


COUNTRIES = (
    Country("Veloria", "Вельория", "Вельории"),
    Country("Osterland", "Остерландия", "Остерландии"),
    Country("Marrenia", "Маррения", "Маррении"),
    Country("Caldovia", "Кальдовия", "Кальдовии"),
    Country("Norvand", "Норвандия", "Норвандии"),
    Country("Pellaria", "Пеллария", "Пелларии"),
    Country("Estmark", "Эстмаркия", "Эстмаркии"),
    Country("Quarreth", "Кварретия", "Кварретии"),
    Country("Solvenna", "Сольвенна", "Сольвенны"),
    Country("Drevania", "Древания", "Древании"),
    Country("Ilmora", "Ильмора", "Ильморы"),
    Country("Brenmoor", "Бренмория", "Бренмории"),
)

CITIES = (
    City("Port Ardent", "Ардентск", "Ардентска", "Ардентске"),
    City("Wendmouth", "Вендмут", "Вендмута", "Вендмуте"),
    City("Saltmere", "Сальмир", "Сальмира", "Сальмире"),
    City("Thornvald", "Торнвальд", "Торнвальда", "Торнвальде"),
    City("Calder Bay", "Кальдербей", "Кальдербея", "Кальдербее"),
    City("Halvorne", "Хальворн", "Хальворна", "Хальворне"),
    City("Drennick", "Дренник", "Дренника", "Дреннике"),
    City("Ambergate", "Амбергейт", "Амбергейта", "Амбергейте"),
    City("Lowen Ford", "Лёвенфорд", "Лёвенфорда", "Лёвенфорде"),
    City("Kestrel Point", "Кестрелпойнт", "Кестрелпойнта", "Кестрелпойнте"),
)

RIVERS = ("Arden", "Vell", "Marro", "Oster", "Calda", "Norr")
RIVERS_RU = ("Арден", "Велль", "Марро", "Остер", "Кальда", "Норр")

FIRST_NAMES = (
    "Ilsa Tomas Brigid Oren Maren Castor Lenna Odile Piet Sanne Edric Yara Halden Rosalind Anselm Mira Corin "
    "Tessa Jorund Alia Bram Nell Severin Ysolde Davin Oriel Kasimir Linnea Faro Elodie Ruben Ingra Matthis "
    "Selka Teodor Vesna Aurel Hanne Lucan Petra"
).split()
SURNAMES = (
    "Marrow Wend Oak Fennick Ashgrove Thorne Calloway Draycott Larkspur Venmoor Holloway Quill Brandt Sorrel "
    "Astley Morrow Kettering Vale Harrowgate Linden Cresswell Falk Orme Pellham Rook Sallow Tindall Umber "
    "Whitlow Yarrow Ambrose Blackmere Corvin Dunmore Elstow Fairweather Greave Hollin Ivers Jessop"
).split()
FIRST_NAMES_RU = (
    "Мирон Лада Тарас Злата Всеволод Ярина Богдан Милена Остап Радмила Светозар Веселина Добрыня Любава "
    "Ратибор Снежана Велимир Дарина Яромир Алёна Любомир Забава Станимир Голуба Мстислав Веста Будимир Лучезара "
    "Градислав Звенислава"
).split()
SURNAMES_RU_MALE = (
    "Дальский Вересов Ольхин Туманов Заречный Белозёров Каменев Ясенев Горностаев Лесовой Ручьёв Полянский "
    "Озёрский Брусничный Кленов Вьюгин Сосновский Рябинин Ольшанский Журавлёв Камышин Овражный Черёмухин "
    "Липецкий Ветлугин Осокин Глинский Порожний Ковыльный Тальников Ивняков Сиверский Луговской Боровой "
    "Ракитин Дубравин Туманский Ледянский Ключарёв Ручейников"
).split()

ROLES = (
    "Foreign Minister",
    "Minister of Waterways",
    "Minister of Trade",
    "Deputy Foreign Minister",
    "Special Envoy for the River Basin",
    "Ambassador",
    "Chair of the Foreign Affairs Committee",
    "Minister of Transport",
    "State Secretary",
    "Prime Minister",
)
ROLES_RU = ("Министр иностранных дел", "Министр водного хозяйства", "Министр торговли", "Посол", "Спецпредставитель", "Председатель комитета")
ORGANISATIONS = ("Arden Basin Council", "Northern Trade Union of Ports", "Free City of Saltmere", "River Observers' Mission", "Regional Development Bank")

FEMALE_RU = set("Лада Злата Ярина Милена Радмила Веселина Любава Снежана Дарина Алёна Забава Голуба Веста Лучезара Звенислава".split())
#: How many people join the cast with each statement: fewer would make the same people
#: appear in dozens of statements, more would make nobody recur.
CAST_GROWTH = 4

MONTHS_EN = "January February March April May June July August September October November December".split()
MONTHS_RU_GENITIVE = "января февраля марта апреля мая июня июля августа сентября октября ноября декабря".split()
MONTHS_RU_PREPOSITIONAL = "январе феврале марте апреле мае июне июле августе сентябре октябре ноябре декабре".split()

# Sentence parts; each sentence combines one of each, so a text's sentences differ.
SUBJECTS_EN = (
    "Our government",
    "The ministry",
    "{country}",
    "The joint working group",
    "The national assembly of {country}",
    "Every riverside province",
    "The delegation of {country}",
    "Our partners in {other}",
)
VERBS_EN = (
    "is ready to discuss",
    "will not accept any delay to",
    "continues to support",
    "has repeatedly called for",
    "expects tangible progress on",
    "intends to strengthen its work on",
    "remains fully committed to",
    "has asked the commission to review",
    "sees no alternative to",
    "will put forward detailed proposals on",
)
OBJECTS_EN = (
    "a joint commission on the {river} river",
    "new rules for cross-border trade in grain and timber",
    "the reopening of the crossing at {city}",
    "a common approach to sharing the water of the {river}",
    "the protection of fisheries in the lower {river} basin",
    "closer cooperation between our customs services",
    "a permanent secretariat in {city}",
    "an early warning system for floods along the {river}",
    "the modernisation of the railway line to {city}",
    "student exchanges between the universities of {country} and {other}",
    "the dredging of the shipping channel near {city}",
    "a shared register of dams and reservoirs",
    "common standards for the quality of drinking water",
    "a fund for the recovery of flooded villages",
    "the demarcation of the border along the {river}",
)
QUALIFIERS_EN = (
    "without further delay",
    "in the coming months",
    "on the basis of mutual respect",
    "as agreed at the last summit in {city}",
    "within the framework of the existing treaties",
    "before the end of {year}",
    "together with all our neighbours",
    "step by step and in good faith",
    "with the support of the Regional Development Bank",
    "so that the next generation inherits a living river",
)
SUBJECTS_RU = (
    "Наше правительство",
    "Министерство иностранных дел",
    "Правительство {country_gen}",
    "Руководство региона",
    "Национальное собрание {country_gen}",
    "Министерство водного хозяйства",
)
VERBS_RU = (
    "готово обсудить",
    "поддерживает",
    "намерено ускорить",
    "выступает за",
    "рассчитывает на",
    "предлагает обсудить",
    "не исключает",
    "продолжит обсуждать",
)
OBJECTS_RU = (
    "создание совместной комиссии по реке {river}",
    "новые правила приграничной торговли зерном и лесом",
    "открытие пункта пропуска в {city_prep}",
    "общий подход к распределению воды реки {river}",
    "защиту рыбных запасов в низовьях реки {river}",
    "сотрудничество таможенных служб",
    "постоянный секретариат в {city_prep}",
    "систему раннего оповещения о паводках на реке {river}",
    "модернизацию железной дороги до {city_gen}",
    "обмен студентами между университетами",
    "углубление судоходного канала у {city_gen}",
    "общий реестр плотин и водохранилищ",
)
QUALIFIERS_RU = (
    "без дальнейших задержек",
    "в ближайшие месяцы",
    "на основе взаимного уважения",
    "как было условлено на прошлом саммите в {city_prep}",
    "в рамках действующих договоров",
    "до конца {year} года",
    "вместе со всеми соседями",
    "шаг за шагом",
)
PROPOSALS_EN = (
    "a joint fund for the {river} basin",
    "a permanent secretariat of the river commission in {city}",
    "a visa-free regime for river crews",
    "a common register of cargo ships on the {river}",
    "annual consultations of the foreign ministers",
    "a hotline between the flood services of {country} and {other}",
    "a treaty on the shared use of the {river}",
    "a regional centre for water research in {city}",
)
PROPOSALS_RU = (
    "создать общий фонд бассейна реки {river}",
    "учредить постоянный секретариат комиссии в {city_prep}",
    "ввести безвизовый режим для речных экипажей",
    "проводить ежегодные консультации министров иностранных дел",
    "открыть региональный центр водных исследований в {city_prep}",
    "заключить договор о совместном использовании реки {river}",
)
STATUSES = ("proposed", "under-discussion", "agreed", "implemented", "rejected")
TAGS = ("water", "trade", "border", "transport", "fisheries", "floods", "treaty", "summit", "customs", "education")
EVENTS_EN = ("Regional Water Forum", "River talks, round {n}", "Summit of the riverside states", "Joint press conference", "Trade council")
EVENTS_RU = ("Региональный водный форум", "Переговоры по реке, раунд {n}", "Саммит прибрежных государств", "Совместная пресс-конференция")


def person(seed: int, number: int) -> Person:
    """Return the invented person ``number`` of the cast of ``seed``: the same on every call.

    Names are distinct combinations taken in a seeded order, so two people share a name only
    when the cast outgrows the combinations (1,200 in Russian, some 34,000 in English).
    """
    rng = random.Random(f"{seed}:person:{number}")
    country = rng.choice(COUNTRIES)
    if rng.random() < RUSSIAN_SHARE:
        first, surname = _names(seed, russian=True)[number % len(_names(seed, russian=True))]
        if first in FEMALE_RU:
            surname = surname[:-2] + "ая" if surname.endswith(("ий", "ой")) else surname + "а"
        return Person(f"{first} {surname}", rng.choice(ROLES_RU), country.ru, "", True)
    first, surname = _names(seed, russian=False)[number % len(_names(seed, russian=False))]
    organisation = rng.choice(ORGANISATIONS) if rng.random() < 0.15 else ""
    return Person(f"{first} {surname}", rng.choice(ROLES), "" if organisation else country.en, organisation, False)


@functools.cache
def _names(seed: int, *, russian: bool) -> list[tuple[str, str]]:
    """Return every (first name, surname) combination of a language in the order of ``seed``."""
    if russian:
        combinations = [(first, surname) for first in FIRST_NAMES_RU for surname in SURNAMES_RU_MALE]
    else:
        initials = "ABCDEFGHIJKLMNOPRSTVW"
        combinations = [(f"{first} {initial}.", surname) for first in FIRST_NAMES for initial in initials for surname in SURNAMES]
    random.Random(f"{seed}:names:{russian}").shuffle(combinations)
    return combinations


class _Statement:
    """Builds one statement's text and summary from a seeded random generator."""

    def __init__(self, seed: int, index: int):
        self.rng = random.Random(f"{seed}:statement:{index}")
        self.index = index
        self.seed = seed
        rng = self.rng
        self.russian = rng.random() < RUSSIAN_SHARE
        self.country, self.other = rng.sample(COUNTRIES, 2)
        self.city = rng.choice(CITIES)
        self.river = rng.randrange(len(RIVERS))
        self.date = FIRST_DAY + dt.timedelta(days=rng.randrange(SPAN_DAYS))
        # Speakers and attendees come from a cast that grows with the pack, so people recur.
        cast = [person(seed, number) for number in rng.sample(range(20 + CAST_GROWTH * index), 6)]
        speakers = [p for p in cast if p.russian == self.russian] or cast
        self.speaker = speakers[0]
        self.attendees = [p for p in cast if p is not self.speaker][:5]
        self.used: set[str] = set()

    # --- wording ----------------------------------------------------------------------

    def fill(self, pattern: str) -> str:
        """Return ``pattern`` with the statement's places, river and a year filled in."""
        city = self.rng.choice(CITIES)
        return pattern.format(
            country=self.country.en,
            other=self.other.en,
            country_gen=self.country.ru_genitive,
            river=(RIVERS_RU if self.russian else RIVERS)[self.river],
            city=city.en,
            city_gen=city.ru_genitive,
            city_prep=city.ru_prepositional,
            year=self.date.year + 1,
            n=self.rng.randint(2, 9),
        )

    def sentence(self) -> str:
        """Return a sentence of the statement not used in it before."""
        parts = (SUBJECTS_RU, VERBS_RU, OBJECTS_RU, QUALIFIERS_RU) if self.russian else (SUBJECTS_EN, VERBS_EN, OBJECTS_EN, QUALIFIERS_EN)
        while True:
            words = " ".join(self.fill(self.rng.choice(part)) for part in parts)
            text = words[0].upper() + words[1:] + "."
            if text not in self.used:
                self.used.add(text)
                return text

    def dated(self, kind: str, when: dt.date) -> tuple[str, str, str]:
        """Return (sentence, event name, location) announcing an event known to the ``kind`` (day, month, year)."""
        city = self.rng.choice(CITIES)
        topic = self.fill(self.rng.choice(OBJECTS_RU if self.russian else OBJECTS_EN))
        if self.russian:
            if kind == "day":
                text = f"Следующий раунд переговоров состоится в {city.ru_prepositional} {when.day} {MONTHS_RU_GENITIVE[when.month - 1]} {when.year} года."
                return text, f"Раунд переговоров в {city.ru_prepositional}", city.ru
            if kind == "month":
                text = f"Наша делегация посетит {city.ru} в {MONTHS_RU_PREPOSITIONAL[when.month - 1]} {when.year} года для консультаций: {topic}."
                return text, f"Визит делегации в {city.ru}", city.ru
            text = f"{self.country.ru} проведёт саммит прибрежных государств в {when.year} году."
            return text, "Саммит прибрежных государств", self.country.ru
        if kind == "day":
            text = f"The next round of talks will be held in {city.en} on {when.day} {MONTHS_EN[when.month - 1]} {when.year}."
            return text, f"Round of talks in {city.en}", city.en
        if kind == "month":
            text = f"Our delegation will travel to {city.en} in {MONTHS_EN[when.month - 1]} {when.year} for consultations on {topic}."
            return text, f"Delegation visit to {city.en}", city.en
        text = f"{self.country.en} will host a summit of the riverside states in {when.year}."
        return text, "Summit of the riverside states", self.country.en

    # --- the statement ----------------------------------------------------------------

    def build(self) -> tuple[str, dict, str]:
        """Return the statement's id, its YAML mapping and its source text."""
        rng = self.rng
        ru = self.russian
        country = self.country.ru if ru else self.country.en
        paragraphs = [[self.sentence() for _ in range(rng.randint(2, 5))] for _ in range(rng.randint(8, 15))]
        upcoming = []
        for kind in ("day", "month", "year"):
            when = self.date + dt.timedelta(days=rng.randint(30, 600))
            text, event, location = self.dated(kind, when)
            where = rng.randrange(1, len(paragraphs))
            paragraphs[where].insert(rng.randint(0, len(paragraphs[where])), text)
            date_value = when if kind == "day" else f"{when.year:04d}-{when.month:02d}" if kind == "month" else when.year
            upcoming.append({"date": date_value, "event": event, "location": location, "quote": text.rstrip(".")})
        proposals, wordings = [], []
        for proposal in rng.sample(PROPOSALS_RU if ru else PROPOSALS_EN, 3):
            wording = self.fill(proposal)
            wordings.append(wording)
            text = ("Мы предлагаем " if ru else "We propose ") + wording + "."
            where = rng.randrange(len(paragraphs))
            paragraphs[where].append(text)
            proposals.append({"proposal": wording[0].upper() + wording[1:], "by": self.speaker.name, "status": rng.choice(STATUSES), "quote": text.rstrip(".")})
        # Key points quote sentences of the text; about half say which paragraph holds them.
        places = [(number, sentence) for number, paragraph in enumerate(paragraphs, 1) for sentence in paragraph]
        key_points = []
        for number, sentence in rng.sample(places, rng.randint(6, 10)):
            quote = sentence.rstrip(".")
            point = ("Позиция: " if ru else "The speaker's position: ") + quote + "."
            item = {"point": point, "quote": quote}
            if rng.random() < 0.5:
                item["para"] = number
            key_points.append(item)
        verb = "изложила" if self.speaker.name.split()[0] in FEMALE_RU else "изложил"
        opening = (
            f"Выступая в {self.city.ru_prepositional}, {self.speaker.role.lower()} {self.speaker.name} {verb} позицию: {country} ищет согласия с соседями."
            if ru
            else f"Speaking in {self.city.en}, {self.speaker.role} {self.speaker.name} set out the position of {country} on the {RIVERS[self.river]} river."
        )
        paragraphs[0].insert(0, opening)
        text = "\n\n".join(" ".join(paragraph) for paragraph in paragraphs) + "\n"

        slug = (self.country.en + "-" + ("ru-" if ru else "") + self.date.isoformat()).lower()
        statement_id = f"{slug}-{self.index:04d}"
        title = (
            f"{country}: {key_points[0]['quote']}"
            if ru
            else f"{country} sets out its position on the {RIVERS[self.river]} river"
        )
        event_pattern = rng.choice(EVENTS_RU if ru else EVENTS_EN)
        data = {
            "title": title,
            "date": self.date,
            "speaker": _person_fields(self.speaker, with_organisation=False),
            "event": {"name": self.fill(event_pattern), "location": self.city.ru if ru else self.city.en},
            "source": {
                "publisher": f"Министерство иностранных дел {self.country.ru_genitive}" if ru else f"Ministry of Foreign Affairs of {self.country.en}",
                "title": ("Заявление: " if ru else "Statement: ") + title,
                "url": f"https://example.org/{self.country.en.lower()}/{statement_id}",
                "published": self.date,
                "accessed": self.date + dt.timedelta(days=rng.randint(1, 20)),
                "language": "ru" if ru else "en",
                "text": f"texts/{statement_id}.txt",
            },
            "summary": (
                f"{country} готова к переговорам, но ждёт от соседей ответа на свои предложения. Она предлагает {wordings[0]}."
                if ru
                else f"{country} is ready to negotiate but expects its neighbours to answer its proposals. It proposes {wordings[0]}."
            ),
            "key_points": key_points,
            "attendees": [_person_fields(p, with_organisation=True) for p in self.attendees],
            "upcoming": upcoming,
            "proposals": proposals,
            "tags": rng.sample(TAGS, rng.randint(2, 4)),
            "comment": (
                "Ответ соседей пока не получен; вероятно встречное предложение по месту секретариата."
                if ru
                else f"{self.other.en} has not answered yet; expect a counter-proposal before the meeting."
            ),
        }
        return statement_id, data, text


def _person_fields(who: Person, *, with_organisation: bool) -> dict:
    fields = {"name": who.name, "role": who.role}
    if who.country:
        fields["country"] = who.country
    if with_organisation and who.organisation:
        fields["organisation"] = who.organisation
    return fields


class _Dumper(yaml.SafeDumper):
    """A YAML writer that writes a repeated value out in full: briefgen refuses aliases."""

    def ignore_aliases(self, data) -> bool:
        return True


def _dump(data: dict) -> str:
    return yaml.dump(data, Dumper=_Dumper, allow_unicode=True, sort_keys=False, width=100, default_flow_style=False)


def generate_workspace(target: Path, count: int, *, seed: int = 1) -> list[str]:
    """Write a workspace of ``count`` fictional statements and a pack over them into ``target``; return the ids."""
    texts = target / "sources" / "texts"
    texts.mkdir(parents=True, exist_ok=True)
    ids = []
    for index in range(count):
        statement_id, data, text = _Statement(seed, index).build()
        (texts / f"{statement_id}.txt").write_text(text, encoding="utf-8")
        header = "# Generated by bench/generate.py: every name, place and statement is invented.\n"
        (target / "sources" / f"{statement_id}.yaml").write_text(header + _dump(data), encoding="utf-8")
        ids.append(statement_id)
    pack = {
        "title": "Riverside states: benchmark pack",
        "subtitle": f"{count} invented statement{'s' * (count != 1)} on the rivers of Veloria and its neighbours",
        "meeting": {"name": "Summit of the riverside states", "date": MEETING, "location": "Port Ardent"},
        "prepared_by": "Benchmark desk",
        "prepared_for": "The Minister",
        "classification": "OFFICIAL",
        "statements": ["sources/*.yaml"],
        "order": "date",
        "formats": ["docx", "pdf", "ics"],
    }
    (target / "briefing.yaml").write_text("# Generated by bench/generate.py: an invented pack.\n" + _dump(pack), encoding="utf-8")
    return ids


def main() -> None:
    """Write a generated workspace where the command line says."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("target", type=Path, help="folder to write the workspace into (created if missing)")
    parser.add_argument("--count", type=int, default=10, help="number of statements (default 10)")
    parser.add_argument("--seed", type=int, default=1, help="seed of the generator (default 1)")
    args = parser.parse_args()
    ids = generate_workspace(args.target, args.count, seed=args.seed)
    print(f"wrote {len(ids)} statements and briefing.yaml to {args.target}")


if __name__ == "__main__":
    main()
