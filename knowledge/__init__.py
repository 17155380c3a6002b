"""The knowledge base: open-data models, importers, search and geography.

Every row carries its provenance (source, URL, licence, date, whether it is demonstration
data), so that every answer built from it can say where it comes from.
"""
