"""Extraction of attributed claims from scraped news text: rule-based, offline, milliseconds.

Pipeline, per article:

1. ``text.clean_paragraphs``: drop page clutter (headlines and list items without a full stop,
   "Articles You May Like" / "Trending now" lists, adverts, newsletter and cookie boxes, photo
   credits, bylines); ``text.split_sentences`` keeps multi-sentence quotations whole.
2. ``attribution.Sentence``: claims by others quoted in passing, then speakers and their words.
3. ``reading.read_content``: what each speaker's words assert; what no speaker covers is read
   as the outlet's own voice, which needs an unhedged event ("have arrived", "will be sent").
4. Dates: the date next to the attribution ("said on Friday", "Earlier Wednesday,") is
   ``stated_on``, else the date this speaker was last given in the article, else publication;
   windows follow ``model.default_window`` narrowed by the text's own dates.
5. Duplicates (same speaker, kind, number, direction) are merged, keeping the better dated.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date, timedelta

from forcewatch.claims import lexicon as lx
from forcewatch.claims.attribution import Discourse, Sentence, Speaker
from forcewatch.claims.dates import window_cues
from forcewatch.claims.model import (
    EARLIEST_DATE,
    LATEST_DATE,
    Change,
    Claim,
    ClaimKind,
    Direction,
    Force,
    claim_id,
    default_window,
)
from forcewatch.claims.reading import Reading, find_places, find_triggers, read_content
from forcewatch.claims.speakers import canonical_speaker, lookup_speaker, speaker_mentions
from forcewatch.claims.text import clean_paragraphs, split_sentences

log = logging.getLogger(__name__)

__all__ = ["DEFAULT_SITE_NAMES", "clean_paragraphs", "extract_claims", "split_sentences"]

DEFAULT_SITE_NAMES = (
    "Yelnya", "Klintsy", "Lesnovka", "Unecha", "Klimovo Air Base", "Kursk", "Pogonovo",
    "Valuyki", "Soloti", "Opuk", "Bakhchysarai", "Novoozerne", "Dzhankoi",
)  # fmt: skip
UNATTRIBUTED = "Outlet (unattributed)"
OUTLET = Speaker(UNATTRIBUTED, "", "outlet", None)
_REMEMBERED_ROLES = ("person", "body", "analyst")
_ROLE_CONFIDENCE = {
    "person": 0.8, "body": 0.8, "analyst": 0.8, "anonymous": 0.7, "state": 0.7, "media": 0.6,
    "imagery": 0.6, "generic": 0.6, "outlet": 0.5,
}  # fmt: skip
EMBEDDED_CONFIDENCE = 0.55
_DENIES_THAT = re.compile(
    r"\b(?:no\s+(?:sign|evidence|indication|proof)\s+of\s+(?:that|this|it)"
    r"|not\s+(?:yet\s+)?(?:seen|verified|confirmed)\s+(?:that|this|it|any\s+of\s+(?:that|this)))\b",
    re.IGNORECASE,
)
# '"The Russian government said yesterday it was withdrawing troops," the official said. "That
# is false."': a verdict on the claim just made, by another
_THAT_IS_FALSE = re.compile(
    r"^\W*(?:that|this|it|which)(?:'s|\u2019s|\s+is|\s+was)\s+(?:just\s+|simply\s+|completely"
    r"\s+|totally\s+|absolutely\s+|plainly\s+)?(?:false|fake|not\s+true|untrue|a\s+lie|lies"
    r"|nonsense|propaganda|wrong|fiction|a\s+fake)\W*$",
    re.IGNORECASE,
)


def _refutes_the_last(art: _Article, sp: Speaker, words: str, quote: str, conf: float) -> bool:
    """Emit ``sp``'s denial of the claim before, when ``words`` only call it false."""
    if not _THAT_IS_FALSE.match(words):
        return False
    name = sp.name_for(ClaimKind.DENIAL)
    for c, _ in art.claims[::-1][:3]:
        if c.kind is not ClaimKind.DENIAL and c.speaker != name:
            denial = _denial_of(c.kind, c.force, c.places)
            _emit(art, sp, None, denial, words, quote, conf)
            return True
    return False


# the author's own voice: "we have not seen", "our analysis shows"
_FIRST_PERSON = re.compile(
    r"(?:^|[,;:]\s*|\b(?:but|and|however|yet|so)\s+)(?:we|(?-i:I)(?:'ve|'m|'d)?"
    r"|(?:our|my)\s+(?:[\w-]+\s+){0,2}?(?:analysis"
    r"|assessment|review|investigation|research|team|reporting|findings|data|imagery|sources?"
    r"|observers|monitors|count|counts|tally|estimates?|tracking|observations|calculations))"
    r"[\s,]",
    re.IGNORECASE,
)
# a word or two in quotation marks is a term held at arm's length, not a quotation:
# 'Despite Moscow's "de-escalation" messaging, we see ...'
_SCARE_QUOTES = re.compile(r"[\"“](?:[\w'-]+\s?){1,3}[\"”]")
# a sentence that opens with a past period: "By November, officials estimated ..."
_LEAD_PERIOD = re.compile(r"^\W*(?:In|By|During)\s+[^,\"]{3,30},")
# a place named before: "at the base", "the camp has grown"
_THE_PLACE = re.compile(
    r"\b(?:the|this|that)\s+(?:(?:air|military|army)\s+)?(?:base|camp|airfield|airbase|site"
    r"|garrison|training\s+ground|field\s+camp|depot|facility|range)\b",
    re.IGNORECASE,
)
# "said X and that Y": two statements, read one by one
_PROPOSITIONS = re.compile(r",?\s+and\s+that\s+", re.IGNORECASE)
# "continuing its build-up rather than pulling forces back": the same, mid-sentence
_RATHER_THAN = re.compile(
    r"(?:^\W*|,?\s+)(?:rather\s+than|instead\s+of)\s+(?P<other>[^,;.]+)", re.IGNORECASE
)
# an answer that says no to the question before it
_NO_WE_HAVE_NOT = re.compile(
    r"^\W*(?:no\b[,.]?\s*(?:we|I)\s+(?:have\s+not|haven't|have\s+seen\s+no|do\s+not|don't)"
    r"\s+(?:seen|see)\s+(?:that|it|any(?:thing)?(?:\s+like\s+that)?)\b|no\W*$|not\s+yet\W*$)",
    re.IGNORECASE,
)
# "we see a build-up, not a retreat": the first asserted, the second denied
_NOT_THE_OTHER = re.compile(
    r",\s+(?:and\s+)?not\s+(?P<other>(?:a|an|the|any)\s+(?:[\w-]+\s+)?[\w-]+)\W*$", re.IGNORECASE
)


