"""Public theme pages: what families told about a theme, what the services answered, the
sessions about it and what changed."""
from __future__ import annotations

from flask import Blueprint, abort, request

from ..experiences import labels
from ..reference.models import Area, LifeDomain, Service
from ..web.context import locale_code, reference_choices, setting
from ..web.db import get_session
from ..web.templating import render_page
from . import service
from .models import STATUS_NAMES

bp = Blueprint("themes", __name__, url_prefix="/themes")


def _valid(value: str | None, options: list[tuple[str, str]]) -> str | None:
    return value if value and value in {slug for slug, _ in options} else None


@bp.route("/")
def index():
    db = get_session()
    options = {"service": reference_choices(Service), "area": reference_choices(Area), "domain": reference_choices(LifeDomain)}
    chosen = {key: _valid(request.args.get(key), opts) for key, opts in options.items()}
    items = service.public_list(session=db, min_count=setting("DISCLOSURE_MIN_COUNT"), **chosen)
    texts = service.texts_of(session=db, theme_ids=[i.theme.id for i in items], locale=locale_code())
    return render_page("themes/index.html", fragment="themes/_list.html", items=items, texts=texts,
                       options=options, chosen=chosen, status_names=STATUS_NAMES)


@bp.route("/<slug>")
def detail(slug: str):
    db = get_session()
    theme = service.get(session=db, slug=slug[:80])
    if theme is None:
        abort(404)
    page = service.public_page(session=db, theme=theme, min_count=setting("DISCLOSURE_MIN_COUNT"))
    text = service.texts_of(session=db, theme_ids=[theme.id], locale=locale_code()).get(theme.id)
    return render_page("themes/detail.html", page=page, text=text, labels=labels,
                       sessions=service.sessions_of(session=db, theme=theme), status_names=STATUS_NAMES,
                       results=service.results_of(session=db, theme=theme),
                       family_words=service.family_words(session=db, theme=theme))
