"""The limits' counters on the claves table (moto): atomic ADD per window, expiry after the window, and many
workers counting at once never lose a count."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor

from chalicelib.adapters.dynamo_limites import PynamoLimites
from chalicelib.adapters.dynamo_tables import ClaveItem

DIA = 86400


def test_counts_add_up_per_window_and_expire_after_it(settings):
    ahora = [1_800_000_000.0]
    limites = PynamoLimites(settings, reloj=lambda: ahora[0])
    assert [limites.contar("acuse#email#a@example.org", DIA) for _ in range(4)] == [1, 2, 3, 4]
    assert limites.contar("acuse#email#b@example.org", DIA) == 1
    (item,) = [i for i in ClaveItem.scan() if i.clave.startswith("limite#acuse#email#a@")]
    assert item.contador == 4 and item.expira is not None
    assert item.expira.timestamp() > ahora[0] + DIA - 1
    # the next window starts again at one
    ahora[0] += DIA
    assert limites.contar("acuse#email#a@example.org", DIA) == 1


def test_simultaneous_counts_are_never_lost(settings):
    limites = PynamoLimites(settings, reloj=lambda: 1_800_000_000.0)
    with ThreadPoolExecutor(max_workers=8) as grupo:
        valores = list(grupo.map(lambda _: limites.contar("acuse#telefono#+59170000000", DIA), range(24)))
    assert sorted(valores) == list(range(1, 25))
