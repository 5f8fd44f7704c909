"""Attribution: who says what in one sentence.

A ``Sentence`` finds the speakers it names (``speakers.speaker_mentions``), takes out claims by
others quoted in passing ("Russia's claims of a pull-back", "claims made by the Kremlin that it
was pulling back"), pairs reporting verbs with speakers ("X said", "according to X", '"...,"
said X', "..., saying"), resolves pronouns and "the group" against earlier speakers
(``Discourse``), gives each attribution its words, and drops a speaker nested inside another's
words (a newspaper relaying a named source gives way to the source). It also finds the date of
each statement ("said on Friday", "Earlier Wednesday,", "a day after").
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date, timedelta

from forcewatch.claims import lexicon as lx
from forcewatch.claims.dates import anchor_offset_days, find_dates
from forcewatch.claims.model import ClaimKind
from forcewatch.claims.reading import OPERATIONAL_KINDS, find_triggers
from forcewatch.claims.speakers import (
    BY_MOD,
    FEMALE_SPEAKERS,
    RU_MOD,
    UA_MOD,
    SpeakerEntry,
    canonical_speaker,
    entry_for,
    lookup_speaker,
    speaker_mentions,
)
from forcewatch.claims.text import fold


@dataclass(frozen=True)
class Speaker:
    """A resolved speaker: canonical name, the words used, role and side (see speakers.py)."""

    canonical: str
    raw: str
    role: str
    side: str | None
    military_voice: str | None = None
    resolved: bool = False  # reached through a pronoun or "the group"

    def name_for(self, kind: ClaimKind) -> str:
        """Canonical name; a state's operational claims go to its defence ministry."""
        if self.military_voice and kind in OPERATIONAL_KINDS:
            return self.military_voice
        return self.canonical


def _speaker(entry: SpeakerEntry, raw: str) -> Speaker:
    return Speaker(entry.canonical, raw, entry.role, entry.side, entry.military_voice)


_ADVERBS = (
    r"has|have|had|also|later|previously|repeatedly|again|publicly|reportedly|separately|further"
    r"|now|still|privately|openly|and"
    r"|then|once|yesterday|today|earlier|recently|already|too|would|will|did|does"
    r"|on\s+\w+day(?:\s+and\s+\w+day)?"
    r"|\w+day|last\s+\w+|this\s+\w+|taken|captured|released|published|collected|acquired"
    r"|on\s+[A-Z][a-z]{2,8}\.?\s+\d{1,2}(?:st|nd|rd|th)?|on\s+\d{1,2}\s+[A-Z][a-z]{2,8}"
    r"|obtained|(?:dated\s+|taken\s+|from\s+)(?:on\s+)?(?:[A-Z][a-z]{2,8}\.?\s+\d{1,2}"
    r"(?:st|nd|rd|th)?|\d{1,2}\s+[A-Z][a-z]{2,8}|\w+day)"
)
# "X, who ..., said", "X, speaking in Kyiv, said", "The group, a Russian team of investigators,"
_APPOSITIVE = (
    r"\s*,\s*(?:(?:who|which|speaking|writing|talking|addressing|appearing)\b|(?:an?|the)\s"
    # "Kioumars Heydari, commander of the Ground Force of the Army of Iran, announced"
    r"|(?:commander|head|chief|director|spokes(?:man|woman|person)|deputy|leader|chairman"
    r"|governor|mayor)\s+of\s)"
    r"[^,\"]{0,120},"
)
# "A US official who spoke on condition of anonymity said": a relative clause without commas;
# "CSIS analysis of commercial imagery found": the speaker's own work
_WHO = r"\s+who\s+[^,\"]{1,80}?"
_WORK = (
    r"(?:'s)?\s+(?:new\s+|latest\s+)?(?:analysis|report|study|assessment|review)"
    r"(?:\s+of\s+[^,\"]{1,60}?)?"
)
_GAP = re.compile(
    # "The Russian Defence Ministry (MoD) said": a short aside in brackets
    rf"^(?:\s*\([A-Za-z][\w.&' -]{{0,30}}\))?(?:{_APPOSITIVE}|{_WHO}|{_WORK})?[\s,]*"
    rf"(?:(?:{_ADVERBS})[\s,]+)*$",
    re.IGNORECASE,
)
_WHO_CLAUSE = re.compile(r",\s*(?:who|which)\b[^,]{0,80},", re.IGNORECASE)
_APPOSITION = re.compile(rf"{_APPOSITIVE}[\s,]*(?:(?:{_ADVERBS})[\s,]+)*$", re.IGNORECASE)
_RELATIVE_GAP = re.compile(r"^\s+(?:[\w']+\s+){0,4}(?:that|which)\s+$", re.IGNORECASE)
_PRONOUN = re.compile(r"(?:\b(?P<w>he|she|they|it)|^\W*(?P<one>one|another))\s*$", re.IGNORECASE)
_ANAPHOR_WORDS = (
    r"group|firm|company|tank|report|statement|officials?|ministry|minister"
    r"|spokes(?:man|woman|person)|analysts?|researchers|agency|president|secretary|diplomat|envoy"
    r"|ambassador|commander|general|sources?|leader|latter|press\s+service|service"
)
_ANAPHOR = re.compile(
    r"\bthe\s+(?:(?:consulting|research|analytical|think|defen[cs]e|foreign|military|intelligence"
    rf"|senior|same|prime|deputy|interior|former|retired|top)\s+)?(?P<w>{_ANAPHOR_WORDS})\s*$",
    re.IGNORECASE,
)
_ROLE_WORD = (
    r"officials?|spokes(?:man|woman|person)|analysts?|experts?|sources?|diplomats?|researchers?"
    r"|ministry|government|agency|observers|officers?|commanders?|minister|secretary|general"
    r"|ambassador|envoy|adviser|advisor|director|leader|president|chancellor"
    r"|(?:intelligence|press|security|border(?:\s+guard)?)\s+service|border\s+guards?|directorate"
    r"|army|navy|military|armed\s+forces"
    r"|headquarters|residents|witnesses|eyewitnesses|locals|villagers|channels|media|monitors"
    r"|bloggers|activists"
)
_NAMED_AFTER = re.compile(
    r"^\s*(?:the\s+)?(?P<sp>(?-i:[A-Z])(?:[\w'&\u2019-]|\.(?=\w|\s+(?-i:[A-Z])))*(?:\s+"
    r"(?:(?:of|for|and)\s+(?:the\s+)?)?(?-i:[A-Z])(?:[\w'&\u2019-]|\.(?=\w|\s+(?-i:[A-Z])))*)"
    r"{0,5})(?=\s*(?:[,.;:)]|$))",
    re.IGNORECASE,
)
# "according to X", and a report's shorthand ", per US DoD."
_ACCORDING = re.compile(r"according|per$", re.IGNORECASE)
# "Finnish broadcaster Yle reported": a news organisation named after what it is
_MEDIA_NAMED = re.compile(
    r"(?:^|[\s,])(?:[A-Z][\w-]+\s+)?(?:public\s+|state\s+|state-run\s+|private\s+)?"
    r"(?:broadcaster|newspaper|daily|weekly|tabloid|news\s+agency|agency|news\s+site|website"
    r"|channel|network|outlet|portal|radio|television|TV\s+channel)\s+"
    r"(?P<name>(?-i:[A-Z])[\w.&'-]*(?:\s+(?-i:[A-Z])[\w.&'-]*){0,3})\s*$",
    re.IGNORECASE,
)
# "the press service of the People's Militia of the Donetsk People's Republic (DPR)": the body
_PRESS_SERVICE = re.compile(
    r"(?:\bthe\s+)?\bpress\s+(?:service|office|centre|center)\s+of\s+(?:the\s+)?"
    r"(?P<org>(?-i:[A-Z])[^,;\"()]{2,90}?)(?:\s*\([A-Z]{2,8}\))?\s*$",
    re.IGNORECASE,
)
_GENERIC = re.compile(
    rf"(?P<sp>(?:(?:the|a|an|one|two|several|some)\s+)?(?:(?:[A-Z][\w.'-]*|senior|top|former"
    rf"|military|intelligence|defen[cs]e|foreign|security|government|administration|independent"
    rf"|armed|forces|deputy|prime|chief|national|state|interior|western|european|local|regional"
    rf"|opposition|pro-[\w-]+|social|news"
    # "Minister of National Defence Arvydas Anusauskas", "Head of the Presidential Office ..."
    rf"|(?-i:of)(?:\s+the)?(?=\s+[A-Z])"
    rf"|{_ROLE_WORD})\s+)"
    rf"{{0,6}}(?:[A-Z][\w'-]+|{_ROLE_WORD}))\s*$"
)
_CLOSE_TO = re.compile(
    r"(?:^|[\s,])(?P<sp>(?:(?:a|one|two|several|some)\s+)?(?:[\w-]+\s+)?(?:sources?|people|insiders?"
    r"|officials?)\s+(?:close\s+to|familiar\s+with|briefed\s+on|inside|within)\s+(?:the\s+)?"
    r"(?:[\w'-]+\s+){0,4}[\w'-]+)\s*$",
    re.IGNORECASE,
)
_WORK_BY = re.compile(
    r"\b(?:(?:images|imagery|pictures|photos|photographs|footage)\s+(?:[\w-]+\s+){0,3}?"
    r"(?:analy[sz]ed|reviewed|obtained|provided|published|released|collected|examined)"
    r"|(?:report|study|analysis|assessment|paper|review)s?)\s+(?:by|from)\s+(?:the\s+)?"
    r"(?P<who>[A-Za-z][^,;\"]{2,80}?)\s*$",
    re.IGNORECASE,
)
_NOT_SPEAKER = re.compile(
    r"^(?:it|this|that|there|these|those|the|a|an|we|i|you|he|she|they|but|and|however|earlier"
    r"|monday|tuesday|wednesday|thursday|friday|saturday|sunday|january|february|march|april|may"
    r"|june|july|august|september|october|november|december)$",
    re.IGNORECASE,
)
_ANAPHOR_ROLES = {
    "group": ("analyst", "body"), "firm": ("analyst", "body"), "company": ("analyst", "body"),
    "tank": ("analyst",), "report": ("analyst", "media"), "statement": ("body", "state"),
    "official": ("anonymous",), "officials": ("anonymous",), "source": ("anonymous",),
    "sources": ("anonymous",), "ministry": ("body",), "analyst": ("analyst", "anonymous"),
    "press service": ("body",),
    "analysts": ("analyst", "anonymous"), "researchers": ("analyst",), "agency": ("body",),
    "he": ("person",), "she": ("person",), "they": ("anonymous", "state", "body", "analyst"),
    "it": ("body", "state", "analyst", "media"),
    "latter": ("state", "body", "person", "anonymous"),
    "one": ("anonymous",), "another": ("anonymous",),  # '"...," one said': one of the officials
}  # fmt: skip


