"""Indexes over the store: lexical BM25, dense vectors, token-level late interaction, fusion."""
