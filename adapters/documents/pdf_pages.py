"""PDF as one llama-index document per page with text, read with pypdf, its page number kept
as metadata."""

from __future__ import annotations

import io
import logging

import pypdf
import pypdf.errors
from llama_index.core.schema import Document

from adapters.documents.sniffing import _clean
from core.errors import UserFacingError

log = logging.getLogger("ragbot.documents")

_PAGE_KEY = "page"


def _pdf_documents(data: bytes, name: str) -> list[Document]:
    # pypdf directly, as llama-index's PDFReader does, without that reader's costs: its package
    # calls logging.basicConfig(level=INFO) on import (taking over the app's logging), imports
    # pandas, and retries a broken file three times.
    try:
        pdf = pypdf.PdfReader(io.BytesIO(data))
        pages = list(pdf.pages)
    except pypdf.errors.FileNotDecryptedError:
        raise UserFacingError("pdf_password", name=name) from None
    except Exception as error:
        # pypdf reports a damaged file with many exception types (struct, key, value errors).
        log.info("unreadable PDF %s: %r", name, error)
        raise UserFacingError("pdf_damaged", name=name) from None
    if not pages:
        raise UserFacingError("pdf_damaged", name=name)
    documents: list[Document] = []
    failed = 0
    # One document per page; the 1-based position is the page number (a page label may be a
    # roman numeral or any text).
    for number, page in enumerate(pages, start=1):
        try:
            text = _clean(page.extract_text())
        except pypdf.errors.FileNotDecryptedError:
            raise UserFacingError("pdf_password", name=name) from None
        except pypdf.errors.DependencyError as error:
            log.warning("cannot decrypt %s: %s", name, error)
            raise UserFacingError("pdf_encrypted", name=name) from None
        except Exception as error:
            # One broken page should not cost the rest of the document.
            log.info("unreadable page %d of %s: %r", number, name, error)
            failed += 1
            continue
        if text.strip():
            documents.append(
                Document(
                    text=text,
                    metadata={_PAGE_KEY: number},
                    # Kept out of the text the splitter measures, so chunks keep their size.
                    excluded_embed_metadata_keys=[_PAGE_KEY],
                    excluded_llm_metadata_keys=[_PAGE_KEY],
                )
            )
    if documents:
        return documents
    if failed:
        raise UserFacingError("pdf_damaged", name=name)
    raise UserFacingError("pdf_scanned", name=name)