@dataclass
class Attribution:
    speaker: Speaker
    left: int  # leftmost character of speaker and verb
    right: int  # rightmost character of speaker and verb
    verb: str
    verb_start: int
    verb_end: int
    backward: bool = False  # the speaker's words precede the attribution
    content: tuple[int, int] = (0, 0)
    antecedent: str = ""
    prefix: tuple[int, int] | None = None  # words before the speaker, for '"A," X said, "B."'
    dropped: bool = False
    inherited: bool = False  # "..., saying": the speaker of the previous attribution


@dataclass
class Embedded:
    """A claim quoted in passing: "Russia's claim of a pullback" (``speaker`` None: "reports of
    a return to barracks"); ``refuted`` when the sentence calls it untrue or not supported."""

    speaker: Speaker | None
    start: int
    end: int
    body: str
    refuted: bool = False


@dataclass
class Discourse:
    """What earlier sentences of the article tell about speakers: who was named (for "he",
    "the group"), and the last analyst whose imagery "the images" may be."""

    published_on: date
    history: list[Speaker] = field(default_factory=list)
    last_analyst: Speaker | None = None
    last_speaker: Speaker | None = None  # of the previous sentence, for a quotation going on


_DEFENCE_MINISTRY = {"russia": RU_MOD, "belarus": BY_MOD, "ukraine": UA_MOD}


_ORGANISATION = re.compile(
    r"\b(?:Institute|Institution|Center|Centre|University|Council|Foundation|Group|Team|Agency"
    r"|Society|Forum|Project|Labs?|Network|Committee|Commission|Service|Directorate|Command)\b"
)
_PERSON_NAME = re.compile(r"^[A-Z][\w'.-]+(?:\s+[A-Z][\w'.-]+){1,3}(?:,\s|$)")


def _unknown(raw: str, canonical: str | None = None) -> Speaker:
    """A speaker the table does not hold, named from the article's words: a person when the
    name is a person's ("William Burns, CIA Director", so that a later "he" can reach them),
    anonymous for "a Western diplomat", else generic ("local residents")."""
    if canonical is None and _ORGANISATION.search(raw) and raw[:1].isupper():
        # "Royal United Services Institute", as written
        canonical = re.sub(r"^(?:the|a|an)\s+", "", " ".join(raw.split()), flags=re.IGNORECASE)
    canonical = canonical or canonical_speaker(raw)
    if canonical.endswith("(anonymous)"):
        role = "anonymous"
    elif _PERSON_NAME.match(canonical) and not re.search(
        rf"\b(?:{_ROLE_WORD})\b", canonical.split(",")[0], re.IGNORECASE
    ):
        role = "person"
    else:
        role = "generic"
    return Speaker(canonical, raw, role, None)


