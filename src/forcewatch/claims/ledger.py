"""The claim ledger: YAML import/export of claims, and building a claim from CLI flags.

A ledger file is a mapping ``{version: 1, claims: [...]}`` (a bare list of claims is accepted
too); each claim is a mapping of ``Claim`` fields, dates as ``YYYY-MM-DD``. ``id`` and the
window may be left out: they are filled in (``model.claim_id``, ``model.default_window``).
Every problem is an ``InputError`` naming the file and line: malformed YAML, unknown fields,
bad dates, bad enum values, duplicate ids.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import date
from importlib import resources
from pathlib import Path
from typing import Any

import yaml
from pydantic import ValidationError

from forcewatch.claims.model import (
    Change,
    Claim,
    ClaimKind,
    Direction,
    Force,
    QuantityQualifier,
    new_claim,
)
from forcewatch.errors import InputError
from forcewatch.yamlfile import UniqueKeyLoader

LEDGER_VERSION = 1
SCENARIO_LEDGER = "scenario_claims.yaml"


class _NoDatesLoader(UniqueKeyLoader):
    """SafeLoader that leaves dates as strings, so that pydantic reports bad ones with a line,
    and refuses a key given twice."""


_NoDatesLoader.yaml_implicit_resolvers = {
    first: [(tag, rx) for tag, rx in resolvers if tag != "tag:yaml.org,2002:timestamp"]
    for first, resolvers in yaml.SafeLoader.yaml_implicit_resolvers.items()
}


def _line_of(node: yaml.Node | None, loc: Sequence[int | str]) -> int | None:
    """1-based line of the node at ``loc`` below ``node`` (or of its deepest existing parent)."""
    line = None if node is None else node.start_mark.line + 1
    for key in loc:
        if isinstance(node, yaml.MappingNode):
            pairs = [(k, v) for k, v in node.value if getattr(k, "value", None) == key]
            if not pairs:
                return line
            node = pairs[0][1]
        elif isinstance(node, yaml.SequenceNode) and isinstance(key, int) and key < len(node.value):
            node = node.value[key]
        else:
            return line
        line = node.start_mark.line + 1
    return line


def _claims_node(root: yaml.Node | None) -> yaml.Node | None:
    if isinstance(root, yaml.MappingNode):
        return next((v for k, v in root.value if getattr(k, "value", None) == "claims"), None)
    return root


_DERIVED = {"id", "window_start", "window_end"}


def _first_error(exc: ValidationError) -> Any:
    """The error to show: not "id missing" when the kind or date it derives from is bad."""
    errors = exc.errors()
    derived = [e for e in errors if e["type"] == "missing" and set(e["loc"][:1]) <= _DERIVED]
    return next((e for e in errors if e not in derived), errors[0])


def parse_ledger(text: str, source: str = "<ledger>") -> list[Claim]:
    """Claims from ledger YAML text; ``source`` names the file in error messages.

    Raises InputError ("<source>:<line>: ...") on malformed YAML, a wrong layout, a claim that
    does not validate, or an id used twice.
    """
    try:
        root = yaml.compose(text, Loader=_NoDatesLoader)
        data: Any = yaml.load(text, Loader=_NoDatesLoader)  # noqa: S506 - a SafeLoader subclass
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f"{source}:{mark.line + 1}" if mark is not None else source
        problem = getattr(exc, "problem", None) or str(exc).splitlines()[0]
        raise InputError(f"{where}: not valid YAML ({problem})", hint="fix the syntax") from exc
    if data is None:
        return []
    if isinstance(data, dict):
        unknown = set(data) - {"version", "claims"}
        if unknown:
            raise InputError(
                f"{source}:1: unknown top-level key(s) {sorted(unknown)}",
                hint="a ledger is {version: 1, claims: [...]}",
            )
        if data.get("version", LEDGER_VERSION) != LEDGER_VERSION:
            raise InputError(f"{source}:1: unsupported ledger version {data['version']!r}")
        data = data.get("claims") or []
    if not isinstance(data, list):
        raise InputError(f"{source}:1: expected a list of claims", hint="claims: [...]")
    node = _claims_node(root)
    claims: list[Claim] = []
    seen: dict[str, int] = {}
    for i, item in enumerate(data):
        line = _line_of(node, [i])
        if not isinstance(item, dict):
            raise InputError(f"{source}:{line}: claim {i + 1} is not a mapping of fields")
        try:
            claim = Claim.from_dict(item)
        except ValidationError as exc:
            err = _first_error(exc)
            loc = [p for p in err["loc"] if isinstance(p, int | str)]
            where = f"{source}:{_line_of(node, [i, *loc[:1]]) or line}"
            field = ".".join(str(p) for p in loc) or "(claim)"
            value = f" {err['input']!r}" if loc and not isinstance(err["input"], dict) else ""
            raise InputError(
                f"{where}: claim {i + 1}: bad value{value} for '{field}': {err['msg']}"
            ) from exc
        if claim.id in seen:
            raise InputError(
                f"{source}:{line}: claim {i + 1}: id {claim.id!r} already used at line "
                f"{seen[claim.id]}",
                hint="give each claim its own id",
            )
        seen[claim.id] = line or 0
        claims.append(claim)
    return claims


def load_ledger(path: str | Path) -> list[Claim]:
    """Claims from a ledger file. Raises InputError when it is missing or invalid."""
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8-sig")
    except OSError as exc:
        raise InputError(f"cannot read ledger {path}: {exc.strerror or exc}") from exc
    except UnicodeDecodeError as exc:
        raise InputError(f"cannot read ledger {path}: not UTF-8 text; save it as UTF-8") from exc
    return parse_ledger(text, source=str(path))


def _compact(claim: Claim) -> dict[str, Any]:
    return {k: v for k, v in claim.model_dump(mode="json").items() if v not in (None, [], ())}


def dump_ledger(claims: Iterable[Claim]) -> str:
    """Ledger YAML for ``claims`` (empty fields left out); ``parse_ledger`` reads it back."""
    doc = {"version": LEDGER_VERSION, "claims": [_compact(c) for c in claims]}
    return yaml.safe_dump(doc, sort_keys=False, allow_unicode=True, width=100)


def save_ledger(claims: Iterable[Claim], path: str | Path) -> Path:
    """Write ``claims`` to a ledger file (parents created). Returns the path."""
    path = Path(path)
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(dump_ledger(claims), encoding="utf-8")
    except OSError as exc:
        raise InputError(f"cannot write ledger {path}: {exc.strerror or exc}") from exc
    return path


def load_scenario_claims() -> list[Claim]:
    """The built-in scenario ledger (``forcewatch/data/scenario_claims.yaml``)."""
    ref = resources.files("forcewatch") / "data" / SCENARIO_LEDGER
    return parse_ledger(
        ref.read_text(encoding="utf-8"), source=f"forcewatch/data/{SCENARIO_LEDGER}"
    )


def _flag_date(name: str, value: str | date | None) -> date | None:
    if value is None or isinstance(value, date):
        return value
    try:
        return date.fromisoformat(value.strip())
    except ValueError as exc:
        raise InputError(f"--{name}: {value!r} is not a date", hint="use YYYY-MM-DD") from exc


def _flag_enum(name: str, value: str | None, enum: type[Any]) -> Any:
    if value is None or value == "":
        return None
    try:
        return enum(value.strip().lower())
    except ValueError as exc:
        choices = ", ".join(e.value for e in enum)
        raise InputError(f"--{name}: {value!r} is not one of: {choices}") from exc


def _flag_list(value: str | Sequence[str] | None) -> tuple[str, ...]:
    if value is None:
        return ()
    items = value.split(",") if isinstance(value, str) else list(value)
    return tuple(s.strip() for s in items if s.strip())


def _flag_band(value: str | Sequence[float] | None) -> tuple[float, float] | None:
    if value is None or value == "":
        return None
    parts: Sequence[Any] = value.replace(",", "-").split("-") if isinstance(value, str) else value
    try:
        near, far = (float(p) for p in parts)
    except (TypeError, ValueError) as exc:
        raise InputError(
            f"--band-km: {value!r} is not a band", hint="use NEAR,FAR in km, e.g. 0,50"
        ) from exc
    return near, far


def claim_from_flags(
    *,
    speaker: str,
    stated_on: str | date,
    kind: str,
    quote: str = "",
    direction: str | None = None,
    quantity: float | None = None,
    unit: str | None = None,
    qualifier: str | None = None,
    force: str | None = None,
    places: str | Sequence[str] | None = None,
    sites: str | Sequence[str] | None = None,
    region: str | None = None,
    band_km: str | Sequence[float] | None = None,
    window_start: str | date | None = None,
    window_end: str | date | None = None,
    published_on: str | date | None = None,
    outlet: str | None = None,
    source: str | None = None,
    denied_kind: str | None = None,
    trend: str | None = None,
    speaker_raw: str | None = None,
    confidence: float = 1.0,
) -> Claim:
    """A claim from command-line values (strings as typed; lists comma-separated).

    The window defaults to the kind's (see ``model.default_window``). Raises InputError naming
    the flag when a value is wrong.
    """
    said = _flag_date("stated-on", stated_on)
    if said is None:
        raise InputError("--stated-on is required", hint="use YYYY-MM-DD")
    claim_kind = _flag_enum("kind", kind, ClaimKind)
    if claim_kind is None:
        raise InputError("--kind is required", hint=", ".join(k.value for k in ClaimKind))
    try:
        return new_claim(
            speaker=speaker.strip(),
            speaker_raw=speaker_raw,
            stated_on=said,
            kind=claim_kind,
            quote=quote,
            window_start=_flag_date("window-start", window_start),
            window_end=_flag_date("window-end", window_end),
            published_on=_flag_date("published-on", published_on),
            outlet=outlet,
            source=source,
            direction=_flag_enum("direction", direction, Direction),
            quantity=quantity,
            unit=unit,
            quantity_qualifier=_flag_enum("qualifier", qualifier, QuantityQualifier)
            or (QuantityQualifier.EXACT if quantity is not None else None),
            force=_flag_enum("force", force, Force) or Force.UNKNOWN,
            places=_flag_list(places),
            sites=_flag_list(sites),
            region=region,
            band_km=_flag_band(band_km),
            denied_kind=_flag_enum("denied-kind", denied_kind, ClaimKind),
            trend=_flag_enum("trend", trend, Change),
            confidence=confidence,
        )
    except ValidationError as exc:
        err = exc.errors()[0]
        field = ".".join(str(p) for p in err["loc"]) or "claim"
        raise InputError(f"bad claim ({field}): {err['msg']}") from exc
    except ValueError as exc:  # a date no window can be built around
        raise InputError(f"bad claim: {exc}") from exc


def load_claims_yaml(path: str | Path) -> list[Claim]:
    """Claims from a ledger file (the name the CLI and the scenario demo use): ``load_ledger``."""
    return load_ledger(path)


def dump_claims_yaml(claims: Iterable[Claim], path: str | Path) -> Path:
    """Write a ledger file (the name the CLI uses): ``save_ledger``."""
    return save_ledger(claims, path)


def claim_from_fields(**fields: Any) -> Claim:
    """A claim from CLI or form values (the name the CLI uses): ``claim_from_flags``."""
    return claim_from_flags(**fields)
