"""Text of a scraped page: typographic folding, clutter removal, sentence splitting.

``clean_paragraphs`` keeps prose: headlines and list items without a full stop, "Articles You
May Like" / "Trending now" lists, adverts, newsletter and cookie boxes, photo credits and bylines
are dropped. ``split_sentences`` keeps multi-sentence quotations whole.
"""

from __future__ import annotations

import re
from collections import Counter

from forcewatch.claims import lexicon as lx

_FOLD = str.maketrans(
    {"\u2019": "'", "\u2018": "'", "\u201c": '"', "\u201d": '"', "\u2013": "-", "\u2014": "-",
     "\u00a0": " ", "\u2032": "'"}
)  # fmt: skip


def fold(text: str) -> str:
    """Typographic quotes, apostrophes and dashes to ASCII; the length is unchanged."""
    return text.translate(_FOLD)


_TERMINAL = re.compile(r"[.!?][\"')\]]*$")
_PROSE_MIN_CHARS = 80
_BULLET = re.compile(r"^(?:[-*\u2022]|\d{1,2}[.)])\s+")
_BULLET_MIN_WORDS = 8  # a list item this long that ends a sentence is prose, not a link title
_LINK_LEAD = re.compile(
    r"(?:related|read\s+more|see\s+also|also\s+read|watch|listen|more\s+on|recommended"
    r"|explainer|analysis|opinion|live)\s*:",
    re.IGNORECASE,
)


# The signature under an embedded post: "— Jens Stoltenberg (@jensstoltenberg) February 16, 2022"
_POST_SIGNATURE = re.compile(
    r"^\s*(?:[-\u2014\u2013]+)\s*(?P<name>[^()@\n]{2,80}?)\s*\(@\w{1,30}\)\s*(?P<when>[^\n]{0,40})$"
)
_POST_CLUTTER = re.compile(r"\s*(?:pic\.twitter\.com/\S+|https?://\S+)", re.IGNORECASE)


def embedded_posts(text: str) -> str:
    """Embedded social-media posts as attributed sentences: the post's lines followed by its
    signature ("— Name (@handle) February 16, 2022") become "Name wrote on February 16, 2022
    that …", one sentence of the post at a time, so that the post is read as Name's words;
    links are dropped."""
    lines = text.splitlines()
    for i, line in enumerate(lines):
        sig = _POST_SIGNATURE.match(line)
        if sig is None:
            continue
        j = i - 1
        while j >= 0 and not lines[j].strip():
            j -= 1
        if j < 0:
            continue
        post = _POST_CLUTTER.sub("", lines[j]).strip().strip('"\u201c\u201d')
        if not post:
            continue
        if post[-1] not in ".!?":
            post += "."
        when = sig.group("when").strip()
        head = f"{sig.group('name').strip()} wrote" + (f" on {when}" if when else "")
        lines[j] = " ".join(f"{head} that {s}" for s in split_sentences(post))
        lines[i] = ""
    return "\n".join(lines)


# Hard-wrapped text (copied from a PDF, an e-mail or a plain-text newsletter): one sentence runs
# over several lines. A line "runs on" when it is nearly as long as the text's wrap width, or
# the next line starts in lower case; paragraphs start after a blank line, at a bullet, a dash,
# a "NAME:" turn or an indent.
_WRAP_MIN_LINES = 2  # lines ending mid-sentence, followed by text, before a text counts as wrapped
_WRAP_MIN_CHARS = 30  # shorter lines say nothing of the width
_WRAP_MAX_WIDTH = 130  # wider lines are paragraphs (one per line), as pages give them
_WRAP_FULL = 0.7  # a line at least this share of the wrap width was wrapped
_WRAP_OVERLONG = 1.3  # in wrapped text, hardly any line is this much wider than the width
_MID_SENTENCE = re.compile(r"[A-Za-z0-9,;\-]$")
_LIST_START = re.compile(r"^(?:[-*\u2022\u2013\u2014]|\d{1,2}[.)/]\s)")
# a "NAME:" turn or a "14:32" time starts a paragraph, unless the line before broke off
# mid-sentence ("... told the Security" / "Council: ...")
_TURN_START = re.compile(r"^(?:[A-Z][A-Za-z.' -]{0,40}:\s|\d{1,2}:\d{2}\b)")
# a line that cannot end a heading or a sentence: it runs on even into a capital
_DANGLING = re.compile(
    r"(?:,|\b(?:and|or|but|of|the|a|an|to|in|at|on|from|with|by|for|near|including|that|than"
    r"|as|its|their|his|her|said|says|told))$",
    re.IGNORECASE,
)
# a word split at a line end: "with-" / "drawal" is "withdrawal"; a compound keeps its hyphen
# ("Russian-" / "backed", "so-" / "called")
_HYPHEN_SPLIT = re.compile(r"(?<![A-Za-z])(?P<head>[a-z]+)-$")
_COMPOUND_HEAD = frozenset(
    "so self well non anti pro ex co cross counter long short full large small high low mid "
    "half all one two three four five six seven eight nine ten".split()
)
# page furniture between two halves of a sentence: "4", "Page 4 of 12", "CSIS | Page 4",
# "RUSSIA'S POSTURE ON UKRAINE'S BORDERS      3"
_PAGE_FURNITURE = re.compile(
    r"^(?:(?:page\s+)?\d{1,4}(?:\s+of\s+\d{1,4})?|.{0,80}?(?:\||\s{3,})\s*(?:page\s+)?\d{1,4}"
    r"|(?:page\s+)?\d{1,4}\s*(?:\||\s{3,}).{0,80})$",
    re.IGNORECASE,
)
_DIGITS = re.compile(r"\d+")
_RUNNING_HEAD_MIN = 3  # pages a short line must come back on to be a running head or foot
# a footnote mark after a word and its full stop or comma: "in late January.8 The ministry"
_FOOTNOTE = re.compile(r"(?<=[a-z)\"'][.,;:])\d{1,3}(?=\s|$)")


