"""The baseline for bench/run_http.py: a bare Flask "hello world" (gunicorn `hello:app`).

It shows what Flask plus gunicorn cost on this machine with no templates, no
database, no sessions; Voice's figures are printed as a ratio against it.
"""
from flask import Flask

app = Flask(__name__)


@app.get("/")
def hello() -> str:
    return "Hello, World!"
