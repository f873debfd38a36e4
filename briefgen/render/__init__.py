"""Renderers: each turns a :class:`briefgen.document.Document` into the bytes of one format."""