# A UN meeting record: "Mr. NEBENZIA (Russian Federation) said"
_DELEGATE = re.compile(
    r"(?:^|[\s,;])(?:Mr|Ms|Mrs|Dr|Madam|Sir)\.?\s+(?P<name>[A-Z][A-Za-z'-]+(?:\s+[A-Z][A-Za-z'-]+)?)"
    r"\s*\((?P<country>[A-Z][^()]{2,40})\)\s*$"
)
# "LINDA THOMAS-GREENFIELD (United States) said", "Sergiy Kyslytsya (Ukraine) said": a
# meetings record names delegates with their country in brackets, titles or not
_DELEGATE_NAMED = re.compile(
    r"(?:^|[\s,;])(?P<name>[A-Z\u00c0-\u00de][\w'\u2019-]+(?:\s+(?:(?:de|da|del|van|von|al|el|DE"
    r"|DA|DEL|VAN|VON|AL|EL)\s+)?[A-Z\u00c0-\u00de][\w'\u2019-]+){1,3})"
    r"\s*\((?P<country>[A-Z][a-z][^()]{2,40})\)\s*$"
)
# capitals that stand for their governments ("Warsaw said"), unless they are where one is
_CAPITALS = frozenset(
    [c for _, _, c in (*lx.OTHER_STATES, *lx.ALLIED_STATES)]
    + ["Moscow", "Kyiv", "Kiev", "Minsk", "Washington", "London"]
)
_LOCATIVE_END = re.compile(
    r"\b(?:in|at|from|into|near|outside|around|across|through|via|toward|towards)\s+(?:the\s+)?$",
    re.IGNORECASE,
)
_COUNTRY_SIDE = {
    "russian federation": "russia", "russia": "russia", "united states": "us",
    "united states of america": "us", "ukraine": "ukraine", "belarus": "belarus",
    "united kingdom": "uk",
}  # fmt: skip


def _delegate(name: str, country: str) -> Speaker:
    """A delegate named in a UN record, with the country in brackets."""
    raw = name.title() if name.isupper() else name
    known = lookup_speaker(raw)
    if known is not None and known.role == "person":
        return Speaker(known.canonical, f"{name} ({country})", "person", known.side)
    side = _COUNTRY_SIDE.get(" ".join(country.lower().split()))
    return Speaker(f"{raw}, representative of {country}", f"{name} ({country})", "person", side)


def _military_voice(speakers: Sequence[Speaker]) -> Speaker | None:
    """The defence ministry speaking for the latest of ``speakers`` that has one."""
    for sp in reversed(speakers):
        if sp.military_voice:
            return Speaker(sp.military_voice, sp.raw, "body", sp.side, None, True)
    return None


def _pronoun_fits(word: str, sp: Speaker) -> bool:
    """ "she" is not a man of the speaker table, "he" not one of its women; people named from
    the article's words fit either."""
    if word not in ("he", "she"):
        return True
    known = entry_for(sp.canonical)
    if known is None:
        return True
    return (word == "she") == (known.canonical in FEMALE_SPEAKERS)


def _resolve(
    word: str, history: Sequence[Speaker], local: Sequence[Speaker] = ()
) -> Speaker | None:
    """The earlier speaker a pronoun or "the group" refers to: the latest of a fitting role.
    "The ministry" with no ministry before it is the defence ministry of the latest state; a
    state named earlier in the same sentence (``local``: "In Belarus, ... the defence ministry
    said") comes first."""
    word = " ".join(word.lower().split())
    if word == "ministry" and (voice := _military_voice(local)) is not None:
        return voice
    if word not in _ANAPHOR_ROLES or word in ("official", "officials", "analyst", "analysts"):
        # "the diplomat", "the spokesman": the latest speaker described with that word
        for sp in reversed(history):
            if re.search(rf"\b{re.escape(word)}\b", f"{sp.raw} {sp.canonical}", re.IGNORECASE):
                return Speaker(sp.canonical, sp.raw, sp.role, sp.side, sp.military_voice, True)
    roles = _ANAPHOR_ROLES.get(word, ("person", "body", "state", "analyst", "anonymous"))
    for role in roles:
        for sp in reversed(history):
            if sp.role == role and (word != "ministry" or "Ministry" in sp.canonical):
                if not _pronoun_fits(word, sp):
                    continue
                return Speaker(sp.canonical, sp.raw, sp.role, sp.side, sp.military_voice, True)
    if word in ("ministry", "statement"):
        return _military_voice(history)
    return None


