"""Canonical speakers: who says things about the 2021-22 build-up, and how the press names them.

Each entry maps the ways a speaker is written ("Blinken", "U.S. Secretary of State Antony
Blinken", "the top US diplomat") to one canonical name ("Antony Blinken, US Secretary of State")
and records the speaker's side and role. Titles alone map to the person who held the office in
2021-22 ("Russian defence minister" -> Sergei Shoigu). Generic state names ("Russia", "Moscow",
"Minsk") map to a government and, for operational claims (withdrawals, exercises, movements),
to the ministry that makes such announcements (``military_voice``).

Names not in the table are canonicalised from their raw form ("Lithuanian defence minister
Arvydas Anusauskas" -> "Arvydas Anusauskas, Lithuanian defence minister"; "a senior Polish
official" -> "Polish official (anonymous)").
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from forcewatch.claims import lexicon as lx

_A = "['\u2019]"  # apostrophe, straight or curly
_US = r"(?-i:US|U\.S\.?|American)"
_DEF = r"defen[cs]e"
# the country's name as an adjective too, and the short forms of posts: "Belarus MoD", "RU MoD"
_RU = rf"(?:Russian|Russia(?:{_A}s)?|(?-i:RU|RF))"
_BY = rf"(?:Belarusian|Belarussian|Belarus(?:{_A}s?)?)"
_UA = rf"(?:Ukrainian|Ukraine(?:{_A}s)?|(?-i:UA))"
_UK = rf"(?:British|Britain{_A}s|(?-i:UK|U\.K\.)(?:{_A}s)?)"


@dataclass(frozen=True)
class SpeakerEntry:
    """One canonical speaker and the regular expressions (case-insensitive) that name it.

    ``side``: russia, us, nato, uk, ukraine, belarus, eu, analyst, media, imagery, other;
    third for the states of other conflicts (``lexicon.OTHER_STATES``), whose forces are "unknown".
    ``role``: person, body, state, anonymous, analyst, media, imagery.
    """

    canonical: str
    side: str
    role: str
    patterns: tuple[str, ...]
    military_voice: str | None = None


def _p(
    canonical: str, side: str, role: str, *patterns: str, military: str | None = None
) -> SpeakerEntry:
    return SpeakerEntry(canonical, side, role, tuple(patterns), military)


def _state_entries(
    name: str, adjective: str, capital: str, side: str, third: bool
) -> tuple[SpeakerEntry, SpeakerEntry]:
    """A state's defence ministry and government. For a state of another conflict (``third``)
    its armed forces speak for the ministry ("the Israeli military said it had deployed") and
    its name for the government; an ally's name is left to be a place ("troops in Poland")."""
    military = (
        rf"(?:the\s+)?(?:{adjective}|{name}{_A}s)\s+(?:military|army|armed\s+forces|navy"
        r"|air\s+force|defen[cs]e\s+forces)"
    )
    return (
        _p(
            f"{adjective} Ministry of Defence",
            side,
            "body",
            rf"(?:{adjective}|{name}{_A}s)\s+(?:(?:national\s+)?{_DEF}\s+ministry"
            rf"|ministry\s+of\s+(?:national\s+)?{_DEF}|MoD)",
            rf"(?:ministry\s+of\s+(?:national\s+)?{_DEF}|{_DEF}\s+ministry)\s+of\s+{name}",
            *([military] if third else []),
        ),
        _p(
            f"{adjective} government",
            side,
            "state",
            rf"(?-i:{name}|{capital})(?!{_A}s)" if third else rf"(?-i:{capital})(?!{_A}s)",
            rf"(?:the\s+)?{adjective}\s+government",
        ),
    )


RU_MOD = "Russian Ministry of Defence"
BY_MOD = "Belarusian Ministry of Defence"
UA_MOD = "Ukrainian Ministry of Defence"

