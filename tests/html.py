"""Reading pages as a user sees them: a stdlib HTML parser and a small CSS-like selection API."""

from __future__ import annotations

import re
from html.parser import HTMLParser

SITE = "http://testserver"
SIMPLE_SELECTOR = re.compile(r'([a-z][a-z0-9]*)|#([\w-]+)|\.([\w-]+)|\[([\w-]+)(?:="?([^"\]]*)"?)?\]')
VOID = {"area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta", "source", "track", "wbr"}
LINKS = ("href", "action", "src", "hx-get", "hx-post")  # read as paths when they point to this site


class Element:
    """An element of the page: its tag, its attributes and its children (elements and strings)."""

    def __init__(self, tag: str, attrs: dict[str, str]) -> None:
        self.tag, self.attrs, self.children = tag, attrs, []

    @property
    def text(self) -> str:
        """The text inside the element, white space folded."""
        parts = [c if isinstance(c, str) else c.text for c in self.children]
        return " ".join(" ".join(parts).split())

    def get(self, name: str, default: str | None = None) -> str | None:
        """The value of an attribute (links to this site as paths)."""
        return self.attrs.get(name, default)

    def descendants(self):
        """Every element below this one, in document order."""
        for child in self.children:
            if isinstance(child, Element):
                yield child
                yield from child.descendants()

    def _matches(self, compound: str) -> bool:
        for tag, id_, cls, attr, value in SIMPLE_SELECTOR.findall(compound):
            if (tag and self.tag != tag) or (id_ and self.attrs.get("id") != id_):
                return False
            if cls and cls not in self.attrs.get("class", "").split():
                return False
            if attr and (attr not in self.attrs or (value and self.attrs[attr] != value)):
                return False
        return True

    def select(self, selector: str) -> list[Element]:
        """Elements matching a small CSS subset: `tag#id.class[attr][attr=value]`, descendants by spaces."""
        found: list[Element] = [self]
        for compound in selector.split():
            seen: dict[int, Element] = {}
            for scope in found:
                for element in scope.descendants():
                    if element._matches(compound):
                        seen.setdefault(id(element), element)
            found = list(seen.values())
        return found

    def one(self, selector: str) -> Element:
        """The single element matching the selector (fails when there are none or several)."""
        found = self.select(selector)
        assert len(found) == 1, f"{len(found)} elements match {selector!r}"
        return found[0]

    def texts(self, selector: str) -> list[str]:
        """The text of each element matching the selector."""
        return [e.text for e in self.select(selector)]

    def items(self) -> list[Element]:
        """The <li> directly in this list, not those of the lists nested in them."""
        return [c for c in self.children if isinstance(c, Element) and c.tag == "li"]


class Page(HTMLParser):
    """The element tree of a page; links to this site (url_for makes them absolute) are read as paths."""

    def __init__(self, html: str) -> None:
        super().__init__()
        self.root = Element("#document", {})
        self._open = [self.root]
        self.feed(html)
        self.close()

    def handle_starttag(self, tag, attrs):
        element = Element(tag, {k: self._local(k, v or "") for k, v in attrs})
        self._open[-1].children.append(element)
        if tag not in VOID:
            self._open.append(element)

    @staticmethod
    def _local(name: str, value: str) -> str:
        return value.removeprefix(SITE) if name in LINKS else value

    def handle_endtag(self, tag):
        if any(e.tag == tag for e in self._open[1:]):
            while self._open.pop().tag != tag:
                pass

    def handle_data(self, data):
        self._open[-1].children.append(data)


def page(response) -> Element:
    """The element tree of a response's HTML."""
    return Page(response.text).root


def summary_list(html: Element) -> dict[str, str]:
    """The summary list (dl.summary-list) on a page: each term with its description."""
    return {row.one("dt").text: row.one("dd").text for row in html.select("dl.summary-list div")}
