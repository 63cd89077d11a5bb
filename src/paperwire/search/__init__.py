"""Search: reading a user's query (`query`), ranking over the indexes, and showing where a
result matched (`snippets`)."""