def _wrap_width(lines: list[str]) -> int | None:
    """The width a hard-wrapped text was wrapped at, or None when lines are paragraphs: most
    long lines followed by another line end mid-sentence, and hardly any line is much longer
    than the typical such line."""
    inner = [
        line
        for line, nxt in zip(lines, lines[1:], strict=False)
        if len(line) >= _WRAP_MIN_CHARS and nxt.strip()
    ]
    runs_on = sorted(len(line) for line in inner if _MID_SENTENCE.search(line))
    if len(runs_on) < _WRAP_MIN_LINES or 2 * len(runs_on) < len(inner):
        return None
    width = runs_on[len(runs_on) // 2]
    if width > _WRAP_MAX_WIDTH:
        return None
    # paragraphs on one line under short headlines (a live blog): not wrapped
    long_lines = [len(line) for line in lines if len(line) >= _WRAP_MIN_CHARS]
    overlong = sum(1 for n in long_lines if n > _WRAP_OVERLONG * width)
    return width if overlong * 10 <= len(long_lines) else None


def _running_heads(lines: list[str]) -> set[str]:
    """Running heads and feet: short lines that come back page after page (digits as "#")."""
    seen = Counter(_DIGITS.sub("#", line.strip()) for line in lines if len(line.strip()) <= 80)
    return {
        line for line, n in seen.items() if n >= _RUNNING_HEAD_MIN and not _TERMINAL.search(line)
    }


def unwrap(text: str) -> str:
    """Text with each paragraph on one line. A line whose sentence runs on into a next line
    starting in lower case is joined to it, in any text. In a hard-wrapped text
    (``_wrap_width``) a line nearly as long as the wrap width is joined to the next too, words
    split by a hyphen at a line end are rejoined ("with-" / "drawal"), page numbers and running
    heads between two halves of a sentence are dropped, and footnote marks after a full stop are
    removed. A paragraph starts at a bullet, a dash, a "NAME:" turn, a timestamp or an indent."""
    lines = [line.rstrip() for line in text.splitlines()]
    width = _wrap_width(lines)
    full = _WRAP_FULL * width if width is not None else float("inf")
    heads = _running_heads(lines) if width is not None else set()

    def furniture(line: str) -> bool:
        return not line or bool(_PAGE_FURNITURE.match(line)) or _DIGITS.sub("#", line) in heads

    out: list[str] = []
    last = ""  # the last physical line joined into out[-1]
    listed = False  # out[-1] is a list item, whose lines may hang indented
    i = 0
    while i < len(lines):
        line, stripped = lines[i], lines[i].strip()
        if width is not None and out and _MID_SENTENCE.search(last) and furniture(stripped):
            j = i  # a sentence cut by a page break: skip blank lines and page furniture
            while j < len(lines) and furniture(lines[j].strip()):
                j += 1
            if j < len(lines) and lines[j].strip()[:1].islower():
                i, line, stripped = j, lines[j], lines[j].strip()
        indented = len(line) - len(stripped) > len(last) - len(last.lstrip())
        broke_off = _MID_SENTENCE.search(last) is not None
        cut = broke_off and len(last) >= full  # a full line of a wrapped text, mid-sentence
        dash = stripped[:1] in "-\u2013\u2014" and stripped[1:].lstrip()[:1].islower()
        runs_on = (
            (stripped[:1].islower() and (width is not None or broke_off))
            or bool(_DANGLING.search(last))
            # 'Reznikov commented during a trip to the front:' / '"We believe only what ..."'
            or (last.endswith(":") and stripped[:1] in '"\u201c')
        )
        joins = (
            bool(out and last.strip() and stripped)
            and not (width is not None and (furniture(stripped) or furniture(last.strip())))
            and not (_LIST_START.match(stripped) and not (dash and cut))
            and not (_TURN_START.match(stripped) and not cut)
            and not (indented and stripped[:1].isupper() and not listed)
            and (runs_on or len(last) >= full)
        )
        split = _HYPHEN_SPLIT.search(last)
        if joins and last[-2:-1].isalpha() and last[-1] == "-" and stripped[:1].islower():
            word = split is not None and split.group("head") not in _COMPOUND_HEAD
            out[-1] = (out[-1][:-1] if word else out[-1]) + stripped
        elif joins:
            out[-1] = f"{out[-1]} {stripped}"
        else:
            out.append(line)
            listed = bool(_BULLET.match(stripped))
        last = line
        i += 1
    joined = "\n".join(out)
    return _FOOTNOTE.sub("", joined) if width is not None else joined


# social-media posts pasted as text: "3/8 " thread numbers, emoji, hashtags and handles at the
# end, "@DefenceU (Ukraine MoD)" for the account's name
_EMOJI = (
    "\U0001f000-\U0001faff\u203c\u2049\u2190-\u21ff\u2300-\u23ff\u2600-\u27bf\u2b00-\u2bff"
    "\ufe0f\u200d"
)
_THREAD_NUMBER = re.compile(r"^\(?\d{1,2}\s?/\s?\d{0,2}\)?\s+(?=\S)")
_TRAILING_TAGS = re.compile(rf"(?:\s*(?:[#@]\w+|/end\b|[{_EMOJI}]))+\s*$", re.IGNORECASE)
_EMOJI_STOP = re.compile(rf"(?<=[\w)%])\s*[{_EMOJI}]+\s+(?=[A-Z])")  # "near Gomel 🚁 That's up"
_EMOJI_RUN = re.compile(rf"\s*[{_EMOJI}]+")
_HANDLE_NAME = re.compile(r"@\w{1,30}\s*\(([^()]{2,60})\)")


# reference marks after the full stop: "[3]", "[12][13]", "[citation needed]"
_CITATION_END = re.compile(r"(?:\s?\[(?:\d{1,3}(?:[,\u2013-]\s?\d{1,3})*|[a-z ]{3,20})\])+$")
_POST_MIN_WORDS = 6  # a post this long is prose even when it ends without a full stop
# a line stamped with its time, as in a news ticker's or a live page's archive
_TICKER_TIME = re.compile(r"^[\[(]?\d{1,2}[:.]\d{2}(?::\d{2})?[\])]?\s")


def _post_text(para: str) -> str:
    """A paragraph without the trappings of a social-media post; a post of some length that
    ended in emoji or hashtags, not a full stop, gets one."""
    bare = _TRAILING_TAGS.sub("", _THREAD_NUMBER.sub("", para))
    post = bare != para
    bare = _HANDLE_NAME.sub(r"\1", _EMOJI_RUN.sub("", _EMOJI_STOP.sub(". ", bare)))
    if post and len(bare.split()) >= _POST_MIN_WORDS and not _TERMINAL.search(fold(bare)):
        bare += "."
    return bare


_READ_MORE = re.compile(
    r"\s*(?:read\s+more|continue\s+reading|read\s+the\s+full\s+(?:story|article)|share\s+this"
    r"(?:\s+article)?)\W*$",
    re.IGNORECASE,
)
_PROSE_RUN_ON_CHARS = 200
# an item's source in parentheses at its end: "(US Army Europe and Africa)", "(NATO official,
# via Reuters)"
_SOURCE_AT_END = re.compile(r"\s\((?P<src>[A-Z@][^()]{1,80})\)$")


def clean_paragraphs(text: str) -> list[str]:
    """Prose paragraphs of a scraped page, one per line, with clutter removed (embedded posts
    are first turned into attributed sentences, ``embedded_posts``)."""
    out: list[str] = []
    in_list = False
    for line in embedded_posts(unwrap(text)).splitlines():
        para = _post_text(" ".join(line.split()))
        if not para:
            continue
        folded = fold(para)
        if lx.LIST_HEADER.match(folded):
            in_list = True
            continue
        if folded.startswith(("^ ", "\u2191 ")):
            continue  # a reference list's entry: '^ "Shoigu: armies moved west", 13 April 2021.'
        bullet = _BULLET.match(folded)
        if bullet is not None and _LINK_LEAD.match(folded[bullet.end() :]):
            continue  # "* Related: ...", "- Read more: ..."
        if bullet is not None and len(folded[bullet.end() :].split()) >= _BULLET_MIN_WORDS:
            # "- Russia has moved 30,000 troops to Belarus, US officials said.": a sentence
            para, folded = para[bullet.end() :], folded[bullet.end() :]
            if folded.endswith((";", ",")):
                # a bulletin's items run on: "- the enemy is regrouping units ...;"
                para, folded = para[:-1] + ".", folded[:-1] + "."
            elif _SOURCE_AT_END.search(folded):
                # a digest's item with its source: "• Romania: About 1,000 soldiers ... (AP)"
                para, folded = para + ".", folded + "."
        if (
            _TICKER_TIME.match(folded)
            and len(folded.split()) > _POST_MIN_WORDS
            and not _TERMINAL.search(folded)
        ):  # a news ticker's line: "09:15 ▸ BŁASZCZAK: 2,000 SOLDIERS ... BEING SENT TO PODLASIE"
            para, folded = para + ".", folded + "."
        tail = _READ_MORE.search(folded)  # "... bases. Read more": the link is no text
        if tail is not None and tail.start() > 0:
            para, folded = para[: tail.start()], folded[: tail.start()]
        # a long paragraph of sentences is prose even when its last one lost its full stop
        sentences = len(para) >= _PROSE_RUN_ON_CHARS and ". " in folded
        ended = _TERMINAL.search(_CITATION_END.sub("", folded))  # "... border.[3]"
        is_prose = bool(ended or sentences) and not folded.startswith(("-", "*", "\u2022"))
        if in_list and not (is_prose and len(para) >= _PROSE_MIN_CHARS):
            continue
        in_list = False
        short = len(para) <= lx.CLUTTER_MAX_CHARS  # a long paragraph is prose whatever it names
        clutter = short and (lx.CLUTTER_LINE.search(folded) or lx.BYLINE.search(folded))
        if is_prose and not clutter:
            out.append(para)
    return out


_ABBREV = re.compile(
    r"(?:\b(?:Mr|Mrs|Ms|Dr|Gen|Lt|Col|Sgt|Capt|Adm|Maj|Sen|Rep|St|No|vs|etc|Jan|Feb|Mar|Apr|Jun"
    r"|Jul|Aug|Sep|Sept|Oct|Nov|Dec|approx|e\.g|i\.e)|\b[A-Z](?:\.[A-Z])*)$"
)


def split_sentences(paragraph: str) -> list[str]:
    """Sentences of a paragraph. A quotation is kept whole even when it holds several sentences;
    abbreviations ("U.S.", "Mr.", "Feb.") do not end a sentence."""
    text = fold(paragraph)
    out: list[str] = []
    start = 0
    double = single = False
    n = len(text)
    for i, ch in enumerate(text):
        prev = text[i - 1] if i else " "
        nxt = text[i + 1] if i + 1 < n else " "
        closing = False
        if ch == '"':
            closing = double
            double = not double
        elif ch == "'" and not (prev.isalnum() and nxt.isalnum()):
            if single and not prev.isspace():
                single, closing = False, True
            elif not single and (prev.isspace() or prev in "([") and not nxt.isspace():
                single = True
        inside = double or single
        ends = (ch in ".!?" and not inside and not _ABBREV.search(text[start:i])) or (
            closing and prev in ".!?" and not inside
        )
        if ends and (i + 1 == n or (nxt == " " and i + 2 < n and not text[i + 2].islower())):
            if ch in ".!?" and nxt in "\"'":
                continue
            out.append(paragraph[start : i + 1].strip())
            start = i + 1
    if paragraph[start:].strip():
        out.append(paragraph[start:].strip())
    return [piece for s in out if s for piece in _bounded(s)]


MAX_SENTENCE_CHARS = 1500  # real sentences (and quotations kept whole) are far shorter


def _bounded(sentence: str) -> list[str]:
    """A run-on "sentence" (a page without full stops) cut at clause boundaries, so that the
    attribution rules, which look back from each verb, stay linear in the text's length."""
    pieces = []
    while len(sentence) > MAX_SENTENCE_CHARS:
        cut = max(sentence.rfind(sep, 0, MAX_SENTENCE_CHARS) for sep in ("; ", ", ", " "))
        cut = cut if cut > 0 else MAX_SENTENCE_CHARS
        pieces.append(sentence[: cut + 1].strip())
        sentence = sentence[cut + 1 :]
    return [*pieces, sentence.strip()] if sentence.strip() else pieces
