"""HTML to plain text, keeping link targets.

A small tokenizer of our own instead of ``html.parser``: the standard parser
takes quadratic time on some unterminated constructs (``<!--a<a<a<…``), and
mail bodies are written by adversaries. Every pattern here either consumes
input or stops at the next ``<``, so the work is linear in the input.

Scripts, styles and other non-content elements are dropped; block elements
become line breaks, table cells become tabs, and every link keeps its target:
``<a href="https://t.me/x">here</a>`` becomes ``here (https://t.me/x)``.
"""

from __future__ import annotations

import html
import re

_RAW_TEXT = frozenset({"script", "style", "title", "textarea", "xmp", "template"})
_DROPPED = frozenset({"head", "svg", "object", "noscript", "iframe", "select"})
_BLOCKS = frozenset(
    {
        "address", "article", "aside", "blockquote", "br", "dd", "div", "dl", "dt",
        "fieldset", "figcaption", "figure", "footer", "form", "h1", "h2", "h3", "h4",
        "h5", "h6", "header", "hr", "li", "main", "nav", "ol", "p", "pre", "section",
        "table", "tr", "ul",
    }
)  # fmt: skip
_CELLS = frozenset({"td", "th"})
_SKIPPED_SCHEMES = ("javascript:", "vbscript:", "data:", "#")

_TOKEN = re.compile(
    r"<!--.*?(?:-->|\Z)"
    r"|<!\[CDATA\[(?P<cdata>.*?)(?:\]\]>|\Z)"
    r"|<[!?][^<>]*+>?"
    r"|<(?P<close>/)?(?P<name>[A-Za-z][A-Za-z0-9:-]{0,40}+)"
    r"(?P<attrs>(?:[^<>\"']++|\"[^\"<>]*+\"|'[^'<>]*+')*+)/?>",
    re.S,
)
_ATTR = re.compile(r"""([^\s=/>"']+)(?:\s*=\s*(?:"([^"]*)"|'([^']*)'|([^\s>"']+)))?""")
_WHITESPACE = re.compile(r"[\s\u00a0]+")
_SPACES = re.compile(r"[ \f\v\u00a0]+")
_MANY_NEWLINES = re.compile(r"\n{3,}")


def _norm_url(url: str) -> str:
    return url.strip().rstrip("/").lower()


def _href(attrs: str) -> str | None:
    for match in _ATTR.finditer(attrs):
        if match.group(1).lower() == "href":
            value = match.group(2) or match.group(3) or match.group(4) or ""
            value = html.unescape(value).strip()
            if value and not value.lower().startswith(_SKIPPED_SCHEMES):
                return value
            return None
    return None


class _Converter:
    def __init__(self) -> None:
        self.out: list[str] = []
        self.links: list[str] = []
        self.drop_depth: dict[str, int] = {}
        self.pre = 0
        self.anchor_href: str | None = None
        self.anchor_text: list[str] = []

    @property
    def dropping(self) -> bool:
        return any(self.drop_depth.values())

    def text(self, data: str) -> None:
        if not data or self.dropping:
            return
        data = html.unescape(data)
        if not self.pre:
            data = _WHITESPACE.sub(" ", data)
        if self.anchor_href is not None:
            self.anchor_text.append(data)
        self.out.append(data)

    def close_anchor(self) -> None:
        href = self.anchor_href
        if href is None:
            return
        label = _SPACES.sub(" ", "".join(self.anchor_text)).strip()
        self.anchor_href = None
        self.anchor_text = []
        self.links.append(href)
        target = href[7:] if href.lower().startswith("mailto:") else href
        if _norm_url(label) not in (_norm_url(target), _norm_url(href)):
            self.out.append(f" ({href})")

    def start(self, name: str, attrs: str, self_closing: bool) -> None:
        if name in _DROPPED:
            if not self_closing:
                self.drop_depth[name] = self.drop_depth.get(name, 0) + 1
            return
        if self.dropping:
            return
        if name in _BLOCKS:
            self.out.append("\n")
        elif name in _CELLS:
            self.out.append("\t")
        if name == "pre":
            self.pre += 1
        if name == "a":
            self.close_anchor()
            href = _href(attrs)
            if href is not None:
                if self_closing:
                    self.links.append(href)
                    self.out.append(f" {href} ")
                else:
                    self.anchor_href = href

    def end(self, name: str) -> None:
        if name in _DROPPED:
            if self.drop_depth.get(name):
                self.drop_depth[name] -= 1
            return
        if self.dropping:
            return
        if name == "pre" and self.pre:
            self.pre -= 1
        if name == "a":
            self.close_anchor()
        elif name in _BLOCKS:
            self.out.append("\n")


def html_to_text(source: str) -> tuple[str, list[str]]:
    """Plain text of an HTML document and the link targets found in it."""
    conv = _Converter()
    pos = 0
    length = len(source)
    while pos < length:
        lt = source.find("<", pos)
        if lt < 0:
            conv.text(source[pos:])
            break
        if lt > pos:
            conv.text(source[pos:lt])
        match = _TOKEN.match(source, lt)
        if match is None:
            conv.text("<")
            pos = lt + 1
            continue
        pos = match.end()
        name = match.group("name")
        if name is None:
            if match.group("cdata"):
                conv.text(match.group("cdata"))
            continue
        name = name.lower()
        if match.group("close"):
            conv.end(name)
            continue
        self_closing = match.group(0).endswith("/>")
        if name in _RAW_TEXT and not self_closing:
            closer = re.compile(rf"</{name}\s*>", re.I).search(source, pos)
            content_end = closer.start() if closer else length
            if name == "textarea" and not conv.dropping:
                conv.text(source[pos:content_end])
            pos = closer.end() if closer else length
            continue
        conv.start(name, match.group("attrs") or "", self_closing)
    conv.close_anchor()
    raw = "".join(conv.out)
    lines = [_SPACES.sub(" ", line).strip(" \t") for line in raw.split("\n")]
    text = _MANY_NEWLINES.sub("\n\n", "\n".join(lines)).strip()
    return text, conv.links
