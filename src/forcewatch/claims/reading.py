"""Reading what a speaker's words assert: kind, direction, quantity, force, places, trend.

``read_content`` works on one attributed span of text (what a speaker said, or an unattributed
clause in the outlet's own voice) and returns a ``Reading``, or None when the span asserts no
military activity. Pure functions over strings; the lexicons live in ``claims.lexicon``.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass

from forcewatch.claims import lexicon as lx
from forcewatch.claims.dates import MONTHS
from forcewatch.claims.model import Change, ClaimKind, Direction, Force, QuantityQualifier

# Most specific first: when a span has several triggers, the earliest kind here wins.
KIND_PRIORITY = (
    ClaimKind.WITHDRAWAL,
    ClaimKind.EXERCISE_END,
    ClaimKind.ARRIVAL,
    ClaimKind.DEPLOYMENT,
    ClaimKind.MOVEMENT,
    ClaimKind.BUILD_UP,
    ClaimKind.COUNT,
)
OPERATIONAL_KINDS = frozenset(
    {
        ClaimKind.WITHDRAWAL,
        ClaimKind.EXERCISE_END,
        ClaimKind.MOVEMENT,
        ClaimKind.DEPLOYMENT,
        ClaimKind.ARRIVAL,
    }
)
_DIRECTED_KINDS = OPERATIONAL_KINDS - {ClaimKind.EXERCISE_END}
_MONTH_BEFORE = re.compile(r"\b(?:" + "|".join(MONTHS) + r")\.?\s*$", re.IGNORECASE)
_AUX = (
    r"has|have|had|is|are|was|were|been|being|will|would|could|can|may|might|also|now|already"
    r"|not|still|reportedly|begun|started|starting|prepared|ready|going|set|planning|plans"
    r"|expected|able|about|to"
)
_SIDE_FORCE = {s.value: s for s in Force if s is not Force.UNKNOWN}
_FORCES_PRONOUN = re.compile(r"\b(?:they|them|their)\b", re.IGNORECASE)
_THEY_LEAD = re.compile(r"^\W*(?:They|These|Those)\s+(?!(?:said|say|says|told|added|noted)\b)")
_SELF = re.compile(
    r"^[\s\"',]*(?:that\s+)?(?:it|we)\s+(?:was|were|is|are|had|has|have|would|will)\b", re.I
)
_RANGE = re.compile(
    r"(?<![\w.,-])(?P<lo>\d{1,3}(?:,\d{3})+|\d+)\s*-\s*(?P<hi>\d{1,3}(?:,\d{3})+|\d+)(?![\w-])"
)


@dataclass(frozen=True)
class Trigger:
    """A word or phrase that names a kind of activity, at [start, end) in the span."""

    kind: ClaimKind
    verbal: bool
    start: int
    end: int
    negated: bool
    background: bool = False  # in a relative clause: "the troops who arrived ... will remain"


@dataclass(frozen=True)
class Quantity:
    """A number of something military: ``value`` in ``unit``, bounded as ``qualifier`` says."""

    value: float
    unit: str
    qualifier: QuantityQualifier


@dataclass(frozen=True)
class Reading:
    """What one span of text asserts (see ``Claim`` for the meaning of each field)."""

    kind: ClaimKind
    verbal: bool
    denied_kind: ClaimKind | None
    direction: Direction | None
    quantity: Quantity | None
    unit: str | None
    force: Force
    force_explicit: bool
    places: tuple[str, ...]
    region: str | None
    band_km: tuple[float, float] | None
    trend: Change | None
    future: bool


# a verb right after a relative pronoun: "the servicemen who arrived", "units that had deployed"
# (not "said that not a single soldier would remain")
_RELATIVE = re.compile(
    rf"(?:\bwho|\bwhich|{lx.MILITARY_NOUN.pattern}\s+that)\s+(?:had\s+|have\s+|has\s+|were\s+"
    r"|was\s+)?(?:been\s+)?(?:\w+ly\s+)?$",
    re.IGNORECASE,
)


# "have not crossed", "has not left", "did not withdraw", "never arrived": the event itself denied
_NOT_DONE = re.compile(
    r"\b(?:(?:ha(?:s|ve|d)|did|do|does|were|was|is|are)\s+(?:not|never)|ha(?:s|ve|d)n't|didn't"
    r"|never)\s+(?:yet\s+|actually\s+|so\s+far\s+)?(?:been\s+)?$",
    re.IGNORECASE,
)


def _not_done(text: str, t: Trigger) -> bool:
    """A verbal trigger negated on its own verb ("have not crossed"), not by a word that
    leaves the event open ("no sign of", "not clear whether")."""
    return t.verbal and _NOT_DONE.search(text[max(0, t.start - 40) : t.start]) is not None


# "tanks with no insignia rolling through": "no" describes the tanks, it does not negate
_WITH_NO = re.compile(r"\b(?:with|bearing|carrying|wearing|showing)\s+no\s+[\w-]+", re.IGNORECASE)


def _negated(text: str, start: int) -> bool:
    before = _WITH_NO.sub(" ", re.split(r"[,;:]", text[max(0, start - 80) : start])[-1])
    for rx, max_words in ((lx.NEGATOR, 4), (lx.WIDE_NEGATOR, 7)):
        hits = list(rx.finditer(before))
        if hits and len(before[hits[-1].end() :].split()) <= max_words:
            return True
    return False


_IMPERATIVE_LEAD = re.compile(
    r"^\W*(?:(?:first|second|third|fourth|fifth|finally|next|then|and|also|instead|so|now)\W+)*$",
    re.IGNORECASE,
)
_BASE_VERB = re.compile(
    r"(?:move|send|deploy|withdraw|station|pull|put|bring|return|reinforce|mass|keep|base)\b",
    re.IGNORECASE,
)


def _imperative(text: str, start: int) -> bool:
    """A recommendation, not an event: "Second, move air defense units to Romania". (A
    fragment that starts with its verb, "pull back" of "a promise to pull back", is none.)"""
    lead = text[:start]
    opens = bool(re.search(r"\w", lead)) or text[start : start + 1].isupper()
    return opens and bool(_IMPERATIVE_LEAD.match(lead) and _BASE_VERB.match(text, start))


def find_triggers(text: str) -> list[Trigger]:
    """Kind triggers in ``text``, in order of position, each marked negated or not."""
    found = [
        Trigger(
            kind,
            verbal,
            start,
            m.end(),
            _negated(text, start),
            _RELATIVE.search(text[max(0, start - 30) : start]) is not None,
        )
        for kind, verbal, rx in lx.TRIGGERS
        for m in rx.finditer(text)
        # a pattern whose subject comes first marks its verb "v": negation is read before it
        for start in [m.start("v") if "v" in rx.groupindex else m.start()]
        if not lx.CONDITIONAL.search(text[max(0, start - 20) : start])
        and not lx.DEMAND.search(text[:start])
        and not _imperative(text, start)
        and not _SPECULATED.search(text[max(0, start - 40) : start])
    ]
    states = [t for t in found if t.kind is ClaimKind.COUNT]
    found = [
        t
        for t in found
        if t.kind is ClaimKind.COUNT or not any(s.start <= t.start < s.end for s in states)
    ]
    return sorted(found, key=lambda t: t.start)


def _best(triggers: Sequence[Trigger]) -> Trigger | None:
    """The trigger that says what the text asserts: by kind priority, not one in a relative
    clause when another is at hand."""
    pool = [t for t in triggers if not t.background] or list(triggers)
    if not pool:
        return None
    return min(pool, key=lambda t: (KIND_PRIORITY.index(t.kind), t.start))


def _number(text: str, mult: str | None) -> float:
    word = text.lower()
    value = (
        float(lx.NUMBER_WORDS[word])
        if word in lx.NUMBER_WORDS
        else float(re.sub(r"[,\s\u00a0\u202f]", "", text))
    )
    factor = {"million": 1e6, "thousand": 1e3, "hundred": 1e2, "k": 1e3}
    return value * factor.get((mult or "").lower(), 1.0)


def _qualifier(before: str) -> QuantityQualifier:
    m = lx.QUALIFIER_RX.search(before)
    if m is None:
        return QuantityQualifier.EXACT
    index = next(i for i, (_, _) in enumerate(lx.QUALIFIERS) if m.group(f"q{i}"))
    return QuantityQualifier(lx.QUALIFIERS[index][0])


_AT_FIGURE = re.compile(
    r"\b(?:at|(?:grow[ns]?|grew|ris(?:e[ns]?|ing)|rose|increased|climbed|jumped|swelled|fallen|fell"
    r"|dropped|declined|shrunk|shrank|reached|brought|bringing|risen)\s+to)\s+$",
    re.IGNORECASE,
)


def find_quantity(text: str) -> Quantity | None:
    """The first number of troops, vehicles, trains, ... in ``text`` ("7,000 more Russian
    troops", "as many as 150,000", "roughly 50 battalion tactical groups", "up to 7,000" after
    a unit named earlier). Distances, durations, dates and ordinals are skipped."""
    text = _RANGE.sub(r"between \g<lo> and \g<hi>", text)  # "130,000-150,000 troops"
    for m in lx.NUMBER.finditer(text):
        after = text[m.end() :]
        before = text[: m.start()]
        if lx.NON_FORCE_UNIT.match(after) or _MONTH_BEFORE.search(before):
            continue
        if re.match(r"^(?:19|20)\d\d$", m.group("num")) and not m.group("mult"):
            continue
        if re.search(r"\bfrom\s+$", before) and re.match(r"\s+to\s+\d", after):
            continue  # "rose from 4 to 34": the count now is the second number
        range_end = re.search(r"\bfrom\s+[\d,.]+\s+to\s+$", before) is not None
        tail = after.lstrip(" \"'\u201d")  # 'between 5,000 and 7,000" Belarusian servicemen'
        mods = lx.UNIT_MODIFIERS.match(tail)
        rest = tail[mods.end() :] if mods else tail
        unit = lx.unit_name(rest)
        if unit is None and m.group("strong"):
            unit = "troops"
        qualifier = _qualifier(before)
        if m.group("plus"):
            qualifier = QuantityQualifier.MORE_THAN  # "100,000-plus troops"
        if re.search(r"\bbetween\s+[\d,.]+\s+(?:and|to)\s+$", before):
            qualifier = QuantityQualifier.UP_TO  # "between 169,000 and 190,000": at most the latter
        # "put the force at 127,000", "has grown to 87": the unit was named before
        at_figure = _AT_FIGURE.search(before) is not None
        if unit is None and (qualifier is not QuantityQualifier.EXACT or range_end or at_figure):
            earlier = list(lx.ANY_UNIT.finditer(before))
            if earlier:
                named = earlier[-1].group(0)
                unit = lx.unit_name(named)
        if unit is None:
            continue
        return Quantity(_number(m.group("num"), m.group("mult")), unit, qualifier)
    return None


def _direction(text: str, kind: ClaimKind) -> Direction | None:
    if kind not in _DIRECTED_KINDS:
        return None
    cues: list[tuple[int, Direction]] = []
    for rx, direction in (
        (lx.TOWARD, Direction.TOWARD),
        (lx.TOWARD_ACROSS, Direction.TOWARD),  # across the border is toward (and beyond) it
        (lx.AWAY, Direction.AWAY),
    ):
        for m in rx.finditer(text):
            clause = re.split(r"[,;:\u2013\u2014]|\bbut\b", text[: m.start()])[-1]
            if not (lx.DIRECTION_NEGATED.search(clause[-30:]) or lx.WIDE_NEGATOR.search(clause)):
                cues.append((m.start(), direction))
    kinds = {d for _, d in cues}
    if len(kinds) == 1:
        return kinds.pop()
    if cues:
        return min(cues)[1]
    return Direction.AWAY if kind is ClaimKind.WITHDRAWAL else None


def _force(
    text: str,
    anchor: int,
    verbal_anchor: bool,
    speaker_side: str | None,
    kind: ClaimKind,
    previous: Force | None,
    speaker_role: str | None = None,
) -> tuple[Force, bool]:
    """Whose forces: a force word modifying a military noun or heading the trigger's clause,
    nearest the trigger; else "its/their troops" of a state speaker; else a deployment to a NATO
    country (the allies'); else Russia's, the force this project watches."""
    candidates: list[tuple[int, Force]] = []
    for force, rx in lx.FORCE_RX:
        for m in rx.finditer(text):
            modifies = re.match(
                rf"^(?:'s)?\s+(?:[\w-]+\s+){{0,2}}?{lx.MILITARY_NOUN.pattern}",
                text[m.end() :],
                re.IGNORECASE,
            )
            if modifies:
                candidates.append((abs(anchor - m.start()), force))
    for force, rx in lx.FORCE_UNITS:
        candidates += [(abs(anchor - m.start()), force) for m in rx.finditer(text)]
    # "units of the Armed Forces of the Republic of Belarus": the state owns the forces
    for m in _OWNED_BY.finditer(text):
        owning = _STATE_FORCE.get(m.group("state").lower(), Force.UNKNOWN)
        candidates.append((abs(anchor - m.start()), owning))
    if verbal_anchor:
        head = re.sub(rf"(?:[\s'\"]+(?:{_AUX}))*[\s'\"]*$", "", text[:anchor])
        for force, rx in lx.FORCE_SUBJECTS:
            subject = rx.search(head)
            before = head[: subject.start()] if subject else ""
            # "the Armed Forces of Ukraine have concentrated": "of" names the owner, not a place
            if subject and (not lx.PREPOSITION_END.search(before) or _FORCES_OF.search(before)):
                candidates.append((0, force))
        pronoun = re.fullmatch(
            r"\W*(?:[\w,]+\s+){0,3}(?P<p>it|we|they)", head.strip(), re.IGNORECASE
        )
        # "we" is the speaker's side; "they" only when the speaker is a group ("officials said
        # they would send"), not one person speaking of others ("we see that they have ...")
        # nor a quotation, where the speakers call themselves "we" ('"They are moving units"')
        quoted = text[:anchor].count('"') % 2 == 1
        they = pronoun is not None and pronoun.group("p").lower() == "they"
        if pronoun and not (they and (speaker_role == "person" or quoted)):
            side_force = _SIDE_FORCE.get(speaker_side or "")
            if side_force is not None:
                candidates.append((0, side_force))
    if candidates:
        return min(candidates)[1], True
    owned = re.search(
        r"\b(?:its|their)\s+(?:own\s+)?(?:troops|forces|units|soldiers)\b", text, re.I
    )
    if owned:
        owner = _state_before(text[: owned.start()]) or _SIDE_FORCE.get(speaker_side or "")
        if owner is not None:
            return owner, True
    if kind in OPERATIONAL_KINDS and lx.NATO_DESTINATION.search(text):
        return (previous if previous in (Force.US, Force.NATO) else Force.NATO), False
    if speaker_side == "third" or previous is Force.UNKNOWN:
        # a state of another conflict (Serbia, Azerbaijan, ...), or the text is about one
        return Force.UNKNOWN, False
    return Force.RUSSIA, False


_STATE_FORCE = {
    "russia": Force.RUSSIA, "the russian federation": Force.RUSSIA,
    "russian federation": Force.RUSSIA, "belarus": Force.BELARUS, "ukraine": Force.UKRAINE,
    "the united states": Force.US, "united states": Force.US,
}  # fmt: skip
_OWNED_BY = re.compile(
    r"\b(?:armed\s+forces|army|military|troops|forces|navy|air\s+force|units|soldiers"
    r"|servicemen|contingent)\s+of\s+(?:the\s+)?(?:republic\s+of\s+)?(?P<state>"
    r"(?:the\s+)?russian\s+federation|russia|belarus|ukraine|(?:the\s+)?united\s+states"
    + "".join(f"|{name}" for name, _, _ in lx.OTHER_STATES)
    + r")\b",
    re.IGNORECASE,
)
_FORCES_OF = re.compile(
    r"\b(?:armed\s+forces|army|military|troops|forces|navy|air\s+force|units|soldiers)\s+of\s+"
    r"(?:the\s+)?$",
    re.IGNORECASE,
)


def _state_before(text: str) -> Force | None:
    """The state named last in ``text`` as an actor (not after a preposition): the owner of a
    following "its troops" ("Russia had increased its forces")."""
    hits = [
        (m.start(), force)
        for force, rx in lx.STATE_RX
        for m in rx.finditer(text)
        if not lx.PREPOSITION_END.search(text[: m.start()])
    ]
    return max(hits)[1] if hits else None


_AGENT = re.compile(
    r"^\s+(?:has|have|had|said|says|believes?|believed|sees|saw|warned|insisted|denied|claimed)\b"
)


def find_places(text: str, *, by_shape: bool = True) -> tuple[str, ...]:
    """Places named in ``text``, in order, plus "border"; a place acting as a speaker ("Kyiv
    had seen", "Minsk says") is not one. Names the list (``lexicon.PLACES``) does not know
    count when their shape says place ("at Rukla", "in the Syunik region"), unless
    ``by_shape`` is False."""
    listed = [(m, name) for name, rx in lx.PLACE_RX for m in rx.finditer(text)]
    hits = [
        (m.start(), name)
        for m, name in listed
        # "Kyiv had seen" is a speaker; "troops in Belarus had doubled" a place
        if not _AGENT.match(text[m.end() :]) or lx.PREPOSITION_END.search(text[: m.start()])
    ]
    spans = [m.span() for m, _ in listed]  # (a listed name is taken as the list spells it)
    for m in lx.NAMED_PLACE.finditer(text) if by_shape else ():
        name = m.group("name")
        at, end = m.span("name")
        if (
            not re.search(r"['\u2019]s$", name)  # "in Putin's view"
            and lx.NOT_A_PLACE.search(name.split()[0]) is None
            and lx.NOT_A_PLACE.search(name.split()[-1]) is None
            and not any(s < end and at < e for s, e in spans)
            and not _AGENT.match(text[m.end() :])
        ):
            kind = " ".join((m.group("kind") or "").split())
            hits.append((m.start("name"), f"{name} {kind}" if kind else name))
    names = list(dict.fromkeys(name for _, name in sorted(hits)))
    if lx.BORDER.search(text):
        names.append("border")
    return tuple(names)


def _band(text: str) -> tuple[float, float] | None:
    m = lx.BAND.search(text)
    if m is None:
        return None
    km_per = 1.609344 if m.group("unit").lower().startswith("mile") else 1.0
    far = _number(m.group("num"), None) * km_per
    if lo := m.group("lo") or m.group("lo2"):
        return round(float(lo) * km_per, 1), round(far, 1)
    qual = " ".join((m.group("qual") or "").lower().split())
    if qual in ("less than", "under", "within", "up to", "only", "just"):
        return 0.0, round(far, 1)
    if qual in ("about", "some", "around", "roughly"):
        return round(far * 0.9, 1), round(far * 1.1, 1)
    if qual in ("more than", "over", "at least"):
        return round(far, 1), round(far * 1.5, 1)
    return round(far, 1), round(far, 1)


_HEDGED = re.compile(
    r"\b(?:reported|announced|claimed|alleged|purported|promised|declared|so-called|supposed"
    r"|touted|publici[sz]ed|much-publici[sz]ed|advertised|proclaimed"
    # "on heightened alert for possible deployment": not a deployment
    r"|possible|potential|eventual|any\s+future|future|planned|prospective)\s+"
    r"(?:partial\s+|troop\s+)?$",
    re.IGNORECASE,
)
# "Russian units may be preparing to move": a guess, not an event
_SPECULATED = re.compile(
    r"\b(?:may|might)\s+(?:well\s+|also\s+|soon\s+|now\s+)?(?:be\s+|have\s+)?(?:\w+ing\s+to\s+)?$",
    re.IGNORECASE,
)


def _hedged(text: str, t: Trigger) -> bool:
    """A nominal trigger that names someone else's claim: "the reported withdrawal", Moscow's
    "de-escalation" (another's word or two in quotation marks)."""
    if t.verbal:
        return False
    scare = re.search(r"\w'?s\s+[\"“]$", text[max(0, t.start - 30) : t.start]) and re.match(
        r"(?:[\w'-]+\s?){0,2}[\"”]", text[t.end :]
    )
    return bool(scare) or _HEDGED.search(text[max(0, t.start - 40) : t.start]) is not None


# forces said not to be there: "there are no Russian troops in Mali", "there is not a single
# Belarusian soldier near the border"
_NO_PRESENCE = re.compile(
    r"\bthere\s+(?:are|is|were|was)\s+(?:no|not\s+(?:a\s+single|any|one))\s+(?:[\w-]+\s+){0,3}?"
    r"(?:troops|forces|soldiers?|servicem[ae]n|military|units?|personnel|tanks|army)\b",
    re.IGNORECASE,
)
_WRECKED = re.compile(
    r"\b(?:burn(?:ed|t)[- ]out|wreck(?:age|ed)|charred|destroyed|remains\s+of)\b", re.I
)
# a state now, in the present tense: "Russia has", "there are now", "some 30,000 troops are in",
# "the training ground still holds" (not "had", which is background, nor "has been")
_HOLDS = re.compile(
    r"\b(?:(?:has|have|keeps?|maintains?|holds?)(?!\s+(?:been|had|not|no)\b)"
    r"|there\s+(?:are|is)|(?:are|is)\s+(?:now\s+|still\s+|currently\s+)?(?:in|inside|near|at|on"
    r"|along|within|around|close\s+to|deployed|stationed|based))\b",
    re.IGNORECASE,
)
# a sighting, in an observer's report: "the UAV spotted", "the SMM saw", "were also seen"
_SIGHTED = re.compile(
    r"\b(?:spotted|sighted|saw|observed|recorded|counted|(?:was|were)\s+(?:also\s+)?(?:seen"
    r"|observed|spotted|sighted|recorded))\b",
    re.IGNORECASE,
)
_GOING_ON = re.compile(
    r"\b(?:continu\w*|keep(?:s|ing)?\s+up|press(?:es|ing)?\s+(?:ahead|on)\s+with|step(?:s|ped"
    r"|ping)?\s+up|ramp(?:s|ed|ing)?\s+up)\s+(?:with\s+)?(?:its|their|the|a)?\s*(?:[\w-]+\s+){0,2}$",
    re.IGNORECASE,
)
_STILL_GROWING = re.compile(
    r"still\s+(?:\w+\s+)?(?:adding|arriving|massing|building|sending|deploying|increasing|growing"
    r"|bringing|pouring|moving\s+(?:in|closer|toward|towards|up))\b",
    re.IGNORECASE,
)


def _trend(text: str, kind: ClaimKind, quantity: Quantity | None = None) -> Change | None:
    if kind in (ClaimKind.DENIAL, ClaimKind.WITHDRAWAL, ClaimKind.EXERCISE_END):
        return None
    earlier = lx.EARLIER_FIGURE.search(text) if quantity is not None else None
    if earlier is not None and quantity is not None:
        before = float(earlier.group("num").replace(",", ""))
        year = re.fullmatch(r"(?:19|20)\d\d", earlier.group("num")) is not None
        if not year and before != quantity.value:  # "190,000, compared with about 100,000"
            return Change.INCREASE if quantity.value > before else Change.DECREASE
    for m in lx.TREND_NONE.finditer(text):
        if kind is ClaimKind.MOVEMENT:
            break  # "still seeing forces moving toward the border": a movement all the same
        if not _STILL_GROWING.match(text, m.start()):  # "still adding troops" is a build-up
            return Change.NONE
    for m in lx.TREND_INCREASE.finditer(text):
        noun_after = lx.MILITARY_NOUN.search(text[m.end() : m.end() + 40])
        noun_before = (
            m.group(0).lower() == "added"
            and re.search(  # "10,000 troops added"
                rf"{lx.MILITARY_NOUN.pattern}\s+$", text[: m.start()], re.IGNORECASE
            )
        )
        changed = ("increas", "ramp", "up", "grow", "grew", "doubled", "tripled", "expand", "swell")
        if noun_after or noun_before or m.group(0).lower().startswith(changed):
            return Change.INCREASE
    return None


def _increased_unit(text: str) -> str | None:
    """The unit that a "more"/"increase in" phrase is about: "more military trains" -> trains."""
    for m in lx.TREND_INCREASE.finditer(text):
        named = lx.ANY_UNIT.search(text, m.end(), m.end() + 40)
        if named is not None:
            return lx.unit_name(named.group(0))
    return None


# a perception verb right before what it perceives: "we see a build-up"
_SEEN = re.compile(
    rf"{lx.PERCEPTION.pattern}\s+(?:an?\s+|the\s+|any\s+|more\s+)?(?:[\w-]+\s+)?$", re.I
)


_NOT_HAPPENED = re.compile(
    r"\s+(?:[\w-]+\s+){0,4}?(?:has|have|had|is|was|did|does)\s+(?:[\w-]+\s+){0,2}?(?:not|never)\s+"
    r"(?:taken\s+place|take\s+place|happened|happen|occurred|occur|materiali[sz]ed|materiali[sz]e"
    r"|begun|begin|started|start)\b"
    r"|\s+(?:has|have|had)\s+(?:yet\s+)?to\s+(?:take\s+place|happen|materiali[sz]e|begin|start)\b",
    re.IGNORECASE,
)


def _never_happened(text: str, t: Trigger) -> bool:
    """A nominal trigger said not to have happened: "The claimed withdrawal has almost certainly
    not taken place", "the pullback has yet to materialise"."""
    return not t.verbal and _NOT_HAPPENED.match(text, t.end) is not None


def _seen(text: str, t: Trigger) -> bool:
    """The speaker perceives ``t`` ("we see a build-up"), not on a condition ("when we see a
    withdrawal, we will believe it")."""
    at = max(0, t.start - 30)
    seen = _SEEN.search(text[at : t.start])
    return seen is not None and not re.search(
        r"\b(?:when|if|once|until|unless|before)\s+(?:\w+\s+){0,2}$",
        text[: at + seen.start()],
        re.I,
    )


# a participial or adverbial clause that follows the denied one
_CLAUSE_AFTER = re.compile(
    r"(?:,|;|\s-)\s+(?:with|while|whereas|calling|describing|saying|adding|insisting|claiming"
    r"|dismissing|branding|as)\s",
    re.IGNORECASE,
)


def read_content(
    text: str,
    *,
    attributed: bool,
    denial_verb: bool = False,
    speaker_side: str | None = None,
    speaker_role: str | None = None,
    embedded_kinds: Sequence[ClaimKind] = (),
    previous_force: Force | None = None,
    needs_military: bool = True,
    they_are: Force | None = None,
) -> Reading | None:
    """What ``text`` asserts, or None when it asserts no military activity.

    ``attributed``: the text is a speaker's words (nominal triggers such as "a build-up of
    Russian forces" count); otherwise it is the outlet's own voice and needs an unhedged verbal
    trigger ("have arrived"). ``denial_verb``: the speaker denied/rejected/disputed it.
    ``embedded_kinds``: kinds of claims by others that the text refers to ("Russia's claims of a
    pull-back"), the object of a denial verb. ``needs_military``: False for another's claim
    quoted in passing ("claims that it was pulling back"), where the military noun is implied.
    ``they_are``: whose forces the sentence before made a claim about, for a sentence that goes
    on with "They ..." ("Russian forces massed near Yelnya. They have now moved closer.").
    """
    triggers = find_triggers(text)
    if (extended := lx.EXTENSION.search(text)) is not None:
        triggers = [
            Trigger(t.kind, t.verbal, t.start, t.end, True)
            if t.kind is ClaimKind.EXERCISE_END
            else t
            for t in triggers
        ]
        if not any(t.kind is ClaimKind.EXERCISE_END for t in triggers):
            # "the drills had been extended": an end that is not coming, read as its denial
            end = Trigger(ClaimKind.EXERCISE_END, True, extended.start(), extended.end(), True)
            triggers = sorted([*triggers, end], key=lambda t: t.start)
    positive = [t for t in triggers if not t.negated]
    verbal = [t for t in positive if t.verbal]
    if needs_military and lx.CIVILIAN.search(text) and not lx.STRONG_MILITARY.search(text):
        return None  # a football team's training camp
    if lx.HISTORICAL_FORCES.search(text):
        return None  # "the Red Army moved 1.3 million men", "stationing of Soviet troops"
    if not verbal and _WRECKED.search(text):
        return None  # "the burned-out remains of dozens of vehicles": losses, not a presence
    military = (
        not needs_military
        or lx.MILITARY_NOUN.search(text) is not None
        # '"We continue to see them move closer to the border," an official said'
        or (attributed and bool(lx.BORDER.search(text)) and bool(_FORCES_PRONOUN.search(text)))
        # a state or ministry of itself: "Russia ..., despite claiming it was pulling back"
        or (attributed and speaker_role in ("state", "body") and bool(_SELF.match(text)))
        # what a speaker sees, when the text before was about forces: "we see a build-up"
        or (attributed and previous_force is not None and any(_seen(text, t) for t in positive))
        # the forces of the sentence before, going on: "They have now moved closer"
        or (they_are is not None and _THEY_LEAD.match(text) is not None)
        # "Russia continues its build-up near Ukraine": a build-up or a pullback at the border
        or (
            attributed
            and bool(lx.BORDER.search(text))
            and any(t.kind in (ClaimKind.BUILD_UP, ClaimKind.WITHDRAWAL) for t in positive)
        )
    )
    quantity = find_quantity(text)
    places = find_places(text)
    band = _band(text)
    future = lx.FUTURE.search(text) is not None
    chosen: Trigger | None = None
    denied: ClaimKind | None = None
    if embedded_kinds and lx.FALSE_PREDICATE.search(text):
        # "[Russia's claim that it is withdrawing] was false": the quoted claim is denied
        kind, denied = ClaimKind.DENIAL, embedded_kinds[0]
    elif (undone := next((t for t in positive if _never_happened(text, t)), None)) is not None:
        kind, denied = ClaimKind.DENIAL, undone.kind  # "the claimed withdrawal has not taken place"
    elif denial_verb:
        kind = ClaimKind.DENIAL
        # what is denied is in the denied clause: "denied that any build-up is taking place,
        # with the Kremlin describing the movements as routine" denies a build-up
        cut = _CLAUSE_AFTER.search(text)
        scoped = [t for t in positive if cut is None or t.start < cut.start()]
        best = _best(scoped or positive)
        denied = best.kind if best else (embedded_kinds[0] if embedded_kinds else None)
    elif (
        (reassured := lx.REASSURANCE.search(text) is not None)
        and attributed
        # "free to move", "can move troops on its own territory": what it may do, not an event
        and all(re.search(r"\b(?:to|can|could|may|might)\s+$", text[: t.start]) for t in verbal)
    ):
        kind, chosen = ClaimKind.DENIAL, None
    elif (chosen := _best(verbal)) is not None and military:
        kind = chosen.kind
    elif (
        not attributed
        and military
        and lx.RECORDED.search(text)
        and (negated := _best([t for t in triggers if t.negated])) is not None
    ):  # "No withdrawal of Russian troops from the border has been recorded."
        kind, denied, chosen = ClaimKind.DENIAL, negated.kind, None
    elif (
        not attributed
        and military
        and not future
        and not lx.REPORTED_SPEECH_HEDGE.search(text)
        and (negated := _best([t for t in triggers if t.negated and _not_done(text, t)]))
        is not None
    ):  # the outlet states that it did not happen: "Belarusian units have not crossed the border"
        kind, denied, chosen = ClaimKind.DENIAL, negated.kind, None
    elif (
        not attributed
        and military
        and lx.RECORDED.search(text)
        and (chosen := _best([t for t in positive if not _hedged(text, t)])) is not None
    ):  # "an increase in the number of Belarusian units near the border has been recorded"
        kind = chosen.kind
    elif (
        not attributed
        and military
        and not future
        and quantity is not None
        and (places or band is not None)
        and (_HOLDS.search(text) is not None or _SIGHTED.search(text) is not None)
        and not lx.ON_ALERT.search(text)
        and not lx.REPORTED_SPEECH_HEDGE.search(text)
    ):  # the outlet's own count: "Russia keeps about 1,500 troops in Transnistria", "the UAV
        # spotted 14 tanks near Sontseve" (a monitoring mission's report)
        kind = ClaimKind.COUNT
    elif not attributed:
        return None
    elif reassured:
        kind, chosen = ClaimKind.DENIAL, None
    elif (chosen := _best([t for t in positive if not _hedged(text, t)])) is not None and military:
        kind = chosen.kind
    elif (negated := _best([t for t in triggers if t.negated])) is not None:
        kind, denied, chosen = ClaimKind.DENIAL, negated.kind, None
    elif military and _NO_PRESENCE.search(text):
        kind, denied = ClaimKind.DENIAL, ClaimKind.COUNT  # "There are no Russian troops in Mali"
    elif quantity is not None and not lx.ON_ALERT.search(text):
        kind = ClaimKind.COUNT  # (troops "on heightened alert" are counted where they are not)
    elif speaker_role in ("imagery", "analyst") and military and places:
        # what imagery "shows" at a place: presence, or a build-up when it is new
        kind = (
            ClaimKind.BUILD_UP
            if _trend(text, ClaimKind.COUNT) is Change.INCREASE
            else ClaimKind.COUNT
        )
    elif band is not None and military:
        kind = ClaimKind.COUNT  # where forces are: "half of them are within 50 km of the border"
    else:
        return None
    if denied is ClaimKind.COUNT:
        denied = ClaimKind.BUILD_UP
    if denied is ClaimKind.MOVEMENT:
        # "no units moving away from the border": a withdrawal denied; "toward": a build-up
        away, toward = lx.AWAY.search(text), lx.TOWARD.search(text) or lx.TOWARD_ACROSS.search(text)
        if away is not None and (toward is None or away.start() < toward.start()):
            denied = ClaimKind.WITHDRAWAL
        elif toward is not None:
            denied = ClaimKind.BUILD_UP
    anchor = chosen.start if chosen else 0
    verbal_anchor = bool(chosen and chosen.verbal)
    force, explicit = _force(
        text, anchor, verbal_anchor, speaker_side, kind, previous_force, speaker_role
    )
    if not explicit and they_are is not None and _THEY_LEAD.match(text):
        force, explicit = they_are, True
    if chosen is not None and not chosen.verbal and speaker_role not in ("imagery", "analyst"):
        observed = lx.PERCEPTION.search(text) is not None
        of_forces = re.match(  # "the pullout of troops would take time"
            rf"\s+of\s+(?:the\s+|its\s+|their\s+|some\s+|all\s+)?(?:[\w-]+\s+)?"
            rf"{lx.MILITARY_NOUN.pattern}",
            text[chosen.end :],
            re.IGNORECASE,
        )
        # "Moscow appeared to be continuing its military build-up": the build-up goes on
        going_on = _GOING_ON.search(text[: chosen.start]) is not None
        if needs_military and not (
            explicit or quantity or places or band or observed or of_forces or going_on
        ):
            return None
    direction = _direction(text, kind)
    if (
        kind is ClaimKind.WITHDRAWAL
        and direction is Direction.TOWARD
        and chosen is not None
        and re.search(r"\b(?:left|leav\w*|depart\w*)\b", text[chosen.start : chosen.end], re.I)
        and re.match(r"[^,;]*\b(?:toward|towards|closer\s+to)\b", text[chosen.end :], re.I)
    ):
        kind = ClaimKind.MOVEMENT  # "left the city heading east toward the border"
    if kind is ClaimKind.MOVEMENT and direction is None and lx.INTO_PLACE.search(text):
        kind = ClaimKind.DEPLOYMENT
    trend = _trend(text, kind, quantity)
    unit = (
        quantity.unit if quantity else (_increased_unit(text) if trend is Change.INCREASE else None)
    )
    return Reading(
        kind=kind,
        verbal=bool(chosen and chosen.verbal),
        denied_kind=denied,
        direction=direction,
        quantity=quantity,
        unit=unit,
        force=force,
        force_explicit=explicit,
        places=places,
        region=(m.group(0) if (m := lx.REGION.search(text)) else None),
        band_km=band,
        trend=trend,
        future=future,
    )