@dataclass
class _Article:
    """What extraction carries from sentence to sentence."""

    discourse: Discourse
    outlet: str | None
    source: str | None
    site_names: Sequence[str]
    dated: dict[str, date] = field(default_factory=dict)  # speaker -> last explicit date
    claims: list[tuple[Claim, bool]] = field(default_factory=list)  # (claim, explicitly dated)
    last_force: Force | None = None
    they_are: Force | None = None  # the forces the sentence before made a claim about
    question: str | None = None  # in a transcript, the question the current answer answers
    author: Speaker | None = None  # an opinion piece's author, whose own voice it is

    @property
    def published_on(self) -> date:
        return self.discourse.published_on


# A transcript's turn: "STOLTENBERG: We have not seen ...", "Q: Do you see that?"
_UPPER = "A-Z\u00c0-\u00d6\u00d8-\u00de\u0100-\u017f"  # Latin capitals ("KOVÁŘ"); and
# Latin Extended-A's small letters, which a label in capitals never holds (checked in _turn)
_TURN = re.compile(
    rf"^(?P<label>[{_UPPER}][{_UPPER}.'\u2019 -]{{0,40}}[{_UPPER}.]|Q|A|Question|Answer"
    r"|(?P<mixed>[A-Z\u00c0-\u00de][^\W\d_]*(?:['\u2019-][^\W\d_]+)?"
    r"(?:\s+[A-Z\u00c0-\u00de][^\W\d_]*(?:['\u2019-][^\W\d_]+)?){1,2}))"
    # "Ioana Preda (Radio Bucharest International): ...": a journalist and her outlet
    r"(?:\s*\((?P<affiliation>[^()]{1,60})\))?\s*:\s+(?=\S)"
)
# "Key Points: ...", "Related Coverage: ...": headings, not a speaker's turn
_HEADING_WORD = re.compile(
    r"\b(?:Key|Points?|Related|Coverage|Read|More|Also|Note|Editor|Update[sd]?|Latest|Live"
    r"|Breaking|Analysis|Opinion|Summary|Background|Context|Timeline|What|Why|How|Who|When"
    r"|Where|Watch|Listen|Photo|Video|Image|Caption|Source|Sources|Follow|Share|Sign|Subscribe"
    r"|Advertisement|Correction|Disclaimer|Credit|Credits|Transcript|Highlights|Quote|Day"
    r"|Time|Date|Location|Topic|Topics|Section|Part|Chapter|Step|Tags?|Posted|Published)\b"
)
_NOT_A_TURN = re.compile(
    r"^(?:BREAKING|UPDATE|UPDATED|LIVE|ANALYSIS|WATCH|READ|EXCLUSIVE|OPINION|NOTE|EDITOR'?S NOTE"
    r"|CORRECTION|PHOTOS?|VIDEO|WARNING|UPDATE \d+|ALSO READ|SEE ALSO|SOURCE|SOURCES|EDT|GMT|UTC"
    r"|THREAD|BOTTOM LINE|TL;?DR|SUMMARY|KEY POINTS|CONTEXT|BACKGROUND"
    # a news ticker's topic words: "RECAP: TWO BELARUSIAN HELICOPTERS ...", "WEATHER: ..."
    r"|RECAP|WEATHER|TRAFFIC|SPORTS?|MARKETS?|BUSINESS|ALERT|FLASH|URGENT|JUST IN|DEVELOPING"
    r"|ET|BST|CET|KYIV|MOSCOW|WASHINGTON|LONDON|BRUSSELS|MINSK"
    # a broadcast script's cues: "IN: ...", "OUT: ...", "SOT: ...", "RUNS: 2:10"
    r"|IN|OUT|INCUE|OUTCUE|SOT|VO|NAT|SOUND|CUE|RUNS|WRITER|PRODUCER|SLUG|TAG|TRT"
    # a report's topic lines: "US: arrival of 82nd Airborne elements ... complete"
    r"|US|UK|EU)$"
)
_QUESTION = Speaker("question", "", "question", None)
# "Has NATO already moved any forces to Romania?": a question asserts nothing
_ASKS = re.compile(
    r"^\W*(?:(?:and|but|so)\s+)?(?:has|have|had|is|are|was|were|do|does|did|will|would|can|could"
    r"|should|shall|may|might|what|why|how|when|where|which|who|whom|whose)\b[^?]*\?\W*$",
    re.IGNORECASE,
)
_ANSWER = Speaker("answer", "", "answer", None)  # "A:": the interviewee, whom the intro names
# "[00:12:31] MAYA OKAFOR: ...", "(14:02) Q: ...": a recording's time before the turn
_TIMESTAMP = re.compile(
    r"^[\[(]?\d{1,2}:\d{2}(?::\d{2})?[\])]?(?:\s+(?-i:GMT|UTC|CET|EET|MSK|[A-Z]{2}T))?\s+"
    r"(?:[\u25b8\u25ba\u2022\u00b7|>\u2013\u2014-]\s+)?(?=\S)"
)  # "09:15 ▸ BŁASZCZAK: ...", "13:50 GMT – US official: ..."
# "Katarzyna Wilk, a senior fellow at ...": the person an interview's intro presents
_PRESENTED = re.compile(
    r"(?:^|(?<=[.!?]\s))(?P<name>[A-Z][\w'.\u2019-]+(?:\s+[A-Z][\w'.\u2019-]+){1,2}),\s+"
    r"(?:an?|the|who)\s"
)


