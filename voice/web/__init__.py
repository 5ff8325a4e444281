"""The web edge: what only a request needs (its database session, language,
headers, templates, errors). Services never import from here."""
