"""JSON as one llama-index document with a "path > to > key: value" line per leaf."""

from __future__ import annotations

import json
from typing import Any

from llama_index.core.schema import Document

from core.errors import UserFacingError


def _json_documents(text: str, name: str) -> list[Document]:
    try:
        data = json.loads(text)
    except json.JSONDecodeError as error:
        raise UserFacingError("doc_bad_json", name=name, line=error.lineno) from None
    except RecursionError:
        raise UserFacingError("doc_json_too_deep", name=name) from None
    return [Document(text="\n".join(_flatten_json(data)))]


def _flatten_json(data: Any) -> list[str]:
    """One "path > to > key: value" line per leaf, in document order."""
    lines: list[str] = []
    # An explicit stack, because JSON nesting may exceed Python's recursion limit.
    stack: list[tuple[str, Any]] = [("", data)]
    while stack:
        path, value = stack.pop()
        if isinstance(value, dict):
            items = [(f"{path} > {key}" if path else str(key), item) for key, item in value.items()]
            stack.extend(reversed(items))
        elif isinstance(value, list):
            stack.extend(reversed([(f"{path}[{i + 1}]", item) for i, item in enumerate(value)]))
        else:
            shown = value if isinstance(value, str) else json.dumps(value)
            if shown.strip():
                lines.append(f"{path}: {shown}" if path else shown)
    return lines
