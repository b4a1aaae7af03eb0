"""Reads files into chunks: llama-index documents split by llama-index's SentenceSplitter."""

from adapters.documents.reader import LlamaIndexDocumentReader

__all__ = ["LlamaIndexDocumentReader"]
