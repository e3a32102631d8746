"""``Agregados`` on the claves table: the dashboard's aggregate items and each request's last counted contribution.

- ``tablero#aporte#<solicitud>``: the request's version and contribution (``datos``: ``[[item, attribute, n]…]``)
  as last counted;
- ``tablero#<…>`` (``domain.tablero``): counters, one attribute each, changed only with ``ADD``.

``contar`` writes the request's new contribution and adds the difference to the counters in one transaction,
conditional on the contribution item still holding the version it read: a record delivered twice, or two
deliveries racing, count once (the loser reads again and finds nothing left to add).
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from typing import Any, Final

from pynamodb.exceptions import TransactWriteError

from chalicelib.adapters.dynamo_tables import bind, codigo_aws, conexion
from chalicelib.config import Settings
from chalicelib.domain.errors import ConflictoConcurrente
from chalicelib.domain.tablero import Aporte, Items, clave

APORTE: Final = "aporte"
ESTADO: Final = "contador"
MAX_LECTURA: Final = 100
"""BatchGetItem's limit per call."""


def _numero(valor: dict[str, str]) -> int:
    return int(valor["N"]) if "N" in valor else 0


class PynamoAgregados:
    def __init__(self, settings: Settings) -> None:
        bind(settings)
        self._tabla = settings.tabla_claves
        self._conexion = conexion(settings)

    def aporte_de(self, solicitud_id: str) -> tuple[int, Aporte] | None:
        """The version and contribution last counted for the request (None: never counted)."""
        respuesta = self._conexion.dispatch(
            "GetItem",
            {"TableName": self._tabla, "Key": {"clave": {"S": clave(APORTE, solicitud_id)}}, "ConsistentRead": True},
        )
        item = respuesta.get("Item")
        if not item:
            return None
        filas = json.loads(item.get("datos", {}).get("S") or "[]")
        return _numero(item.get("version", {})), {(str(i), str(a)): int(n) for i, a, n in filas}

    def contar(
        self, solicitud_id: str, version: int, aporte: Aporte, version_previa: int | None, cambios: Aporte
    ) -> None:
        """Record ``aporte`` as the request's contribution at ``version`` and add ``cambios`` to the counters, all
        or nothing; ``ConflictoConcurrente`` when the stored contribution is no longer ``version_previa``."""
        datos = json.dumps([[i, a, n] for (i, a), n in sorted(aporte.items())], ensure_ascii=False)
        put: dict[str, Any] = {
            "TableName": self._tabla,
            "Item": {
                "clave": {"S": clave(APORTE, solicitud_id)},
                "estado": {"S": ESTADO},
                "solicitud_id": {"S": solicitud_id},
                "version": {"N": str(version)},
                "datos": {"S": datos},
            },
        }
        if version_previa is None:
            put["ConditionExpression"] = "attribute_not_exists(clave)"
        else:
            put["ConditionExpression"] = "version = :previa"
            put["ExpressionAttributeValues"] = {":previa": {"N": str(version_previa)}}
        try:
            self._conexion.transact_write_items(
                condition_check_items=[], delete_items=[], put_items=[put], update_items=_sumas(self._tabla, cambios)
            )
        except TransactWriteError as exc:
            if codigo_aws(exc) == "TransactionCanceledException":
                raise ConflictoConcurrente(
                    f"El aporte de {solicitud_id} al tablero cambió mientras se contaba."
                ) from exc
            raise

    def leer(self, claves: Sequence[str]) -> Items:
        """The counters of the given items (an item never written is absent)."""
        items: dict[str, dict[str, int]] = {}
        pendientes = list(dict.fromkeys(claves))
        while pendientes:
            lote, pendientes = pendientes[:MAX_LECTURA], pendientes[MAX_LECTURA:]
            pedido = {"RequestItems": {self._tabla: {"Keys": [{"clave": {"S": k}} for k in lote]}}}
            respuesta = self._conexion.dispatch("BatchGetItem", pedido)
            for item in respuesta.get("Responses", {}).get(self._tabla, []):
                items[item["clave"]["S"]] = {a: _numero(v) for a, v in item.items() if "N" in v}
            sin_leer = respuesta.get("UnprocessedKeys", {}).get(self._tabla, {}).get("Keys", [])
            pendientes = [k["clave"]["S"] for k in sin_leer] + pendientes
        return items

    def reemplazar(self, items: Items) -> None:
        """Overwrite whole counter items (the rebuild command; never while the stream is being replayed)."""
        for nombre, atributos in items.items():
            item = {"clave": {"S": nombre}, "estado": {"S": ESTADO}}
            item.update({a: {"N": str(v)} for a, v in atributos.items()})
            self._conexion.dispatch("PutItem", {"TableName": self._tabla, "Item": item})

    def anotar(self, clave: str, atributos: Mapping[str, int]) -> None:
        """Set the given attributes of one item (UpdateItem ``SET``), leaving its others as they are."""
        if not atributos:
            return
        nombres = {f"#a{n}": a for n, a in enumerate(atributos)}
        valores = {f":v{n}": {"N": str(int(v))} for n, v in enumerate(atributos.values())}
        self._conexion.dispatch(
            "UpdateItem",
            {
                "TableName": self._tabla,
                "Key": {"clave": {"S": clave}},
                "UpdateExpression": "SET estado = :estado, " + ", ".join(f"#a{n} = :v{n}" for n in range(len(nombres))),
                "ExpressionAttributeNames": nombres,
                "ExpressionAttributeValues": {**valores, ":estado": {"S": ESTADO}},
            },
        )


def _sumas(tabla: str, cambios: Aporte) -> list[dict[str, Any]]:
    por_item: dict[str, dict[str, int]] = {}
    for (item, atributo), cantidad in cambios.items():
        por_item.setdefault(item, {})[atributo] = cantidad
    actualizaciones = []
    for item, atributos in sorted(por_item.items()):
        nombres = {f"#a{n}": a for n, a in enumerate(atributos)}
        valores = {f":v{n}": {"N": str(v)} for n, v in enumerate(atributos.values())}
        actualizaciones.append(
            {
                "TableName": tabla,
                "Key": {"clave": {"S": item}},
                "UpdateExpression": "SET estado = :estado ADD "
                + ", ".join(f"#a{n} :v{n}" for n in range(len(nombres))),
                "ExpressionAttributeNames": nombres,
                "ExpressionAttributeValues": {**valores, ":estado": {"S": ESTADO}},
            }
        )
    return actualizaciones
