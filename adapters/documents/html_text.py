"""HTML as one llama-index document of its readable text: scripts and styles dropped, one
line per block element."""

from __future__ import annotations

import re

from bs4 import BeautifulSoup
from bs4.element import NavigableString
from llama_index.core.schema import Document

# Elements whose text is code or markup, never prose a user would ask about.
_HTML_DROP = ("script", "style", "noscript", "template", "svg", "iframe", "object", "canvas")
# Block elements end a line, so "<p>a</p><p>b</p>" reads as two lines, not "ab".
_HTML_BLOCKS = (
    "address", "article", "aside", "blockquote", "br", "dd", "div", "dl", "dt", "figcaption",
    "figure", "footer", "form", "h1", "h2", "h3", "h4", "h5", "h6", "header", "hr", "li",
    "main", "nav", "ol", "p", "pre", "section", "table", "title", "tr", "ul",
)  # fmt: skip
_HTML_CELLS = ("td", "th")
_SPACES = re.compile(r"[ \t\f\v\u00a0]+")


def _html_documents(text: str, name: str) -> list[Document]:
    soup = BeautifulSoup(text, "html.parser")
    for element in soup.find_all(_HTML_DROP):
        element.decompose()
    for element in soup.find_all(_HTML_BLOCKS):
        element.append(NavigableString("\n"))
    for element in soup.find_all(_HTML_CELLS):
        element.append(NavigableString(" "))
    lines = (_SPACES.sub(" ", line).strip() for line in soup.get_text().split("\n"))
    return [Document(text="\n".join(line for line in lines if line))]
