"""The committed OpenAPI document is the generated one, and it documents exactly the app's routes."""

from __future__ import annotations

import json
from pathlib import Path

from chalicelib.openapi import documento

RAIZ = Path(__file__).resolve().parents[2]


def test_committed_openapi_matches_the_models():
    comprometido = json.loads((RAIZ / "docs" / "openapi.json").read_text(encoding="utf-8"))
    assert comprometido == json.loads(json.dumps(documento())), "run `make openapi` and commit docs/openapi.json"


def test_openapi_documents_every_route_and_method(cliente):
    from app import app

    rutas = {
        (ruta, metodo.lower())
        for ruta, metodos in app.routes.items()
        # /dev: local-only developer routes; /consola: the staff console's HTML pages and form posts (session
        # cookie + CSRF), a door for people, not part of the JSON API contract (docs/console.md).
        if not ruta.startswith(("/dev/", "/consola"))
        for metodo in metodos
    }
    documentadas = {(ruta, metodo) for ruta, item in documento()["paths"].items() for metodo in item}
    assert rutas == documentadas