SPEAKERS: tuple[SpeakerEntry, ...] = (
    # Russia
    _p(
        "Vladimir Putin, President of Russia",
        "russia",
        "person",
        r"(?:Vladimir\s+)?Putin",
        rf"{_RU}\s+president",
        r"the\s+Russian\s+leader",
        r"(?:the\s+)?President\s+of\s+(?:Russia|the\s+Russian\s+Federation)",
    ),
    _p(
        "Dmitry Peskov, Kremlin spokesman",
        "russia",
        "person",
        r"(?:Dmitry\s+|Dmitri\s+)?Peskov",
        rf"(?:the\s+)?Kremlin(?:{_A}s)?\s+spokes(?:man|person)",
    ),
    _p(
        "Sergei Lavrov, Russian Foreign Minister",
        "russia",
        "person",
        r"(?:Sergei\s+|Sergey\s+)?Lavrov",
        rf"{_RU}\s+foreign\s+minister",
    ),
    _p(
        "Sergei Shoigu, Russian Defence Minister",
        "russia",
        "person",
        r"(?:Sergei\s+|Sergey\s+)?Shoigu",
        rf"{_RU}\s+{_DEF}\s+minister",
    ),
    _p(
        "Valery Gerasimov, Chief of the Russian General Staff",
        "russia",
        "person",
        r"(?:Valery\s+)?Gerasimov",
    ),
    _p(
        "Igor Konashenkov, Russian Defence Ministry spokesman",
        "russia",
        "person",
        r"(?:Igor\s+)?Konashenkov",
        rf"{_RU}\s+{_DEF}\s+ministry\s+spokes(?:man|person)",
    ),
    _p(
        "Maria Zakharova, Russian Foreign Ministry spokeswoman",
        "russia",
        "person",
        r"(?:Maria\s+)?Zakharova",
        rf"{_RU}\s+foreign\s+ministry\s+spokes(?:woman|person)",
    ),
    _p(
        "Dmitry Polyanskiy, Russian Deputy UN Ambassador",
        "russia",
        "person",
        r"(?:Dmitry\s+)?Polyanskiy",
        r"(?:Dmitry\s+)?Polyansky",
    ),
    _p(
        "Vasily Nebenzya, Russian UN Ambassador",
        "russia",
        "person",
        r"(?:Vasily\s+|Vassily\s+)?Nebenz[yi]a",
    ),
    _p(
        "Sergei Ryabkov, Russian Deputy Foreign Minister",
        "russia",
        "person",
        r"(?:Sergei\s+)?Ryabkov",
    ),
    _p(
        RU_MOD,
        "russia",
        "body",
        rf"{_RU}\s+{_DEF}\s+ministry",
        rf"{_RU}\s+ministry\s+of\s+{_DEF}",
        rf"{_RU}\s+MoD",
        rf"(?:ministry\s+of\s+{_DEF}|{_DEF}\s+ministry)\s+of\s+(?:the\s+)?(?:Russian\s+Federation|Russia)",
        rf"(?:the\s+)?{_DEF}\s+ministry\s+in\s+Moscow",
        rf"Moscow{_A}s\s+{_DEF}\s+ministry",
        rf"(?:the\s+)?{_RU}\s+(?:military|army|armed\s+forces)(?!\s+(?:build-?\s?up|presence|activity))",
        # the press services of its military districts and fleets speak for it
        r"(?:the\s+)?(?:(?:Western|Southern|Eastern|Central|Northern)\s+Military\s+District|district|"
        r"(?:Black\s+Sea|Baltic|Northern)\s+Fleet|fleet)(?:'s)?\s+press\s+(?:service|office)",
    ),
    _p(
        "Russian Foreign Ministry",
        "russia",
        "body",
        rf"{_RU}\s+foreign\s+ministry",
        rf"{_RU}\s+ministry\s+of\s+foreign\s+affairs",
        rf"{_RU}\s+MFA",
        r"(?:the\s+)?foreign\s+ministry\s+in\s+Moscow",
    ),
    _p("Kremlin", "russia", "body", r"(?:the\s+)?Kremlin"),
    _p(
        "Russian officials (anonymous)",
        "russia",
        "anonymous",
        r"(?:an?\s+|one\s+)?(?:senior\s+)?Russian\s+(?:military\s+|government\s+)?officials?",
        r"officials?\s+in\s+Moscow",
    ),
    _p(
        "Russian government",
        "russia",
        "state",
        r"(?-i:Russia)",
        r"(?-i:Moscow)",
        r"the\s+Russians",
        r"(?:the\s+)?Russian\s+(?:government|authorities)",
        military=RU_MOD,
    ),
    # United States
    _p(
        "Joe Biden, US President",
        "us",
        "person",
        r"(?:President\s+)?(?:Joe\s+)?Biden",
        rf"{_US}\s+President",
        r"the\s+US\s+leader",
        r"(?:the\s+)?President\s+of\s+the\s+United\s+States",
    ),
    _p(
        "Antony Blinken, US Secretary of State",
        "us",
        "person",
        r"(?:Antony\s+|Anthony\s+|Tony\s+)?Blinken",
        rf"(?:{_US}\s+)?Secretary\s+of\s+State",
        rf"(?:the\s+)?top\s+{_US}\s+diplomat",
    ),
    _p(
        "Lloyd Austin, US Secretary of Defense",
        "us",
        "person",
        r"(?:Lloyd\s+)?Austin",
        rf"(?:{_US}\s+)?(?:Secretary\s+of\s+{_DEF}|{_DEF}\s+Secretary)",
        r"(?:the\s+)?Pentagon\s+chief",
    ),
    _p(
        "John Kirby, Pentagon spokesman",
        "us",
        "person",
        r"(?:John\s+)?Kirby",
        rf"(?:an?\s+|the\s+)?Pentagon(?:{_A}s)?\s+(?:spokes(?:man|person)|press\s+secretary)",
    ),
    _p(
        "Jake Sullivan, US National Security Adviser",
        "us",
        "person",
        r"(?:Jake\s+)?Sullivan",
        rf"(?:{_US}\s+)?national\s+security\s+advis[eo]r",
    ),
    _p(
        "Ned Price, US State Department spokesman",
        "us",
        "person",
        r"(?:Ned\s+)?Price(?=\s+(?:said|says|told))",
        r"State\s+Department\s+spokes(?:man|person)",
    ),
    _p(
        "Jen Psaki, White House press secretary",
        "us",
        "person",
        r"(?:Jen\s+)?Psaki",
        r"White\s+House\s+press\s+secretary",
    ),
    _p(
        "Mark Milley, Chairman of the US Joint Chiefs of Staff",
        "us",
        "person",
        r"(?:General\s+|Gen\.\s+)?(?:Mark\s+)?Milley",
    ),
    _p(
        "Linda Thomas-Greenfield, US Ambassador to the UN",
        "us",
        "person",
        r"(?:Linda\s+)?Thomas-Greenfield",
    ),
    _p(
        "US State Department officials (anonymous)",
        "us",
        "anonymous",
        rf"(?:an?\s+|one\s+)?(?:senior\s+)?(?:{_US}\s+)?State\s+Department\s+officials?",
    ),
    _p(
        "US intelligence officials (anonymous)",
        "us",
        "anonymous",
        rf"(?:an?\s+|one\s+)?(?:senior\s+)?{_US}\s+intelligence(?:\s+officials?|\s+agencies)?",
    ),
    _p("US and NATO officials (anonymous)", "us", "anonymous", rf"{_US}\s+and\s+NATO\s+officials"),
    _p(
        "US officials (anonymous)",
        "us",
        "anonymous",
        rf"(?:an?\s+|one\s+|two\s+|several\s+)?(?:senior\s+|top\s+)?(?:{_US}|Biden)\s+"
        rf"(?:administration\s+|defen[cs]e\s+|military\s+|government\s+)?officials?",
        r"(?:an?\s+|one\s+)?(?:senior\s+)?(?:Biden\s+)?administration\s+officials?",
        r"(?:an?\s+|one\s+)?(?:senior\s+)?(?:White\s+House|Pentagon)\s+officials?",
        rf"{_US}\s+and\s+(?:Ukrainian|British|European|allied|Western)\s+officials",
        r"officials?\s+in\s+Washington",
    ),
    _p(
        "US Department of Defense",
        "us",
        "body",
        r"(?:the\s+)?Pentagon",
        rf"(?:the\s+)?{_US}\s+(?:Department\s+of\s+{_DEF}|{_DEF}\s+Department)",
        rf"(?:the\s+)?(?:{_US}\s+)?(?-i:DoD)",
    ),
    _p("US State Department", "us", "body", rf"(?:the\s+)?(?:{_US}\s+)?State\s+Department"),
    _p("White House", "us", "body", r"(?:the\s+)?White\s+House"),
    _p(
        "US government",
        "us",
        "state",
        r"(?:the\s+)?United\s+States",
        r"(?-i:the\s+US\b|the\s+U\.S\.)",
        rf"{_US}\s+(?:and\s+(?:Ukrainian|British|allied|Western|NATO)\s+)?(?:intelligence\s+)?"
        r"(?:estimates|assessments|figures)",
        r"(?-i:Washington)(?!\s+Post)",
    ),
    # NATO, UK, EU
    _p(
        "Jens Stoltenberg, NATO Secretary General",
        "nato",
        "person",
        r"(?:Jens\s+)?Stoltenberg",
        rf"NATO(?:{_A}s)?\s+(?:secretary[\s-]+general|secretary|chief)",
    ),
    _p(
        "NATO officials (anonymous)",
        "nato",
        "anonymous",
        r"(?:an?\s+|one\s+)?(?:senior\s+)?(?:NATO|allied|Western)\s+(?:military\s+|intelligence\s+)?"
        r"officials?",
    ),
    _p(
        "NATO",
        "nato",
        "body",
        r"(?-i:NATO|Nato)(?:\s+(?:defen[cs]e|foreign)\s+ministers)?",
        r"the\s+(?:Western\s+)?alliance",
    ),
    _p(
        "Western governments",
        "nato",
        "state",
        r"(?-i:the\s+West)",
        r"(?-i:Western)\s+(?:countries|governments|nations|capitals|allies|leaders|powers"
        r"|estimates|assessments)",
    ),
    _p(
        "Boris Johnson, UK Prime Minister",
        "uk",
        "person",
        r"(?:Boris\s+)?Johnson",
        rf"{_UK}\s+prime\s+minister",
    ),
    _p(
        "Ben Wallace, UK Defence Secretary",
        "uk",
        "person",
        r"(?:Ben\s+)?Wallace",
        rf"{_UK}\s+{_DEF}\s+secretary",
    ),
    _p(
        "James Heappey, UK Armed Forces Minister",
        "uk",
        "person",
        r"(?:James\s+)?Heappey",
        rf"{_UK}\s+armed\s+forces\s+minister",
    ),
    _p(
        "Liz Truss, UK Foreign Secretary",
        "uk",
        "person",
        r"(?:Liz\s+)?Truss",
        rf"{_UK}\s+foreign\s+secretary",
    ),
    _p(
        "UK Ministry of Defence",
        "uk",
        "body",
        rf"{_UK}\s+(?:{_DEF}\s+ministry|ministry\s+of\s+{_DEF}|MoD)",
        rf"{_UK}\s+(?:{_DEF}\s+)?intelligence",
        r"(?:UK\s+)?Defence\s+Intelligence(?!\s+(?:of|Directorate|Service)\b)",
    ),
    _p(
        "UK officials (anonymous)",
        "uk",
        "anonymous",
        rf"(?:an?\s+|one\s+)?(?:senior\s+)?{_UK}\s+(?:government\s+)?officials?",
    ),
    _p("UK government", "uk", "state", r"(?-i:Britain|London|the\s+UK)"),
    _p("Josep Borrell, EU foreign policy chief", "eu", "person", r"(?:Josep\s+)?Borrell"),
    _p("Emmanuel Macron, President of France", "other", "person", r"(?:Emmanuel\s+)?Macron"),
    _p("Olaf Scholz, German Chancellor", "other", "person", r"(?:Olaf\s+)?Scholz"),
    # Ukraine
    _p(
        "Volodymyr Zelensky, President of Ukraine",
        "ukraine",
        "person",
        r"(?:Volodymyr\s+)?Zelensk(?:y|iy|yy)",
        rf"{_UA}\s+president",
        r"(?:the\s+)?President\s+of\s+Ukraine",
    ),
    _p(
        "Oleksii Reznikov, Ukrainian Defence Minister",
        "ukraine",
        "person",
        r"(?:Oleksii\s+|Oleksiy\s+)?Reznikov",
        rf"{_UA}\s+{_DEF}\s+minister",
    ),
    _p(
        "Dmytro Kuleba, Ukrainian Foreign Minister",
        "ukraine",
        "person",
        r"(?:Dmytro\s+)?Kuleba",
        rf"{_UA}\s+foreign\s+minister",
    ),
    _p(
        "Kyrylo Budanov, Ukrainian military intelligence chief",
        "ukraine",
        "person",
        r"(?:Kyrylo\s+)?Budanov",
    ),
    _p(
        "Oleksiy Danilov, Ukrainian security council secretary",
        "ukraine",
        "person",
        r"(?:Oleksiy\s+|Oleksii\s+)?Danilov",
    ),
    _p(
        UA_MOD,
        "ukraine",
        "body",
        rf"{_UA}\s+(?:{_DEF}\s+ministry|ministry\s+of\s+{_DEF}|MoD)",
        rf"(?:ministry\s+of\s+{_DEF}|{_DEF}\s+ministry)\s+of\s+Ukraine",
    ),
    _p(
        "Ukrainian General Staff",
        "ukraine",
        "body",
        r"(?:the\s+)?General\s+Staff\s+of\s+(?:the\s+)?(?:Armed\s+Forces\s+of\s+)?Ukraine",
        rf"{_UA}\s+(?:General\s+Staff|armed\s+forces|military)(?!\s+intelligence)",
    ),
    _p(
        "Ukrainian military intelligence",
        "ukraine",
        "body",
        rf"{_UA}\s+(?:military\s+|{_DEF}\s+)?intelligence(?:\s+agency)?",
        # "the Defence Intelligence of Ukraine", "the Main Intelligence Directorate of Ukraine"
        rf"(?:(?:Main|Chief)\s+)?(?:{_DEF}\s+)?Intelligence\s+(?:Directorate\s+)?of\s+(?:the\s+)?"
        rf"(?:Ministry\s+of\s+{_DEF}\s+of\s+)?Ukraine",
        r"(?-i:HUR|GUR)",
    ),
    _p(
        "Ukrainian officials (anonymous)",
        "ukraine",
        "anonymous",
        rf"(?:an?\s+|one\s+)?(?:senior\s+)?{_UA}\s+(?:military\s+|government\s+)?officials?",
        r"officials?\s+in\s+(?:Kyiv|Kiev)",
    ),
    _p("Ukrainian government", "ukraine", "state", r"(?-i:Kyiv|Kiev)"),
    # Belarus
    _p(
        "Alexander Lukashenko, President of Belarus",
        "belarus",
        "person",
        r"(?:Alexander\s+|Aleksandr\s+)?Lukashenko",
        rf"{_BY}\s+(?:leader|president)",
    ),
    _p(
        "Viktor Khrenin, Belarusian Defence Minister",
        "belarus",
        "person",
        r"(?:Viktor\s+)?Khrenin",
        rf"{_BY}\s+{_DEF}\s+minister",
    ),
    _p(
        BY_MOD,
        "belarus",
        "body",
        rf"{_BY}\s+(?:{_DEF}\s+ministry|ministry\s+of\s+{_DEF}|MoD|military|army|armed\s+forces)",
        rf"(?:ministry\s+of\s+{_DEF}|{_DEF}\s+ministry)\s+of\s+(?:the\s+)?(?:Republic\s+of\s+)?Belarus",
    ),
    _p("Belarusian government", "belarus", "state", r"(?-i:Minsk)", military=BY_MOD),
    # Analysts and imagery providers
    _p(
        "Maxar Technologies",
        "analyst",
        "analyst",
        r"(?:analysts\s+at\s+|researchers\s+at\s+)?Maxar(?:\s+Technologies)?",
    ),
    _p("Konrad Muzyka, Rochan Consulting", "analyst", "person", r"(?:Konrad\s+)?Muzyka"),
    _p("Rochan Consulting", "analyst", "analyst", r"Rochan(?:\s+Consulting)?"),
    _p(
        "Conflict Intelligence Team",
        "analyst",
        "analyst",
        r"(?:the\s+)?Conflict\s+Intelligence\s+Team",
        r"(?-i:CIT)",
    ),
    _p(
        "Institute for the Study of War",
        "analyst",
        "analyst",
        r"(?:the\s+)?Institute\s+for\s+the\s+Study\s+of\s+War",
        r"(?-i:ISW)",
    ),
    _p("Janes", "analyst", "analyst", r"Jane[\u2019']?s"),
    _p(
        "CSIS",
        "analyst",
        "analyst",
        r"(?-i:CSIS)",
        r"(?:the\s+)?Center\s+for\s+Strategic\s+and\s+International\s+Studies",
    ),
    _p("Planet Labs", "analyst", "analyst", r"Planet\s+Labs"),
    _p("Capella Space", "analyst", "analyst", r"Capella(?:\s+Space)?"),
    _p("BlackSky", "analyst", "analyst", r"BlackSky"),
    _p("Bellingcat", "analyst", "analyst", r"Bellingcat"),
    _p("Michael Kofman, CNA", "analyst", "person", r"(?:Michael\s+)?Kofman"),
    _p(
        "Rob Lee, Foreign Policy Research Institute",
        "analyst",
        "person",
        r"Rob\s+Lee",
        r"(?-i:Lee)(?=\s+(?:said|says|wrote|told))",
    ),
    _p(
        "open-source analysts",
        "analyst",
        "anonymous",
        r"(?:independent\s+|western\s+)?(?:open[-\s]source|OSINT)\s+(?:analysts|researchers|investigators)",
        r"(?:independent\s+)?(?:military\s+)?analysts",
    ),
    _p(
        "Satellite imagery (unattributed)",
        "imagery",
        "imagery",
        r"(?:(?:the|fresh|new|latest|previous|recent|commercial|these|those)\s+)*"
        r"(?:satellite\s+|aerial\s+)?(?:images|imagery|pictures|photos|photographs)",
    ),
    # Media relaying reports
    _p("The Washington Post", "media", "media", r"(?:The\s+)?Washington\s+Post", r"the\s+Post"),
    _p("The New York Times", "media", "media", r"(?:The\s+)?New\s+York\s+Times"),
    _p("The Times", "media", "media", r"(?-i:The\s+Times|the\s+Times)"),
    _p("The Wall Street Journal", "media", "media", r"(?:The\s+)?Wall\s+Street\s+Journal"),
    _p("CNN", "media", "media", r"(?-i:CNN)"),
    _p("BBC", "media", "media", r"(?-i:BBC)"),
    _p("Reuters", "media", "media", r"Reuters"),
    _p("Associated Press", "media", "media", r"(?:the\s+)?Associated\s+Press", r"(?-i:AP)"),
    _p("AFP", "media", "media", r"(?-i:AFP)", r"Agence\s+France[-\s]Presse"),
    _p("Bloomberg", "media", "media", r"Bloomberg"),
    _p("Politico", "media", "media", r"Politico"),
    _p("Financial Times", "media", "media", r"(?:The\s+)?Financial\s+Times"),
    _p("The Guardian", "media", "media", r"(?:The\s+)?Guardian"),
    _p("Sky News", "media", "media", r"Sky\s+News"),
    _p("TASS", "media", "media", r"(?-i:TASS|Tass)"),
    _p("RIA Novosti", "media", "media", r"RIA(?:\s+Novosti)?"),
    _p("Interfax", "media", "media", r"Interfax"),
    *(
        entry
        for name, adjective, capital in lx.ALLIED_STATES
        for entry in _state_entries(name, adjective, capital, "nato", third=False)
    ),
    *(
        entry
        for name, adjective, capital in lx.OTHER_STATES
        for entry in _state_entries(name, adjective, capital, "third", third=True)
    ),
)

