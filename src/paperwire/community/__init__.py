"""The community side: votes, trending, bookmarks, submissions, recommendations."""