# "RUSSIA SAYS some of its troops ...", "IN POLAND, the Pentagon says ...": a broadcast
# script's lead-in in capitals, before the sentence goes on in lower case
_CAPS_LEAD = re.compile(
    rf"^(?P<run>[{_UPPER}][{_UPPER}'\u2019-]+(?:\s+[{_UPPER}][{_UPPER}'\u2019-]*)+)"
    r"(?P<tail>,?\s+)(?=[a-z0-9])"
)
# a sentence all in capitals (a telex, a news ticker), read as a lead-in that never ends
_ALL_CAPS = re.compile(rf"^(?=(?:[^a-z]*?[{_UPPER}]{{2,}}){{4}})(?P<run>[^a-z]+)$")
_ACRONYMS = frozenset({"NATO", "US", "UK", "EU", "UN", "OSCE", "MOD", "DPR", "LPR", "PLA", "IDF"})


def _caps_lead(sentence: str) -> str:
    """A lead-in in capitals written as prose: "RUSSIA SAYS" -> "Russia says", "IN POLAND," ->
    "In Poland,"; names (a place or a speaker) keep their capital, acronyms stay."""
    m = _CAPS_LEAD.match(sentence) or _ALL_CAPS.match(sentence)
    if m is None:
        return sentence

    def word(w: re.Match[str]) -> str:
        name = w.group(0).title()
        if w.group(0) in _ACRONYMS:
            return w.group(0)
        if w.start() == 0 or find_places(name) or lookup_speaker(name) is not None:
            return name
        return w.group(0).lower()

    out = re.sub(r"\S+", word, m["run"]) + sentence[m.end("run") :]
    return out if len(out) == len(sentence) else sentence  # ("İ".lower() is two characters)


# A year that dates what a sentence tells ("On the evening of December 24, 1979", "in the summer
# of 1994", "By the end of January 1980"), not one it compares with ("the largest since 1945")
_TOLD_YEAR = re.compile(
    r"(?:\b(?:in|on|by|of|during)\s+(?:the\s+\w+\s+of\s+|early\s+|late\s+|mid-?)?"
    r"|\b(?:January|February|March|April|May|June|July|August|September|October|November"
    r"|December)\s+(?:\d{1,2},?\s+)?|^)(?P<year>(?:19|20)\d\d)\b(?!-\d)",
    re.IGNORECASE | re.MULTILINE,
)
HISTORY_YEARS = 10  # a text told in years this far before publication is history


# A wargame or simulation told as such: its sides move troops that do not exist
_WARGAME = re.compile(
    r"\b(?:war\s?-?games?|table-?top\s+(?:exercise|game)s?|(?:red|blue)\s+(?:team|cell|player)s?"
    r"|game\s+(?:board|turn|master)|control\s+team|players|scenario|simulation)\b",
    re.IGNORECASE,
)
# ... named as one (words like "players" and "scenario" alone are any analysis's)
_WARGAME_NAMED = {
    "wargame", "wargames", "war game", "war games", "war-game", "war-games", "tabletop exercise",
    "table-top exercise", "tabletop game", "red team", "blue team", "red cell", "blue cell",
    "control team", "game turn", "game master",
}  # fmt: skip


def _told_years(text: str) -> list[int]:
    return [int(m["year"]) for m in _TOLD_YEAR.finditer(text)]


def _is_history(years: Sequence[int], published_on: date) -> bool:
    """Whether a passage told in ``years`` lies wholly before the era of imagery to test it
    against (``HISTORY_YEARS`` before publication): "On December 24, 1979, the first Soviet
    transport aircraft began landing ..." and the paragraph around it."""
    return bool(years) and max(years) <= published_on.year - HISTORY_YEARS


# "OPINION | GUEST ESSAY", "Op-Ed", "Commentary": a piece in its author's own voice
_OPINION = re.compile(
    r"\b(?:opinion|op-?ed|guest\s+essay|commentary|viewpoint|perspective|letter\s+to\s+the"
    r"\s+editor)\b",
    re.IGNORECASE,
)
_ONE_AUTHOR = re.compile(
    r"^\s*By\s+(?P<name>[A-Z][\w.'\u2019-]+(?:\s+[A-Z][\w.'\u2019-]+){1,3})\s*$", re.MULTILINE
)