# for "she" and "he": the women among the people above
FEMALE_SPEAKERS = frozenset(
    {
        "Maria Zakharova, Russian Foreign Ministry spokeswoman",
        "Jen Psaki, White House press secretary",
        "Linda Thomas-Greenfield, US Ambassador to the UN",
        "Liz Truss, UK Foreign Secretary",
    }
)

_COMPILED: tuple[tuple[SpeakerEntry, re.Pattern[str]], ...] = tuple(
    (entry, re.compile(rf"(?<![\w-])(?:{'|'.join(entry.patterns)})(?![\w-])", re.IGNORECASE))
    for entry in SPEAKERS
)
_BY_NAME = {entry.canonical: entry for entry in SPEAKERS}


@dataclass(frozen=True)
class SpeakerMention:
    """A span of text (character offsets, end exclusive) naming a known speaker."""

    start: int
    end: int
    entry: SpeakerEntry


def speaker_mentions(text: str) -> list[SpeakerMention]:
    """Non-overlapping mentions of known speakers in ``text``, in order; longest wins overlaps."""
    found = [
        SpeakerMention(m.start(), m.end(), entry)
        for entry, rx in _COMPILED
        for m in rx.finditer(text)
    ]
    found.sort(key=lambda m: (-(m.end - m.start), m.start))
    taken: list[SpeakerMention] = []
    for m in found:
        if all(m.end <= t.start or m.start >= t.end for t in taken):
            taken.append(m)
    return sorted(taken, key=lambda m: m.start)


