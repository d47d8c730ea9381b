"""Whether a command's output is the one a page shows, where ids and times differ.

What the page shows is read as it reads to a person:
- `{ … }` is JSON, one value per message (grpcurl prints one object per message); text
  around the objects is prose. Keys must be the same, unless `…` stands for the rest;
  `[ …, x ]` or `[ x, … ]` means more elements; a string with `…` in it is a pattern.
- `ERROR:` is grpcurl's refusal: its `Code:`, its `Message:` and its `Details:` objects.
- Anything else is lines of text, each of which must be printed, in that order.
An example id (`d3270a84-…` or a whole UUID) is any UUID, the same one wherever the page
shows the same id; a time is any time; `…` in a line or string is anything.
"""

import json
import re
from typing import Any

from tests.e2e.doc_examples import REST, shown_values

UUID = r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}"
EXAMPLE_ID = re.compile(r"([0-9a-f]{8})-(?:[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}|…)")
TIME = r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(?:\.\d+)?(?:Z|[+-]\d\d:\d\d)"


class Mismatch(AssertionError):
    pass


class Ids:
    """The page's example ids, each bound to the id the running system gave in its place."""

    def __init__(self) -> None:
        self.bound: dict[str, str] = {}

    def pattern(self, shown: str) -> tuple[re.Pattern[str], list[str]]:
        """A regex for a shown string, and the example ids its groups stand for."""
        parts, names, at = [], [], 0
        for found in re.finditer(f"{EXAMPLE_ID.pattern}|{TIME}|{REST}", shown):
            parts.append(re.escape(shown[at : found.start()]))
            if found.group(1):
                parts.append(f"({UUID})")
                names.append(found.group(1))
            else:
                parts.append(TIME if found.group(0) != REST else ".*")
            at = found.end()
        parts.append(re.escape(shown[at:]))
        return re.compile("".join(parts), re.DOTALL), names

    def match(self, shown: str, got: str, taken: dict[str, str]) -> bool:
        """Whether `got` is `shown`, its ids bound as in `taken` (which it adds to)."""
        regex, names = self.pattern(shown)
        matched = regex.fullmatch(got)
        if not matched:
            return False
        trying = dict(taken)
        for name, value in zip(names, matched.groups(), strict=True):
            known = trying.get(name, self.bound.get(name))
            if known is None and value in {**self.bound, **trying}.values():
                return False  # another example id stands for it already
            if known not in (None, value):
                return False
            trying[name] = value
        taken |= trying
        return True


def check(shown: str, status: int, output: str, ids: Ids) -> None:
    """Raise Mismatch unless a command that ended with `status`, printing `output`, did
    what the page shows; bind the page's ids to the ones printed."""
    taken: dict[str, str] = {}
    if shown.startswith("ERROR:"):
        check_refusal(shown, status, output, ids, taken)
    elif status != 0:
        raise Mismatch(f"exit status {status}")
    elif shown.lstrip().startswith("{"):
        same(shown_values(shown), printed_values(output), ids, taken, "output")
    else:
        check_lines(shown, output, ids, taken)
    ids.bound |= taken


def check_refusal(shown: str, status: int, output: str, ids: Ids, taken: dict[str, str]) -> None:
    if status == 0:
        raise Mismatch("it succeeded; the page shows a refusal")
    for field in ("Code", "Message"):
        want = re.search(rf"^\s*{field}: (.*)$", shown, re.MULTILINE)
        got = re.search(rf"^\s*{field}: (.*)$", output, re.MULTILINE)
        if want and not (got and ids.match(want[1].strip(), got[1].strip(), taken)):
            raise Mismatch(f"{field}: {got and got[1]!r} where the page shows {want[1]!r}")
    if "Details:" in shown:
        printed = re.sub(r"(?m)^\s*(\d+\))?\t", "", output.partition("Details:")[2])
        details = shown_values(shown.partition("Details:")[2])
        same(details, printed_values(printed), ids, taken, "details")


def check_lines(shown: str, output: str, ids: Ids, taken: dict[str, str]) -> None:
    printed = iter(output.splitlines())
    for line in shown.splitlines():
        if not any(ids.match(line.rstrip(), got.rstrip(), taken) for got in printed):
            raise Mismatch(f"no line {line!r} (in this order)")


def printed_values(text: str) -> list[Any]:
    """The JSON values printed one after the other in `text`."""
    decoder, values, at = json.JSONDecoder(), [], 0
    while (at := skip_space(text, at)) < len(text):
        try:
            value, at = decoder.raw_decode(text, at)
        except json.JSONDecodeError as error:
            raise Mismatch(f"not JSON: {text[at:][:200]!r}") from error
        values.append(value)
    return values


def skip_space(text: str, at: int) -> int:
    while at < len(text) and text[at].isspace():
        at += 1
    return at


def same(shown: Any, got: Any, ids: Ids, taken: dict[str, str], path: str) -> None:
    """Raise Mismatch where `got` differs from `shown` (read as the module says)."""
    if isinstance(shown, dict):
        if not isinstance(got, dict):
            raise Mismatch(f"{path}: {got!r} where the page shows an object")
        keys = set(shown) - {REST}
        if not keys <= set(got) or (REST not in shown and set(got) != keys):
            raise Mismatch(f"{path}: keys {sorted(got)}, the page: {sorted(keys)}")
        for key in sorted(keys):
            same(shown[key], got[key], ids, taken, f"{path}.{key}")
    elif isinstance(shown, list):
        if not isinstance(got, list):
            raise Mismatch(f"{path}: {got!r} where the page shows a list")
        listed = [value for value in shown if value != REST]
        if REST in shown:
            got = got[: len(listed)] if shown[-1] == REST else got[len(got) - len(listed) :]
        if len(got) != len(listed):
            raise Mismatch(f"{path}: {len(got)} values, the page shows {len(listed)}")
        for n, (one, other) in enumerate(zip(listed, got, strict=True)):
            same(one, other, ids, taken, f"{path}[{n}]")
    elif isinstance(shown, str) and isinstance(got, str):
        if not ids.match(shown, got, taken):
            raise Mismatch(f"{path}: {got!r} where the page shows {shown!r}")
    elif shown != got:
        raise Mismatch(f"{path}: {got!r} where the page shows {shown!r}")