class Sentence:
    """One sentence: its mentions, claims quoted in passing, attributions and claims."""

    def __init__(self, original: str, discourse: Discourse) -> None:
        self.orig = original
        self.text = fold(original)
        self.discourse = discourse
        self.mentions = self._known_mentions()
        self.embedded: list[Embedded] = []
        self.atts: list[Attribution] = []

    def _known_mentions(self) -> list[tuple[int, int, Speaker]]:
        merged: list[tuple[int, int, SpeakerEntry]] = []
        for m in speaker_mentions(self.text):
            if self.text[m.start : m.end] in _CAPITALS and _LOCATIVE_END.search(
                self.text[: m.start]
            ):
                continue  # "Russia's embassy in Warsaw said": a place, not the Polish government
            if (
                merged
                and merged[-1][2] is m.entry
                and not self.text[merged[-1][1] : m.start].strip(" ,(")
            ):  # "Ukraine's military intelligence agency (HUR)": one mention
                end = m.end + (self.text[m.end : m.end + 1] == ")")
                merged[-1] = (merged[-1][0], end, m.entry)
            else:
                merged.append((m.start, m.end, m.entry))
        return [(s, e, _speaker(entry, self.orig[s:e])) for s, e, entry in merged]

    def _history_before(self, pos: int) -> list[Speaker]:
        return self.discourse.history + self._local(pos)

    def _local(self, pos: int) -> list[Speaker]:
        """Speakers named in this sentence before ``pos``."""
        return [sp for s, e, sp in self.mentions if e <= pos and sp.role not in ("imagery",)]

    def _local_states(self, pos: int) -> list[Speaker]:
        """Speakers and states (also as places: "In Belarus, ...") named in this sentence
        before ``pos``, in order: whose "the defence ministry" it may be."""
        hits = [(s, sp) for s, e, sp in self.mentions if e <= pos and sp.role != "imagery"]
        for force, rx in lx.STATE_RX:
            if (ministry := _DEFENCE_MINISTRY.get(force.value)) is None:
                continue
            for m in rx.finditer(self.text[:pos]):
                hits.append(
                    (m.start(), Speaker(ministry, m.group(0), "state", force.value, ministry))
                )
        return [sp for _, sp in sorted(hits, key=lambda h: h[0])]

    def _mask(self, start: int, end: int) -> None:
        self.text = self.text[:start] + " " * (end - start) + self.text[end:]

    # claims by others quoted in passing ------------------------------------------------------
    _NOUN = (
        r"(?:claims?|announcements?|assertions?|statements?|reports?|assurances?|insistence"
        r"|promises?|pledges?|vows?|talk)"
    )
    _HEDGE = (
        r"(?:purported|claimed|alleged|announced|so-called|supposed|declared|promised|reported"
        r"|stated|partial|troop|military|full|latest|earlier|recent|(?:mon|tues|wednes|thurs|fri"
        r"|satur|sun)day|weekend|new)"
    )
    # "30,000" inside; a long body ends between words, not inside one
    _BODY = r"(?P<body>(?:[^,.;:\"]|(?<=\d)[,.](?=\d)){3,120}\b)"
    _POSSESSIVE = re.compile(
        rf"^'s\s+(?:{_HEDGE}\s+){{0,3}}(?:(?P<wd>withdrawal|pull-?\s?back|pull-?out|drawdown"
        rf"|de-?escalation)(?:\s+(?:announcement|claims?|plans?))?|{_NOUN}(?:\s+(?:made\s+)?"
        rf"(?:that|of|about|to)\s+{_BODY})?)",
        re.IGNORECASE,
    )
    _BY = re.compile(rf"{_NOUN}\s+(?:made\s+)?by\s+$", re.IGNORECASE)
    _BY_BODY = re.compile(rf"^\s+(?:that|of)\s+{_BODY}", re.IGNORECASE)
    _ADJECTIVAL = re.compile(
        rf"\bthe\s+(?P<adj>Russian|Belarusian|Kremlin|Moscow)\s+{_NOUN}\s+(?:that|of)\s+{_BODY}"
    )
    _UNOWNED = re.compile(
        rf"\b(?:(?:make|made|making)\s+)?(?P<noun>claims?|assertions?|assurances?|reports?"
        r"|announcements?|talk|suggestions?|publications?|stories|allegations?|rumou?rs?"
        r"|information|posts|videos|footage|messages|speculation)"
        # "publications in a number of foreign mass media about the transfer of ..."
        r"(?:\s+(?:in|by)\s+(?:[\w-]+\s+){1,6}?(?:media|press|outlets|newspapers|channels))?"
        # "information spread by the enemy about ...", "reports circulating on social media that"
        r"(?:\s+(?:spread|disseminated|circulat(?:ing|ed)|published|posted|shared|appearing"
        r"|going\s+around)(?:\s+(?:by|in|on|across|online)(?:\s+[\w'-]+){0,5}?)?)?"
        r"\s+(?:about|of|that)\s+"
        rf"{_BODY}",
        re.IGNORECASE,
    )
    _LATTER = re.compile(r"\bthe\s+latter(?='s)", re.IGNORECASE)

    def find_embedded(self) -> None:
        owners = [
            (s, e, sp) for s, e, sp in self.mentions if sp.role in ("state", "body", "person")
        ]
        for m in self._LATTER.finditer(self.text):
            ref = _resolve("latter", self._history_before(m.start()))
            if ref is not None:
                owners.append((m.start(), m.end(), ref))
        for start, end, sp in owners:
            tail = self.text[end:]
            if (poss := self._POSSESSIVE.match(tail)) is not None:
                body = poss.group("wd") or poss.group("body") or ""
                stop = end + poss.end()
                at = end + poss.start("body") if poss.group("body") else stop
                false = lx.FALSE_PREDICATE.search(self.text, at, stop + 30)
                if poss.group("body") and false is not None and false.start() < stop:
                    # "Russia's claim that it is withdrawing was false": the verdict is not
                    # part of the claim, it is the speaker's
                    body, stop = self.text[at : false.start()], false.start()
                self._add_embedded(sp, start, stop, body)
            elif (by := self._BY.search(self.text[:start])) and (b := self._BY_BODY.match(tail)):
                self._add_embedded(sp, by.start(), end + b.end(), b.group("body"))
        for m in self._ADJECTIVAL.finditer(self.text):
            adj = {"Russian": "Russia", "Moscow": "Moscow", "Kremlin": "the Kremlin"}.get(
                m.group("adj"), "Minsk"
            )
            found = speaker_mentions(adj)
            if found:
                sp = _speaker(found[0].entry, " ".join(m.group(0).split()[:3]))
                self._add_embedded(sp, m.start(), m.end(), m.group("body"))
        for m in self._UNOWNED.finditer(self.text):
            denied = re.search(rf"\b(?:{lx.DENIAL_VERBS})\s+$", self.text[: m.start()], re.I)
            if not find_triggers(m.group("body")) or denied is not None:
                continue  # "rejected claims that it was massing troops": left to the denial
            at = m.start("body")
            false = lx.FALSE_PREDICATE.search(self.text, at, m.end() + 30)
            if false is not None and false.start() < m.end() + 2:
                # "reports of a return to barracks were not borne out": no owner, but refuted
                self._add_embedded(None, m.start(), false.start(), self.text[at : false.start()])
            elif m.group("noun").lower().startswith(("claim", "assertion", "assurance")):
                self._mask(m.start(), m.end())  # (reports and announcements stay: "reports
                # that troops were moving were accurate" asserts the movement)
        for e in self.embedded:
            after = self.text[e.end : e.end + 40]
            e.refuted = bool(
                lx.REFUTES.search(self.text[: e.start]) or lx.FALSE_PREDICATE.match(after)
            )

    def _add_embedded(self, sp: Speaker | None, start: int, end: int, body: str) -> None:
        if any(e.start <= start < e.end for e in self.embedded):
            return
        self.embedded.append(Embedded(sp, start, end, body))
        self._mask(start, end)
        self.mentions = [(s, e, m) for s, e, m in self.mentions if e <= start or s >= end]

    # attributions -------------------------------------------------------------------------------
    def _speaker_before(self, pos: int, verb: str) -> tuple[int, Speaker] | None:
        before = self.text[:pos]
        evidence = bool(lx.EVIDENCE_VERB.match(verb))
        shows = bool(lx.SHOW_VERB.match(verb))
        stripped = re.sub(rf"(?:[\s,]+(?:{_ADVERBS}))*[\s,]*$", "", before, flags=re.IGNORECASE)
        if (un := _DELEGATE.search(stripped)) is not None:  # "Mr. NEBENZIA (Russian Federation)"
            return un.start(), _delegate(un.group("name"), un.group("country"))
        aside = _APPOSITION.search(before)  # "SERGIY KYSLYTSYA (Ukraine), speaking ..., said"
        delegate = _DELEGATE_NAMED.search(before[: aside.start()] if aside else stripped)
        if delegate is not None and not _ORGANISATION.search(delegate.group("name")):
            return delegate.start("name"), _delegate(delegate["name"], delegate["country"])
        if (close := _CLOSE_TO.search(stripped)) is not None:  # "Sources close to the army"
            raw = close.group("sp")
            return close.start("sp"), Speaker(f"{raw} (anonymous)", raw, "anonymous", None)
        appos = _APPOSITION.search(before)  # "X, speaking in Kyiv on Jan. 28, said"
        # "imagery analysed by researchers at X shows", "a report by X found": X is the source
        # (not a description's: "Hajun, a project that relies on reports from residents, said")
        work = _WORK_BY.search(stripped)
        if work is not None and (appos is None or work.start() < appos.start()):
            start, end = work.span("who")
            known = [(s, sp) for s, e, sp in self.mentions if start <= s and e <= end]
            if known:
                return known[0]
            who = work.group("who")  # "researchers at the Middlebury Institute" as written
            return start, _unknown(who, who[0].upper() + who[1:] if who[0].islower() else None)
        # "X, speaking in Kyiv on Jan. 28, said": the speaker is before the apposition
        for s, e, sp in reversed(self.mentions):
            if appos is not None and e > appos.start():
                continue
            if e > pos:
                continue
            gap = before[e:]
            if _GAP.match(gap) or (evidence and _RELATIVE_GAP.match(gap)):
                if shows and sp.role not in ("imagery", "analyst", "anonymous", "body"):
                    return None
                if sp.role == "imagery":
                    sp = self._imagery_source(sp, e)
                for s2, e2, person in self.mentions:  # "Konrad Muzyka of Rochan said": Muzyka
                    if person.role == "person" and re.fullmatch(
                        r"\s+(?:of|at|from)\s+(?:the\s+)?", self.text[e2:s]
                    ):
                        return s2, person
                return s, sp
            break
        # "The official, who spoke on condition of anonymity, said": the official
        core = stripped[: appos.start()] if appos is not None else stripped
        # "A senior Western diplomat in Belgrade, who ..., said": where the speaker is
        core = re.sub(
            r"\s+(?:in|at|from|based\s+in)\s+(?:the\s+)?[A-Z][\w'\u2019-]+(?:\s+[A-Z][\w'\u2019-]+)?$",
            "",
            core,
        )
        for rx in (_ANAPHOR, _PRONOUN):
            if (m := rx.search(core)) is not None:
                word = m.group("w") or m.group("one")
                subject = self._ministry_subject() if word.lower() == "it" else None
                if subject is not None and subject[0] < m.start():
                    return m.start(), subject[1]  # "The ministry released footage it said ..."
                if word.lower() in ("report", "statement") or verb.lower() != "read":
                    ref = _resolve(
                        word, self._history_before(m.start()), self._local_states(m.start())
                    )
                    if ref is not None and not (shows and ref.role == "person"):
                        return m.start(), ref
                    described = m.group(0).split()
                    anonymous = re.fullmatch(  # "the official said", nobody named before
                        r"officials?|diplomats?|sources?|insiders?|officers?", described[-1], re.I
                    )
                    if ref is None and (len(described) > 2 or anonymous) and not shows:
                        raw = " ".join(described)  # "the defence ministry", nobody before it
                        return m.start(), _unknown(raw)
                return None
        if verb.lower() == "read" or shows:
            return None
        named = self._described_name(stripped)
        if named is not None:
            return named
        if (media := _MEDIA_NAMED.search(stripped)) is not None:
            return media.start("name"), _unknown(media.group("name"))
        if (press := _PRESS_SERVICE.search(stripped)) is not None:
            return press.start(), _unknown(press.group("org"))
        # "Belarusian Hajun, a project that relies on reports from railway workers, said":
        # the speaker is the one described, not a noun of the description
        m = _GENERIC.search(core)
        if m is None:
            return None
        raw = m.group("sp")
        words = raw.split()
        if _NOT_SPEAKER.match(words[-1]) or (
            len(words) < 2 and not re.search(_ROLE_WORD, raw, re.IGNORECASE)
        ):
            return None
        if words[0].lower() in ("it", "this", "there", "that", "in", "on", "at", "from", "for") or (
            m.start() == 0 and len(words) == 1 and not re.fullmatch(_ROLE_WORD, raw, re.I)
        ):
            return None
        return m.start(), _unknown(raw)

    _DESCRIPTION = re.compile(
        rf",\s*(?:(?:an?|the)\s+(?P<desc>[^,\"]{{0,60}}?\b(?:{_ROLE_WORD}|fellow|professor|expert"
        r"|researcher)\b[^,\"]{0,60})|(?P<head>(?:head|chief|director|commander|spokes(?:man|woman)"
        r"|deputy\s+\w+)\s+of\s+[^,\"]{3,80})),?\s*$",
        re.IGNORECASE,
    )
    _RANK = re.compile(
        r"^(?:(?:Colonel|General|Lieutenant|Major|Admiral|Captain|Commander|Brigadier|Gen\.|Col\."
        r"|Lt\.|Maj\.|Adm\.|Capt\.|Mr\.?|Ms\.?|Mrs\.?|Dr\.?|Prof\.?)\s+)+(?=\S+\s+\S)"
    )
    _NAME = re.compile(r"(?:^|[^\w'-])(?P<name>[A-Z][\w'-]+(?:\s+[A-Z][\w'-]+){1,3})\s*$")

    _DESCRIBED_FIRST = re.compile(
        rf"(?:^|[\s,])(?P<desc>(?:the\s+|an?\s+|[A-Z][\w.]*'s\s+)[^,\"]{{0,60}}?\b(?:{_ROLE_WORD})\b"
        rf"[^,\"]{{0,60}}),"
        r"\s*(?P<name>[A-Z][\w'-]+(?:\s+[A-Z][\w'-]+){1,3}),?\s*$",
        re.IGNORECASE,
    )

    def _described_name(self, before: str) -> tuple[int, Speaker] | None:
        """'Michael Kofman, an analyst at CNA, said' or 'the US ambassador to the OSCE, Michael
        Carpenter, said': a name the known speakers do not hold, and who they are."""
        first = self._DESCRIBED_FIRST.search(before)
        if first is not None and not _NOT_SPEAKER.match(first.group("name").split()[0]):
            desc = re.sub(r"^(?:the|an?)\s+", "", " ".join(first.group("desc").split()), flags=re.I)
            raw = f"{first.group('name')}, {desc}"
            return first.start("desc"), _unknown(raw, raw)
        d = self._DESCRIPTION.search(before)
        if d is None:
            return None
        n = self._NAME.search(before[: d.start()])
        if n is None or _NOT_SPEAKER.match(n.group("name").split()[0]):
            return None
        name, desc = n.group("name"), " ".join((d.group("desc") or d.group("head")).split())
        name = self._RANK.sub("", name)  # "Colonel Margo Grosberg": the name is Margo Grosberg
        raw = f"{name}, {desc}"
        return n.start("name"), _unknown(raw, raw)

    def _imagery_source(self, sp: Speaker, end: int) -> Speaker:
        """Imagery "from Maxar" or "the images" after an analyst spoke: that analyst."""
        after = re.match(
            r"^\s+(?:from|by|(?:released|provided|taken|captured)\s+by)\s+", self.text[end:]
        )
        start = next(s for s, e, m in self.mentions if e == end)
        for s, e, other in self.mentions:
            if other.role != "analyst":
                continue
            if (
                (after and s == end + after.end())
                or re.fullmatch(
                    r"(?:'s)?\s*|(?:'s)?\s+(?:new\s+)?(?:analysis|review|study|assessment)\s+of\s+"
                    r"(?:the\s+)?(?:[\w-]+\s+){0,2}",  # "CSIS analysis of commercial imagery"
                    self.text[e:start],
                )
            ):
                return other
        if re.search(r"\b(?:its|their)\s+$", self.text[:start], re.IGNORECASE):
            owners = [
                o for s, e, o in self.mentions if e <= start and o.role in ("analyst", "body")
            ]
            if owners:  # "Planet Labs says its imagery shows"
                return owners[-1]
        last = self.discourse.last_analyst
        if last is not None and re.match(r"(?i)the\s", sp.raw):
            return Speaker(last.canonical, sp.raw, last.role, last.side, None, True)
        return sp

    _AFTER = re.compile(r"^\s*(?:the\s+)?")

    def _speaker_after(self, pos: int) -> tuple[int, Speaker] | None:
        """A speaker named right after ``pos``: '..., said Blinken', 'according to the ...'."""
        m = self._AFTER.match(self.text[pos:])
        at = pos + (m.end() if m else 0)
        for s, e, sp in self.mentions:
            if pos <= s <= at:
                return e, sp
        tail = self.text[pos:]
        found = re.match(
            rf"^\s*(?:(?:the\s+(?P<w>{_ANAPHOR_WORDS}))|(?P<p>he|she|they|it))\b",
            tail,
            re.IGNORECASE,
        )
        if found is not None:
            ref = _resolve(found.group("w") or found.group("p"), self._history_before(pos))
            if ref is not None:
                return pos + found.end(), ref
        by = re.match(  # "according to social media footage geolocated by ISW": ISW
            r"^\s*[^,.;\"]{0,60}?\b(?:geolocated|verified|analy[sz]ed|published|posted|released"
            r"|collected|compiled|obtained)\s+by\s+",
            tail,
            re.IGNORECASE,
        )
        if by is not None:
            for s, e, sp in self.mentions:
                if s == pos + by.end() or self.text[pos + by.end() : s].lower() == "the ":
                    return e, sp
        generic = re.match(
            rf"^\s*(?P<sp>(?:an?\s+|the\s+)?(?:[\w'-]+\s+){{0,4}}?(?:{_ROLE_WORD}))\b", tail
        )
        if generic is not None:
            raw = generic.group("sp").strip()
            return pos + generic.end(), _unknown(raw)
        # "according to Rochan Consulting", "(Swedish Armed Forces)": a name no table holds
        named = _NAMED_AFTER.match(tail)
        if named is not None and not _NOT_SPEAKER.match(named.group("sp").split()[0]):
            return pos + named.end(), _unknown(named.group("sp"))
        return None

    _QUOTATION = re.compile(r"^\s*[\"'][^\"]*[\"']\s*$")

    def _continued_quotation(self) -> None:
        """A sentence that is all quotation, right after an attributed one, is the same
        speaker's: '"We see the opposite," a diplomat said. "More are arriving."'"""
        last = self.discourse.last_speaker
        if last is not None and not self.atts and self._QUOTATION.match(self.text):
            sp = Speaker(last.canonical, last.raw, last.role, last.side, last.military_voice, True)
            end = len(self.text)
            self.atts.append(Attribution(sp, end, end, "said", end, end, backward=True))

    _LEAD = re.compile(
        r"\W*(?:(?:but|and|however|meanwhile|separately|earlier|later|on\s+\w+|late\s+on\s+\w+)"
        r"\W*)*(?:the\s+)?",
        re.IGNORECASE,
    )

    # "The ministry released footage showing ...": the footage shows what its publisher says
    _RELEASED = re.compile(
        r"\b(?:released|publishe[sd]|posted|shared|aired|distributed)\s+(?:new\s+)?(?:video\s+)?"
        r"(?:footage|videos?|images|pictures|photos|photographs)\s+$",
        re.IGNORECASE,
    )

    def _sentence_subject(self, pos: int) -> Speaker | None:
        """A speaker named at the start of the sentence, before ``pos`` and with a comma
        between: the subject that a later "..., saying" reports for."""
        if "," not in self.text[:pos] and not self._RELEASED.search(self.text[:pos]):
            return None
        for s, e, sp in self.mentions:
            if e <= pos and sp.role != "imagery" and self._LEAD.fullmatch(self.text[:s]):
                return sp
        # "It released footage showing ...": the body named in the sentence before
        pronoun = re.match(r"\W*(?P<w>it|they)\s", self.text, re.IGNORECASE)
        if pronoun is not None and self._RELEASED.search(self.text[:pos]):
            return _resolve(pronoun.group("w"), self._history_before(0), self._local_states(0))
        return None

    _QUOTED_AS = re.compile(r"\bquot(?:ed|es|ing)\s+(?P<sp>[^,;\"]{2,80}?)\s+as\s+$", re.I)

    def _speaker_in(self, start: int, end: int) -> Speaker | None:
        """The speaker named in ``text[start:end]``: a known one, "the ministry", or words."""
        for s, e, sp in self.mentions:
            if start <= s and e <= end:
                return sp
        words = self.text[start:end]
        if (m := _ANAPHOR.search(words)) is not None:
            ref = _resolve(m.group("w"), self._history_before(start), self._local_states(start))
            if ref is not None:
                return ref
        raw = " ".join(words.split())
        return _unknown(raw) if raw else None

    _ADDED_FORCES = re.compile(
        rf"^\s+(?!that\b)(?:[\"']?[\w,.-]+[\"']?\s+){{0,4}}?{lx.MILITARY_NOUN.pattern}",
        re.IGNORECASE,
    )
    _AS_CLAIMED = re.compile(r"\bas\s+(?:it|he|she|they|we|you)\s+(?:had\s+|has\s+)?$", re.I)

    def find_attributions(self) -> None:
        for m in lx.REPORTING_VERB.finditer(self.text):
            verb, vs, ve = m.group("verb"), m.start(), m.end()
            if any(e.start <= vs < e.end for e in self.embedded):
                continue
            if self._AS_CLAIMED.search(self.text[:vs]) and self.text[:vs].count('"') % 2:
                continue  # '"... not away from it, as it claimed."': a reference, not a source
            if verb.lower().startswith("add") and self._ADDED_FORCES.match(self.text[ve:]):
                continue  # 'Russia has added "several thousand" troops': not "he added"
            by = re.match(r"\s+by\s+", self.text[ve:]) if verb.lower() == "reported" else None
            if by is not None:  # "It was reported by the Interfax news agency that ..."
                found = self._speaker_after(ve + by.end())
                if found:
                    self.atts.append(Attribution(found[1], vs, found[0], verb, vs, found[0]))
                continue
            if _ACCORDING.match(verb):
                found = self._speaker_after(ve)
                if found:
                    self.atts.append(Attribution(found[1], vs, found[0], verb, vs, ve, True))
                continue
            previous = self.atts[-1] if self.atts else None
            participle = verb.lower().endswith("ing") or bool(
                re.search(r"\band\s+(?:(?:has|have|had|also)\s+)*$", self.text[:vs])
            )
            if participle and previous is not None:
                self.atts.append(
                    Attribution(previous.speaker, vs, ve, verb, vs, ve, inherited=True)
                )
                continue
            quoted = self._QUOTED_AS.search(self.text[:vs]) if verb.lower() == "saying" else None
            if quoted is not None:  # "TASS quoted the ministry as saying that ..."
                quoting = self._speaker_in(quoted.start("sp"), quoted.end("sp"))
                if quoting is not None:
                    self.atts.append(Attribution(quoting, quoted.start("sp"), ve, verb, vs, ve))
                    continue
            subject = self._sentence_subject(vs) if verb.lower().endswith("ing") else None
            if subject is not None:  # "The ministry released footage ..., saying units ..."
                self.atts.append(Attribution(subject, vs, ve, verb, vs, ve))
                continue
            before = self._speaker_before(vs, verb)
            if before is not None:
                self.atts.append(Attribution(before[1], before[0], ve, verb, vs, ve))
                continue
            if lx.INVERTIBLE.match(verb) and re.search(r"[,\"']\s*$", self.text[:vs]):
                after = self._speaker_after(ve)
                if after is not None:
                    self.atts.append(Attribution(after[1], vs, after[0], verb, vs, ve, True))

    _OBJECT = re.compile(
        r"^\s*(?:(?:reporters|journalists|parliament|lawmakers|the\s+\w+(?:\s+\w+)?|[A-Z][\w.]*"
        r"(?:\s+[A-Z][\w.]*)*)(?=[\s:,\"']))?",
    )
    _TRIVIAL = re.compile(
        r"^[\s,.:;\"'-]*(?:(?:on|in|at|during|an?|the|that|to|reporters|journalists|parliament"
        r"|earlier|later|address|interview|statement|briefing|conference|press|news|\w+day|today"
        r"|yesterday|this|last|week|morning|evening|night|news\s+agency|agency|newspaper|daily"
        r"|website|channel|broadcaster|televised|video|radio|tv|speech|remarks|appearance|meeting"
        r"|call|phone|session|hearing|summit|visit|his|her|their|its|with|after|before|a|of"
        r"|\d{1,4}(?:st|nd|rd|th)?"
        r"|[A-Z][\w.]*)(?!\w)[\s,.:;\"'-]*)*$"
    )

    # '..., the Pentagon said Thursday, while Kyiv said ...': the words before are the Pentagon's
    _AFTER_CLAUSE = re.compile(
        r",\s*(?:while|but|and|as|although|though|whereas|adding|citing|speaking|requesting"
        r"|asking|declining|who\s+(?:asked|requested|declined|spoke)"
        r"|(?:a|the)\s+(?:number|figure|total|rise|increase|jump|count|tally))\b.*$",
        re.DOTALL,
    )
    _CUT = re.compile(
        r",\s+(?:raising|prompting|sparking|fuell?ing|adding\s+to|amid|citing"
        r"|as\s+(?!many|much|well|early))\b"
    )
    _RELATIVE = re.compile(r"(?P<ante>(?:[\w'-]+\s+){0,3}[\w'-]+),?\s+(?:that|which)\s+$")
    _AUX = re.compile(r"^\s*(?:will|would|is|are|was|were|has|have|had|could|should|can|may)\b")

    def _content_start(self, a: Attribution) -> int:
        telling = a.verb.lower() in ("told", "tells", "telling", "tell", "informed", "informs")
        obj = self._OBJECT.match(self.text[a.verb_end :]) if telling else None
        return a.verb_end + (obj.end() if obj else 0)

    def assign_content(self) -> None:
        """Give each attribution its words; drop speakers nested in another's words."""
        n = len(self.text)
        for a, b in zip(self.atts, self.atts[1:], strict=False):
            # "X said (that) Y believed ...": Y speaks inside X's words; a comma or a quotation
            # mark between them ('what they say," a diplomat said') makes them two statements
            between = self.text[self._content_start(a) : b.left]
            undated = re.sub(r"\d{1,2},\s+\d{4}", "", between)  # "on February 15, 2022 that"
            nested = self._TRIVIAL.match(between) and not re.search(r"[,;:\"']", undated)
            if nested and not (a.backward or b.backward or a.dropped or b.inherited):
                self._contain(a, b)
        live = [a for a in self.atts if not a.dropped]
        for i, a in enumerate(live):
            nxt = live[i + 1].left if i + 1 < len(live) else n
            according = _ACCORDING.match(a.verb) is not None
            if according and a.left <= 3:
                comma = self.text.find(",", a.right)
                a.content, a.backward = ((comma + 1 if comma >= 0 else a.right), nxt), False
            elif according and not self._TRIVIAL.match(self.text[a.right : nxt]):
                a.prefix, a.content = (0, a.left), (a.right, nxt)
            elif a.backward:
                a.content = (0, a.left)
            else:
                start = self._content_start(a)
                after = self._AFTER_CLAUSE.sub("", self.text[start:nxt])
                # '"...," Stoltenberg told reporters ahead of a meeting of defence ministers':
                # right after a quotation, words that open no clause of their own are scenery
                scenery = re.search(r"[,.!?][\"']\s*$", self.text[: a.left]) and not re.match(
                    r"^\s*(?:that\b|:|,?\s*[\"'])", self.text[start:nxt]
                )
                # "About 2,000 troops are being deployed, he said, most of them to Poland": an
                # attribution set off by commas after a clause of its own is that clause's
                aside = (
                    re.search(r"\w,\s*$", self.text[: a.left]) is not None
                    and len(self.text[: a.left].split()) >= 5
                    and re.match(r"^\s*,\s*(?!that\b)", self.text[start:nxt]) is not None
                    and not any(b.right <= a.left for b in live[:i])
                    # (not a lead: "Over the past several days, the President pointed out,
                    # Kyiv had concentrated ...": the claim comes after)
                    and bool(find_triggers(self.text[: a.left]))
                    and not find_triggers(self.text[start:nxt])
                )
                if self._TRIVIAL.match(after) or scenery or aside:
                    a.backward, a.content = True, (0, a.left)
                elif re.match(r"^\s*,\s*[\"']", self.text[start:nxt]) and re.search(
                    r"[\"'],?\s*$", self.text[: a.left]
                ):
                    a.prefix, a.content = (0, a.left), (start, nxt)
                else:
                    cut = self._CUT.search(self.text, start, nxt)
                    a.content = (start, cut.start() if cut else nxt)
                    rel = self._RELATIVE.search(self.text[: a.left])
                    if rel and self._AUX.match(self.text[start:nxt]):
                        a.antecedent = rel.group("ante")
                    if i == 0 and self._place_lead(a.left):
                        a.prefix = (0, a.left)  # "Near Soloti, the imagery showed ...": where
                    elif i == 0 and self._subject_lead(a.left, start, nxt):
                        a.prefix = (0, a.left)  # "Some units, the official said, are moving"
        for i, a in enumerate(live):
            if a.backward and not a.dropped:
                for b in live[:i]:
                    if not b.dropped and b.left >= a.content[0] and b.right <= a.content[1]:
                        self._contain(a, b)

    _PLACE_LEAD = re.compile(
        r"^\W*(?:in|at|near|around|outside|along|across|inside|within|close\s+to|(?:north|south"
        r"|east|west)(?:-?(?:east|west))?\s+of)\s[^\"]{0,120},\s*$",
        re.IGNORECASE,
    )

    _VERB_NEXT = re.compile(
        r"^\s*,\s*(?:are|is|were|was|have|has|had|remain\w*|continu\w*|will|would|may|might"
        r"|could|began|begin\w*|started|start\w*)\b",
        re.IGNORECASE,
    )

    def _subject_lead(self, pos: int, start: int, end: int) -> bool:
        """The speaker's words' subject stands before the attribution and their verb after it:
        "Some units, the official said, are moving closer to the border"."""
        lead = self.text[:pos]
        return (
            re.search(r"\w,\s*$", lead) is not None
            and len(lead.split()) <= 6
            and self._VERB_NEXT.match(self.text[start:end]) is not None
            and not find_triggers(lead)
            and not any(s < pos for s, _, _ in self.mentions)
        )

    def _place_lead(self, pos: int) -> bool:
        """The sentence opens with where the speaker's words apply ("At the Zyabrovka airfield
        near Gomel, the company observed ..."), with no date and no speaker in it."""
        lead = self.text[:pos]
        return (
            self._PLACE_LEAD.match(lead) is not None
            and not any(s < pos for s, _, _ in self.mentions)
            and not find_dates(lead, self.discourse.published_on)
        )

    def _contain(self, outer: Attribution, inner: Attribution) -> None:
        if outer.speaker.role == "media" and inner.speaker.role != "media":
            outer.dropped = True
        else:
            inner.dropped = True

    # dates ----------------------------------------------------------------------------------------
    _HEAD = re.compile(r"^[^\"':]{0,40}?\bthat\b")

    def _head(self, a: Attribution) -> str:
        """Words between a forward attribution's verb and its content: "said on Friday that"."""
        after = self.text[a.verb_end : a.content[1]]
        if (m := self._HEAD.match(after)) is not None:
            return m.group(0)
        first = find_dates(after[:30], self.discourse.published_on)
        return after[: first[0].end] if first and first[0].start <= 6 else ""

    _DATED_LEAD = re.compile(
        r"^\W*(?:(?:but|and|then|earlier|later|late|early)\s+)*(?:on\s+|last\s+|this\s+)?"
        r"(?:yesterday|today|\w+day|[A-Z][a-z]{2,8}\.?\s+\d{1,2}(?:st|nd|rd|th)?|\d{1,2}\s+[A-Z][a-z]{2,8})"
        r"(?:\s+(?:morning|afternoon|evening|night))?\s+(?:the\s+)?$",
        re.IGNORECASE,
    )

    def stated_dates(self) -> list[tuple[date | None, int | None]]:
        """Per attribution: the explicit date of the statement, or an offset to the next one."""
        out: list[tuple[date | None, int | None]] = []
        prev_end = 0
        for a in self.atts:
            if a.inherited and out:
                out.append(out[-1])
                continue
            if a.backward:
                later = [b.left for b in self.atts if b.left > a.right and not b.dropped]
                region = self.text[a.left : min(later, default=len(self.text))]
            else:
                lead = self.text[prev_end : a.left]
                dated_lead = self._DATED_LEAD.match(lead)  # "On Tuesday the ministry said"
                lead = lead if (re.search(r",\s*$", lead) and len(lead) <= 90) or dated_lead else ""
                region = lead + " " + self.text[a.left : a.verb_end] + self._head(a)
            region = _WHO_CLAUSE.sub(" ", region)  # "X, who met Y on Monday, said"
            found = find_dates(region, self.discourse.published_on)
            offset = None if found else anchor_offset_days(self.text[: a.left])
            out.append((found[0].day if found else None, offset))
            if not a.dropped:
                prev_end = max(prev_end, a.content[1] if not a.backward else a.right)
        for i, (day, offset) in enumerate(out):
            if day is None and offset is not None and i + 1 < len(out):
                nxt_day = out[i + 1][0]
                if nxt_day is None:
                    past = lx.PAST_VERB.search(self.atts[i + 1].verb) is not None
                    nxt_day = self.discourse.published_on - timedelta(days=1 if past else 0)
                out[i] = (nxt_day + timedelta(days=offset), None)
            elif day is None and offset is not None:
                # "Researchers documented convoys on February 16, a day after the Kremlin said
                # ...": the main clause's own date
                main = find_dates(self.text[: self.atts[i].left], self.discourse.published_on)
                if main:
                    out[i] = (main[0].day + timedelta(days=offset), None)
        return out

    # what the extractor reads -------------------------------------------------------------------
    def analyse(self) -> Sentence:
        """Find claims quoted in passing, attributions and each attribution's words."""
        self.find_embedded()
        self.find_attributions()
        self._continued_quotation()
        self.assign_content()
        return self

    def live(self) -> list[Attribution]:
        """The attributions kept after nesting, in order."""
        return [a for a in self.atts if not a.dropped]

    _PRONOUN_SUBJECT = re.compile(
        r"^\s*(?:(?:on\s+)?\w+day\s+|that\s+)*(?P<p>they)\s+(?:would|will|were|are|had|have)\b",
        re.IGNORECASE,
    )
    _NOUN_BEFORE = re.compile(
        r"\b(?:the\s+)?(?:[A-Za-z-]+\s+)?(?:exercises|drills|manoeuvres|maneuvers)\b",
        re.IGNORECASE,
    )

    def words_of(self, a: Attribution) -> str:
        """What ``a``'s speaker said: its content, with a relative clause's antecedent
        ("exercises that Minsk says will end ...") and the part of a split quotation before it."""
        c0, c1 = a.content
        content = self.text[c0:c1]
        lead = self._PRONOUN_SUBJECT.match(content)
        if lead is not None and not a.backward:
            # "The exercises were due to end ..., but Minsk said they would continue"
            nouns = list(self._NOUN_BEFORE.finditer(self.text[: a.left]))
            if nouns:
                content = content[: lead.start("p")] + nouns[-1].group(0) + content[lead.end("p") :]
        words = (a.antecedent + " " if a.antecedent else "") + content
        if a.prefix is not None:
            words = self.text[a.prefix[0] : a.prefix[1]] + " " + words
        return words

    _CLAUSE = re.compile(r";|,\s+(?:while|whereas|but)\s+|\s+-\s+(?:but\s+)?")

    def unattributed_clauses(self) -> list[str]:
        """Clauses no speaker and no quoted claim covers: the outlet's own voice."""
        free = [True] * len(self.text)
        spans = [(a.left, a.right) for a in self.live()] + [a.content for a in self.live()]
        spans += [a.prefix for a in self.live() if a.prefix is not None]
        spans += [(e.start, e.end) for e in self.embedded]
        for s, e in spans:
            free[s:e] = [False] * (e - s)
        text = "".join(c if f else "\x00" for c, f in zip(self.text, free, strict=True))
        return [
            clause
            for segment in re.findall(r"[^\x00]+", text)
            for clause in self._CLAUSE.split(segment)
            if len(clause.split()) >= 4
        ]

    _MINISTRY_SUBJECT = re.compile(r"(?:the\s+)?(?:defen[cs]e\s+)?ministry\b", re.IGNORECASE)

    def _ministry_subject(self) -> tuple[int, Speaker] | None:
        """A ministry heading the sentence ("The defence ministry released ..."), resolved."""
        lead = self._LEAD.match(self.text)
        at = lead.end() if lead else 0
        if not self._MINISTRY_SUBJECT.match(self.text, at):
            return None
        ministry = _resolve("ministry", self.discourse.history, self._local_states(at))
        return None if ministry is None else (at, ministry)

    def remember(self) -> None:
        """Add this sentence's speakers to the discourse (for later pronouns), in order: those
        it names, those its attributions reached through "he" or "the ministry", and a
        ministry heading the sentence ("The Defense Ministry released video ...")."""
        named = [(s, sp) for s, _, sp in self.mentions if sp.role != "imagery"]
        live = self.live()
        named += [(a.left, a.speaker) for a in live if a.speaker.role != "imagery"]
        subject = self._ministry_subject()
        if subject is not None and not any(s == subject[0] for s, _ in named):
            named.append(subject)
        for _, sp in sorted(named, key=lambda t: t[0]):
            self.discourse.history.append(sp)
        for a in live:
            if a.speaker.role == "analyst":
                self.discourse.last_analyst = a.speaker
        self.discourse.last_speaker = live[-1].speaker if live else None
