"""Themes: staff group decided stories into what families keep telling, so a story can
become a co-creation session and its result can come back to the family (issue 16)."""
