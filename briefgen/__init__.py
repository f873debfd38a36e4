"""briefgen: cited briefing notes and packs from curated YAML summaries of public statements."""

__version__ = "0.1.0"