def _author(text: str) -> Speaker | None:
    """The author of an opinion piece (marked so in its first lines, with a byline of one
    name): its unattributed claims are the author's, not the outlet's."""
    head = "\n".join(text.strip().splitlines()[:12])
    if _OPINION.search("\n".join(head.splitlines()[:4])) is None:
        return None
    byline = _ONE_AUTHOR.search(head)
    if byline is None:
        return None
    raw = byline["name"]
    return Speaker(raw, raw, "person", None)


# "... landed at Rzeszow on Sunday (Polish Ministry of National Defence)." : a digest names its
# source last, in parentheses
_PAREN_SOURCE = re.compile(r"\s\((?P<src>[A-Z@][^()]{1,80}?)(?:,\s*via\s+[^()]{1,40})?\)\.?\s*$")


_SAID = re.compile(
    r"\b(?:said|says|say|told|tells|according\s+to|reported|stated|announced|added|wrote"
    r"|writes|per)\b",
    re.IGNORECASE,
)


def _source_last(sentence: str) -> str:
    """A digest item's trailing "(Source)" as an attribution the reader sees: "..., according
    to Source." An acronym of the words before it ("People's Republic (DPR)") is no source."""
    m = _PAREN_SOURCE.search(sentence)
    if m is None or _SAID.search(sentence[: m.start()]):
        return sentence  # "..., says the Kremlin (TASS)": attributed already
    src = m["src"].strip()
    words = [
        w
        for w in re.findall(r"[\w'-]+", sentence[: m.start()])
        if w.lower() not in ("of", "the", "and", "for", "in", "on", "'s")
    ]
    initials = "".join(w[0] for w in words[-len(src) :]).upper()
    if src.isupper() and len(src) <= 8 and initials == src:
        return sentence  # "air defence identification zone (ADIZ)": the words' acronym
    if re.fullmatch(r"[\d\s.,%-]+|(?:see|e\.g\.|i\.e\.|photo|file|video)\b.*", src, re.I):
        return sentence
    return f"{sentence[: m.start()]}, according to {src}."


def _interviewee(intro: Sequence[str]) -> Speaker | None:
    """The person an interview's opening paragraphs present (a known speaker, else the first
    name followed by its description), who answers its "A:" turns."""
    text = " ".join(intro)
    known = [m for m in speaker_mentions(text) if m.entry.role == "person"]
    presented = _PRESENTED.search(text)
    if presented is not None and (not known or presented.start() < known[0].start):
        raw = presented["name"]
        entry = lookup_speaker(raw)
        if entry is None:
            return Speaker(canonical_speaker(raw), raw, "person", None)
        return Speaker(entry.canonical, raw, entry.role, entry.side, entry.military_voice)
    if known:
        m = known[0]
        return Speaker(m.entry.canonical, text[m.start : m.end], m.entry.role, m.entry.side)
    return None


def _turn(
    paragraph: str, history: Sequence[Speaker] = (), transcript: bool = False
) -> tuple[Speaker | None, str]:
    """The speaker of a transcript paragraph ("NAME: ...", "Sergey Lavrov: ..."), and the
    paragraph without the label; a question ("Q:") gives a speaker whose words are never read
    as claims; "THE PRESIDENT:" is the president the transcript named before (``history``).
    A name in mixed case that the speaker table does not hold is a turn only in a
    ``transcript`` (several paragraphs open with a label), not a heading ("Donetsk Region:")."""
    m = _TURN.match(_TIMESTAMP.sub("", paragraph, count=1))
    if m is None:
        return _speaker_label(paragraph)
    if _NOT_A_TURN.match(m.group("label")):
        return None, paragraph
    if not m.group("mixed") and m.group("label") != m.group("label").upper():
        return None, paragraph
    label, rest = m.group("label"), _TIMESTAMP.sub("", paragraph, count=1)[m.end() :]
    if label.lower() in ("q", "question"):
        return _QUESTION, rest
    if label.lower() in ("a", "answer"):
        return _ANSWER, rest
    raw = _as_written(label)
    entry = lookup_speaker(raw)
    if m.group("mixed") and (_HEADING_WORD.search(raw) or (entry is None and not transcript)):
        return None, paragraph
    if entry is not None:
        return Speaker(entry.canonical, raw, entry.role, entry.side, entry.military_voice), rest
    title = re.fullmatch(
        r"(?:The\s+)?(?P<t>President|Secretary|Minister|Spokes\w+|Ambassador)", raw
    )
    if title is not None:
        for sp in reversed(history):
            if sp.role == "person" and title.group("t").lower() in sp.canonical.lower():
                return Speaker(sp.canonical, raw, sp.role, sp.side, sp.military_voice, True), rest
    return Speaker(canonical_speaker(raw), raw, "person", None), rest


def _speaker_label(paragraph: str) -> tuple[Speaker | None, str]:
    """A headline's "US official: Russia has added up to 7,000 troops": a known speaker
    described in lower-case words before a colon speaks the rest."""
    text = _TIMESTAMP.sub("", paragraph, count=1)
    m = _SPEAKER_LABEL.match(text)
    if m is None:
        return None, paragraph
    label = m.group("label")
    found = [x for x in speaker_mentions(label) if x.end - x.start >= len(label) - 2]
    if not found:
        return None, paragraph
    e = found[0].entry
    return Speaker(e.canonical, label, e.role, e.side, e.military_voice), text[m.end() :]


_SPEAKER_LABEL = re.compile(
    r"^(?P<label>[A-Z][\w.'\u2019-]*(?:\s+[\w.'\u2019-]+){1,4})\s*:\s+(?=\S)"
)


