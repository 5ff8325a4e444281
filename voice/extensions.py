"""The extension objects, created once and bound to an app in create_app."""
from flask_babel import Babel
from flask_limiter import Limiter
from flask_limiter.util import get_remote_address
from flask_login import LoginManager
from flask_wtf.csrf import CSRFProtect
from htmx_flask import Htmx

babel = Babel()
csrf = CSRFProtect()
htmx = Htmx()
login_manager = LoginManager()
# Limits are declared per view; storage comes from RATELIMIT_STORAGE_URI (Redis in
# production, so every worker shares the counters).
limiter = Limiter(key_func=get_remote_address, default_limits=[])
