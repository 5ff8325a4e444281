"""Files to save or open (figures, calendars, the organisers' list, exports).

Through Flask's ``send_file``, which writes ``Content-Disposition`` as RFC 6266 asks: the
name in ASCII and, where it is not ASCII, again as ``filename*=UTF-8''…``; and the media
type with its charset once."""
from __future__ import annotations

import io

from flask import Response, send_file


def download(body: str | bytes, *, mimetype: str, filename: str, inline: bool = False) -> Response:
    data = body.encode("utf-8") if isinstance(body, str) else body
    return send_file(io.BytesIO(data), mimetype=mimetype, as_attachment=not inline, download_name=filename,
                     etag=False, conditional=False, max_age=0)