# "YELNYA: The large deployment ...", "SOLOTI (near Valuyki): ...", "* Crimea: Planet imagery
# shows ...": a place (or a topic) heading its paragraph, in a release or a newsletter
_LABEL = re.compile(
    r"^(?:[-*\u2022]\s+)?(?P<label>[A-Z][\w.'\u2019 -]{0,40}?)\s*(?:\((?P<note>[^()]{1,40})\))?"
    r"\s*:\s+(?=\S)"
)
_DETERMINER_START = re.compile(
    r"^(?:The|A|An|This|These|Those|No|New|Some|Several|All|Most|More|Imagery|Images|Satellite"
    # "Crimea: Reports that additional units ...": a plain noun opening the item
    r"|Reports|Reinforcements|Troops|Units|Forces|Footage|Videos?|Photos|Columns?|Trains?"
    r"|Tanks|Vehicles|Helicopters|Ships|Soldiers|Equipment|Elements|Sources|Officials"
    r"|Residents|Locals|Witnesses|Activity|Construction|About|Around|Roughly|Nearly|Up)\b"
)


def _as_written(label: str) -> str:
    """A label in capitals as a name is written: "YELNYA" -> "Yelnya"."""
    return label.title() if label.isupper() else label


def _place_label(label: str, site_names: Sequence[str]) -> bool:
    raw = _as_written(label)
    # (a label that is a place the list knows, "YELNYA:", not one that mentions a place,
    # "From a subscriber in Shebekino:")
    return lookup_speaker(raw) is None and bool(
        find_places(raw, by_shape=False) or _sites(raw, site_names)
    )


def _headed_by_places(text: str, site_names: Sequence[str]) -> bool:
    """Whether the labels that open the text's lines are mostly places: headings of a
    release or a newsletter ("YELNYA:", "Belarus:"), not the speakers of a transcript."""
    labels = [m["label"] for line in text.splitlines() if (m := _LABEL.match(line.strip()))]
    places = sum(1 for label in labels if _place_label(label, site_names))
    return places >= 2 and 3 * places >= len(labels)


def _heading(paragraph: str, site_names: Sequence[str]) -> str:
    """A paragraph under a place heading as a sentence about that place ("YELNYA: The
    deployment remains" -> "In Yelnya, the deployment remains"); a topic heading that is no
    known speaker ("US:", "Rail:") is dropped."""
    m = _LABEL.match(paragraph)
    if m is None or m["label"] in ("Q", "A") or lookup_speaker(m["label"]) is not None:
        return paragraph
    rest = paragraph[m.end() :]
    if not _place_label(m["label"], site_names):
        return rest
    place = _as_written(m["label"])
    note = f" ({m['note']})" if m["note"] else ""
    rest = _DETERMINER_START.sub(lambda d: d.group(0).lower(), rest)
    return f"In {place}{note}, {rest}"


def _as_quoted(sentence: Sentence, clause: str) -> str:
    """``clause`` of the analysed sentence as the article wrote it (a sentence in capitals is
    analysed in lower case, "RUSSIA SAYS" as "Russia says", keeping every character's place)."""
    at = sentence.text.find(clause)
    if at < 0 or len(sentence.text) != len(sentence.orig):
        return clause
    return sentence.orig[at : at + len(clause)]