def lookup_speaker(raw: str) -> SpeakerEntry | None:
    """The known speaker named in ``raw`` (the longest match), or None."""
    mentions = speaker_mentions(raw)
    if not mentions:
        return None
    return max(mentions, key=lambda m: m.end - m.start).entry


def entry_for(canonical: str) -> SpeakerEntry | None:
    """The table entry with this canonical name, or None."""
    return _BY_NAME.get(canonical)


_DETERMINER = re.compile(r"^(?:the|a|an|one|two|several|some|other)\s+", re.IGNORECASE)
# a title word is not part of the name: "Belarusian Foreign Minister Vladimir Makei"
_TITLE_WORD = (
    r"(?:Minister|Secretary|President|General|Ambassador|Chief|Spokes(?:man|woman|person)"
    r"|Director|Commander|Chancellor|Envoy|Adviser|Advisor|Deputy|Head|Chairman|Colonel"
    r"|Lieutenant|Major|Admiral|Gen\.|Lt\.|Col\.|Defen[cs]e|Affairs|Staff|Security|Intelligence"
    r"|Forces|Interior|Ministry|Department|Office|Operations)"
)
# "Prime Minister of Ukraine Denys Shmyhal": a country ends the title, it starts no name
_STATE_WORD = (
    r"(?:Ukraine|Russia|Belarus|Poland|Lithuania|Latvia|Estonia|Germany|France|Britain|Romania"
    r"|Moldova|Georgia|Finland|Sweden|NATO|America|Canada)"
)
_TRAILING_NAME = re.compile(
    rf"^(?P<title>.*?\S)\s+(?P<name>(?:(?!(?:{_TITLE_WORD}|{_STATE_WORD})\s)[A-Z][\w'\u2019.-]+\s+){{1,2}}"
    r"[A-Z][\w'\u2019-]+)$"
)
_NAME_OF = re.compile(
    r"^(?P<name>[A-Z][\w'\u2019.-]+(?:\s+[A-Z][\w'\u2019-]+){1,2})\s+of\s+(?:the\s+)?"
    r"(?P<org>[A-Z][\w'\u2019&.-]*(?:\s+[A-Z][\w'\u2019&.-]*){0,4})$"
)
_PLURAL_OR_ANON = re.compile(
    r"\b(?:officials?|sources?|diplomats?|analysts|experts|researchers|people|insiders|officers?)$",
    re.IGNORECASE,
)


