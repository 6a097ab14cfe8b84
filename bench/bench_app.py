"""The app plus two bare endpoints, for bench/load.py only: `gunicorn bench.bench_app:app`.

Production serves `wsgi:app`, which never has these. `/_bench/select1` runs
`SELECT 1`, `/_bench/insert` inserts one row into `bench_insert` (a table
bench/load.py creates in its own database) and commits: the same Flask app,
middleware, headers and gunicorn settings as every real page, with nothing
of ours in the request, so their rates are the ceiling the real pages are
measured against.
"""
from flask import Blueprint, request

from fund import create_app
from fund.core.extensions import csrf, db

app = create_app()
bare = Blueprint("bench", __name__, url_prefix="/_bench")


@bare.get("/select1")
def select1():
    return str(db.session.execute(db.text("SELECT 1")).scalar())


@bare.post("/insert")
def insert():
    db.session.execute(db.text("INSERT INTO bench_insert (payload) VALUES (:payload)"),
                       {"payload": request.get_data(as_text=True)[:200]})
    db.session.commit()
    return "ok"


csrf.exempt(bare)
app.register_blueprint(bare)
