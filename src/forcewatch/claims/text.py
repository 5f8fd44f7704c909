"""Text of a scraped page: typographic folding, clutter removal, sentence splitting.

``clean_paragraphs`` keeps prose: headlines and list items without a full stop, "Articles You
May Like" / "Trending now" lists, adverts, newsletter and cookie boxes, photo credits and bylines
are dropped. ``split_sentences`` keeps multi-sentence quotations whole.
"""

from __future__ import annotations

import re

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


def clean_paragraphs(text: str) -> list[str]:
    """Prose paragraphs of a scraped page, one per line, with clutter removed (embedded posts
    are first turned into attributed sentences, ``embedded_posts``)."""
    out: list[str] = []
    in_list = False
    for line in embedded_posts(text).splitlines():
        para = " ".join(line.split())
        if not para:
            continue
        folded = fold(para)
        if lx.LIST_HEADER.match(folded):
            in_list = True
            continue
        bullet = _BULLET.match(folded)
        if bullet is not None and _LINK_LEAD.match(folded[bullet.end() :]):
            continue  # "* Related: ...", "- Read more: ..."
        if bullet is not None and len(folded[bullet.end() :].split()) >= _BULLET_MIN_WORDS:
            # "- Russia has moved 30,000 troops to Belarus, US officials said.": a sentence
            para, folded = para[bullet.end() :], folded[bullet.end() :]
        is_prose = bool(_TERMINAL.search(folded)) and not folded.startswith(("-", "*", "\u2022"))
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