def _read_sentence(sentence: Sentence, art: _Article, voice: Speaker | None = None) -> None:
    """Claims from one analysed sentence: quoted in passing, attributed, and the words no
    speaker covers: the outlet's own voice, or in a transcript the speaker of the turn
    (``voice``)."""
    if _ASKS.match(sentence.orig):
        return
    live = sentence.live()
    dates = dict(zip(map(id, sentence.atts), sentence.stated_dates(), strict=True))
    for a in live:
        day = dates[id(a)][0]
        if day is not None and a.speaker.role in _REMEMBERED_ROLES:
            art.dated[a.speaker.canonical] = day
    embedded_kinds: dict[int, ClaimKind] = {}
    refuted: dict[int, Reading] = {}  # claims quoted in passing that the sentence calls untrue
    for e in sentence.embedded:
        reading = read_content(e.body, attributed=True, needs_military=False)
        if reading is None or reading.kind is ClaimKind.DENIAL:
            continue
        embedded_kinds[e.start] = _what_is_denied(reading)
        if e.refuted:
            refuted[e.start] = reading
        if e.speaker is None:
            continue  # "reports of a return to barracks": nobody's claim to record
        force = {"russia": Force.RUSSIA, "belarus": Force.BELARUS}.get(e.speaker.side or "")
        _emit(art, e.speaker, None, reading, e.body, sentence.orig, EMBEDDED_CONFIDENCE, force)
    for a in live:
        c0, c1 = a.content
        inside = [s for s in embedded_kinds if c0 <= s < c1]
        confidence = _ROLE_CONFIDENCE.get(a.speaker.role, 0.6) - 0.1 * a.speaker.resolved
        for words in _statements(sentence.words_of(a)):
            _read_speaker(
                art,
                a.speaker,
                words,
                sentence.orig,
                dates[id(a)][0],
                confidence,
                denial_verb=bool(lx.DENIAL_VERB.match(a.verb)),
                embedded=[embedded_kinds[s] for s in inside],
            )
        for s in inside:
            # "7,000 more troops have arrived, contradicting claims that it was pulling back":
            # an arrival, and a denial of the pull-back
            if (body := refuted.pop(s, None)) is not None:
                _refute(art, a.speaker, body, sentence.orig, dates[id(a)][0], confidence)
    if voice is _QUESTION:
        return  # a journalist's question asserts nothing
    own = voice or art.author or (Speaker(art.outlet, "", "outlet", None) if art.outlet else OUTLET)
    for body in refuted.values():  # "Our analysis does not support Moscow's claim of a pullback"
        _refute(art, own, body, sentence.orig, None, _ROLE_CONFIDENCE["outlet"])
    if voice is not None:
        confidence = _ROLE_CONFIDENCE.get(voice.role, 0.6) - 0.1
        if art.question and _NO_WE_HAVE_NOT.match(sentence.orig):
            # Q: "Are you seeing any Russian forces pulling back?" A: "No, we haven't seen that."
            asked = read_content(art.question, attributed=True, previous_force=art.last_force)
            if asked is not None and asked.kind is not ClaimKind.DENIAL:
                denial = _denial_of(_what_is_denied(asked), asked.force, asked.places)
                quote = f"Q: {art.question} A: {sentence.orig}"  # the answer alone says nothing
                _emit(art, voice, None, denial, quote, quote, confidence)
            art.question = None
            return
        for clause in sentence.unattributed_clauses():
            _read_speaker(art, voice, clause, _as_quoted(sentence, clause), None, confidence)
        return
    for clause in sentence.unattributed_clauses():
        if lx.REPORTED_SPEECH_HEDGE.search(clause):
            continue
        # "we have not seen evidence of ...": the author (a ministry's bulletin, an
        # investigators' report) speaks for itself, so its words read as a speaker's
        first_person = _FIRST_PERSON.search(clause) is not None and not re.search(
            r"[\"“]", _SCARE_QUOTES.sub("", clause)
        )
        reading = read_content(
            clause, attributed=first_person, previous_force=art.last_force, they_are=art.they_are
        )
        if reading is not None:
            quote = _as_quoted(sentence, clause)
            _emit(art, own, None, reading, clause, quote, _ROLE_CONFIDENCE["outlet"])
        else:
            _refutes_the_last(art, own, clause, sentence.orig, _ROLE_CONFIDENCE["outlet"])


def _refute(
    art: _Article, sp: Speaker, body: Reading, quote: str, day: date | None, confidence: float
) -> None:
    """``sp`` denies a claim quoted in passing (``body``), unless the sentence already gave
    that denial."""
    quote = " ".join(quote.split())
    denied = _what_is_denied(body)
    for c, _ in art.claims[::-1]:
        if c.quote != quote:
            break
        if c.kind is ClaimKind.DENIAL and c.denied_kind is denied and c.speaker == sp.canonical:
            return
    _emit(art, sp, day, _denial_of(denied, body.force, body.places), quote, quote, confidence)


def _what_is_denied(claim: Reading) -> ClaimKind:
    """The kind a denial of ``claim`` denies: a movement away is a withdrawal, one toward the
    border or of "additional" forces a build-up ("publications about the transfer of
    additional contingents ... do not correspond to reality")."""
    if claim.kind is not ClaimKind.MOVEMENT:
        return claim.kind
    if claim.direction is Direction.AWAY:
        return ClaimKind.WITHDRAWAL
    if claim.direction is Direction.TOWARD or claim.trend is Change.INCREASE:
        return ClaimKind.BUILD_UP
    return claim.kind


def _denial_of(kind: ClaimKind, force: Force, places: tuple[str, ...]) -> Reading:
    """A denial of another claim of ``kind`` ("no sign of that", "does not support Moscow's
    claim of a pullback"), about that claim's force and places."""
    return Reading(
        kind=ClaimKind.DENIAL, verbal=False, denied_kind=kind, direction=None, quantity=None,
        unit=None, force=force, force_explicit=False, places=places, region=None, band_km=None,
        trend=None, future=False,
    )  # fmt: skip


def _statements(words: str) -> list[str]:
    """A speaker's words one statement at a time: the sentences of a quotation that holds
    several, and "A, and that B" as A and B."""
    parts = [
        part
        for sentence in split_sentences(words.strip(" \"'")) or [words]
        for part in _PROPOSITIONS.split(sentence)
    ]
    out = []
    for part in parts:
        # "X, not Y", "X rather than Y": X as said, and "There is no Y."
        contrast = _NOT_THE_OTHER.search(part) or _RATHER_THAN.search(part)
        if contrast is not None and find_triggers(contrast["other"]):
            other = re.sub(r"^(?:an?|the|any)\s+", "", contrast["other"], flags=re.IGNORECASE)
            out += [part[: contrast.start()] + part[contrast.end() :], f"There is no {other}."]
        else:
            out.append(part)
    return out


def _read_speaker(
    art: _Article,
    sp: Speaker,
    words: str,
    quote: str,
    day: date | None,
    confidence: float,
    *,
    denial_verb: bool = False,
    embedded: Sequence[ClaimKind] = (),
) -> None:
    """The claim in a speaker's ``words``, if they make one; "no sign of that" denies the claim
    made just before it in the same sentence ("Moscow says it is withdrawing, but US officials
    say they have seen no sign of that")."""
    reading = read_content(
        words,
        attributed=True,
        denial_verb=denial_verb,
        speaker_side=sp.side,
        speaker_role=sp.role,
        embedded_kinds=embedded,
        previous_force=art.last_force,
    )
    if reading is None and _refutes_the_last(art, sp, words, quote, confidence):
        return
    if reading is None and _DENIES_THAT.search(words) and art.claims:
        before = art.claims[-1][0]
        if before.quote == " ".join(quote.split()) and before.kind is not ClaimKind.DENIAL:
            reading = _denial_of(before.kind, before.force, before.places)
    if reading is not None:
        _emit(art, sp, day, reading, words, quote, confidence)