_ROLE_AFTER = re.compile(
    r"\b(?:officials?|diplomats?|sources?|spokes(?:man|woman|person)|officers?|commanders?"
    r"|analysts?|experts?|minister|envoy|ambassador|adviser|advisor)\s*$",
    re.IGNORECASE,
)


def canonical_speaker(raw: str) -> str:
    """Canonical name for a raw speaker mention (see the module docstring for unknown names)."""
    raw = " ".join(raw.split()).strip(" ,;:\"'\u2019\u201c\u201d")
    mentions = speaker_mentions(raw)
    if mentions:
        longest = max(mentions, key=lambda m: m.end - m.start)
        # "a senior NATO diplomat" names a member of NATO's staff, not NATO itself
        if not _ROLE_AFTER.search(raw[longest.end :]):
            return longest.entry.canonical
    anonymous = bool(re.match(r"^(?:an?|one|two|several|some)\s", raw, re.IGNORECASE))
    bare = _DETERMINER.sub("", raw)
    of = _NAME_OF.match(bare)  # "Kateryna Marsh of Sentinel OSINT"
    if of is not None and not re.search(rf"\b{_TITLE_WORD}\b|\bPrime\b", of.group("name")):
        return f"{of.group('name')}, {of.group('org')}"
    named = _TRAILING_NAME.match(bare)
    if named and named.group("title")[0].isalpha():
        return f"{named.group('name')}, {named.group('title')}"
    if anonymous or _PLURAL_OR_ANON.search(bare):
        bare = re.sub(r"^(?:senior|top|high-ranking)\s+", "", bare, flags=re.IGNORECASE)
        return f"{bare} (anonymous)"
    return bare
