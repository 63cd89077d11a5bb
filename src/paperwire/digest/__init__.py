"""Email: the daily digest (trending, saved-search alerts, recommendations) and sign-in links."""