def _emit(
    art: _Article,
    sp: Speaker,
    day: date | None,
    reading: Reading,
    words: str,
    quote: str,
    confidence: float,
    force: Force | None = None,
) -> None:
    """Build the claim for one reading; the date is the statement's, else the speaker's last
    explicit one in the article, else publication."""
    name = sp.name_for(reading.kind)
    remembered = art.dated.get(name) if sp.role in _REMEMBERED_ROLES else None
    stated_on = day or remembered or art.published_on
    start, end = _window(reading, words, stated_on, art.published_on)
    lead = _LEAD_PERIOD.match(quote)
    after_end = reading.kind is ClaimKind.WITHDRAWAL and _AFTER_END.search(words) is not None
    own = window_cues(words, art.published_on) if lead is not None or after_end else None
    if lead is not None and own is not None and own.start is None:
        # "By November, officials in Washington estimated that ...": a claim about then
        then = window_cues(lead.group(0), art.published_on)
        if then.start is not None and then.end is not None:
            start, end = then.start, then.end
    if after_end and own is not None and own.end is None:
        # "After they end, all Russian troops will return home": after the end the article gave
        ends = [c for c, _ in art.claims if c.kind is ClaimKind.EXERCISE_END]
        if ends:
            start, end = ends[-1].window_end, ends[-1].window_end + (end - start)
    if not all(EARLIEST_DATE <= d <= LATEST_DATE for d in (stated_on, start, end)):
        return  # "In 1943, the Red Army massed ...": history, before any imagery to test it
    q = reading.quantity
    confidence += (
        0.05 * (q is not None)
        + 0.05 * bool(reading.places)
        + 0.05 * reading.force_explicit
        - 0.1 * (not reading.verbal and reading.kind is not ClaimKind.DENIAL)
    )
    places, sites = reading.places, _sites(words, art.site_names)
    if not (set(places) - {"border"}) and not sites and _THE_PLACE.search(words) and art.claims:
        # "more than 500 armoured vehicles at the base": the place of the claim before
        before = art.claims[-1][0]
        if _named_places(before) or before.sites:
            places = tuple(dict.fromkeys((*before.places, *places)))
            sites = before.sites
    claim = Claim(
        id=claim_id(name, stated_on, reading.kind, quote),
        speaker=name,
        speaker_raw=sp.raw or None,
        stated_on=stated_on,
        published_on=art.published_on,
        outlet=art.outlet,
        source=art.source,
        kind=reading.kind,
        direction=reading.direction,
        quantity=q.value if q else None,
        unit=reading.unit,
        quantity_qualifier=q.qualifier if q else None,
        force=force or reading.force,
        places=places,
        sites=sites,
        region=reading.region,
        band_km=reading.band_km,
        window_start=start,
        window_end=end,
        trend=reading.trend,
        denied_kind=reading.denied_kind,
        quote=" ".join(quote.split()),
        confidence=round(min(0.95, max(0.05, confidence)), 2),
    )
    if any(c.id == claim.id and _distinct(c, claim) for c, _ in art.claims):
        # two statements of one sentence ("counted 7,000 ..., and said nearly 100,000 ..."):
        # the quote is the same, the words are not
        other = claim_id(name, stated_on, reading.kind, f"{claim.quote}\x00{words}")
        claim = claim.model_copy(update={"id": other})
    art.claims.append((claim, day is not None or remembered is not None))
    if claim.kind is not ClaimKind.DENIAL:
        art.last_force = claim.force


_AFTER_END = re.compile(r"\b(?:after|once|when)\b[^.;]{0,60}?\b(?:end|over|finish|conclu)", re.I)


def _window(
    reading: Reading, content: str, stated_on: date, published_on: date
) -> tuple[date, date]:
    """The claim's window: the kind's default around ``stated_on``, narrowed by text dates."""
    cues = window_cues(content, published_on, future=reading.future)
    future = reading.future or cues.future
    start, end = default_window(reading.kind, stated_on, future=future)
    if reading.kind is ClaimKind.EXERCISE_END:
        if cues.end is not None:
            end = cues.end
            start = cues.start or min(stated_on, end)
        return min(start, end), end
    if reading.kind is ClaimKind.WITHDRAWAL and cues.end and _AFTER_END.search(content):
        # "will return to base after the exercise ends on Feb. 20": the pull-back starts then
        return cues.end, cues.end + (end - start)
    if cues.lookback_days is not None and not future:
        start, end = stated_on - timedelta(days=cues.lookback_days), stated_on
    start = cues.start or start
    end = cues.end or end
    return min(start, end), max(start, end)


def _sites(content: str, site_names: Iterable[str]) -> tuple[str, ...]:
    found = []
    for name in site_names:
        aliases = {name, name.split()[0]}
        if any(re.search(rf"(?<![\w-]){re.escape(a)}(?![\w-])", content) for a in aliases):
            found.append(name)
    return tuple(found)


def _named_places(c: Claim) -> set[str]:
    """The places a claim names beyond "the border"."""
    return set(c.places) - {"border"}


def _distinct(a: Claim, b: Claim) -> bool:
    """Two claims of one kind from one sentence that state different facts: different numbers,
    or different places (else the second adds nothing and keeps the first's id)."""
    pa, pb = _named_places(a), _named_places(b)
    numbers = a.quantity is not None and b.quantity is not None and a.quantity != b.quantity
    return numbers or bool(pa and pb and pa != pb)


def _restates(a: Claim, b: Claim) -> bool:
    """Whether ``b`` restates ``a``: the same speaker, kind, number, unit, direction and denied
    kind, and the same places where both name some (a bridge on the Pripyat and a build-up in
    Belarus are two claims)."""
    pa, pb = _named_places(a), _named_places(b)
    return (a.speaker, a.kind, a.quantity, a.unit, a.direction, a.denied_kind) == (
        b.speaker,
        b.kind,
        b.quantity,
        b.unit,
        b.direction,
        b.denied_kind,
    ) and (not pa or not pb or pa == pb)


def _merge(claims: Sequence[tuple[Claim, bool]]) -> list[Claim]:
    """One claim per statement restated (``_restates``): the best dated, most specific."""

    def score(c: Claim, dated: bool) -> tuple[bool, int, float]:
        return dated, len(c.places), c.confidence

    best: list[tuple[Claim, bool, int]] = []
    for i, (c, dated) in enumerate(claims):
        j = next((j for j, (b, _, _) in enumerate(best) if _restates(b, c)), None)
        if j is None:
            best.append((c, dated, i))
        elif score(c, dated) > score(best[j][0], best[j][1]):
            best[j] = (c, dated, best[j][2])
    ordered = sorted(best, key=lambda t: t[2])
    seen: set[str] = set()
    out = []
    for c, _, _ in ordered:
        if c.id not in seen:
            seen.add(c.id)
            out.append(c)
    return out


def extract_claims(
    text: str,
    published_on: date,
    outlet: str | None = None,
    source: str | None = None,
    *,
    site_names: Sequence[str] | None = None,
) -> list[Claim]:
    """Attributed claims about military activity in scraped article ``text``.

    ``published_on`` anchors relative dates ("yesterday", "on Wednesday"); ``outlet`` is the
    speaker of statements the article makes in its own voice; ``source`` (URL or file) is
    recorded on each claim. ``site_names`` are the watchlist sites to recognise in the text
    (default: the built-in scenario's sites). Claims come in order of first appearance.
    """
    art = _Article(Discourse(published_on), outlet, source, site_names or DEFAULT_SITE_NAMES)
    art.author = _author(text)
    # the people a title names ("Remarks by President Biden ..."), which cleaning drops:
    # whom a later "THE PRESIDENT:" or "he" may be
    head = " ".join(text.lstrip()[:300].splitlines()[:3])
    art.discourse.history.extend(
        Speaker(m.entry.canonical, head[m.start : m.end], m.entry.role, m.entry.side)
        for m in speaker_mentions(head)
        if m.entry.role == "person"
    )
    headed = _headed_by_places(text, art.site_names)
    transcript = (
        not headed
        and sum(1 for line in text.splitlines() if _TURN.match(_TIMESTAMP.sub("", line.strip())))
        >= 2
    )
    voice: Speaker | None = None  # in a transcript, the speaker of the current turn
    # a history piece: every year the body tells (its first lines, a dateline, aside) is long past
    body_years = _told_years("\n".join(text.strip().splitlines()[3:]))
    history = len(body_years) >= 3 and _is_history(body_years, published_on)
    game = {" ".join(m.group(0).lower().split()) for m in _WARGAME.finditer(text)}
    if len(game) >= 3 and game & _WARGAME_NAMED:
        return []  # a wargame's moves ("Red opened by massing 45,000 troops"), not events
    intro: list[str] = []  # the paragraphs before the first turn
    seen_turn = False
    for paragraph in clean_paragraphs(text):
        if headed:
            paragraph = _heading(paragraph, art.site_names)
        turn, paragraph = _turn(paragraph, art.discourse.history, transcript)
        if turn is _ANSWER:
            # "A: ...": the person the intro presented, else the outlet's own interviewee
            turn = _interviewee(intro) or Speaker(
                art.outlet or OUTLET.canonical, "", "person", None
            )
        if turn is None and not seen_turn:
            intro.append(paragraph)
        if turn is not None:
            seen_turn = True
            voice = turn
            if turn is not _QUESTION:
                art.discourse.history.append(turn)
            art.question = paragraph if turn is _QUESTION else art.question
        sentences = split_sentences(paragraph)
        # a paragraph that opens in a year long past tells of then: "In the summer of 1994 I
        # was a young captain in Latvia, and I watched the last Russian troop trains pull out"
        past = history or (
            bool(sentences)
            and bool(_told_years(sentences[0]))
            and _is_history(_told_years(paragraph), published_on)
        )
        for text_of_sentence in sentences:
            analysed = _source_last(_caps_lead(text_of_sentence))
            sentence = Sentence(analysed, art.discourse).analyse()
            sentence.orig = text_of_sentence  # quoted as written
            before = len(art.claims)
            _read_sentence(sentence, art, voice)
            art.they_are = next(
                (
                    c.force
                    for c, _ in reversed(art.claims[before:])
                    if c.kind is not ClaimKind.DENIAL
                ),
                None,
            )
            if past:  # "Over the next two days, paratroopers ... arrived by air" (in 1979)
                del art.claims[before:]
            sentence.remember()
    claims = _merge(art.claims)
    log.debug("extracted %d claims (%d before merging)", len(claims), len(art.claims))
    return claims
