"""What each function of a built package ships: its code zip plus the layers the template attaches to it, zipped
and unzipped, against the size targets of issue 18 (``tests/infra/test_paquete.py`` asserts them, ``bench/paquete.py``
reports them).

Targets: every function but the monthly report's, code + layers at most 50 MB zipped and 120 MB unzipped (MB =
10^6 bytes); every function, the report's included, within Lambda's hard limit of 262,144,000 bytes unzipped
("250 MB", function and layers together).
"""

from __future__ import annotations

import json
import zipfile
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Final

from chalice.utils import to_cfn_resource_name

MB: Final = 1_000_000
LIMITE_COMPRIMIDO: Final = 50 * MB
LIMITE_DESCOMPRIMIDO: Final = 120 * MB
LIMITE_LAMBDA: Final = 262_144_000
FUNCIONES_INFORME: Final = frozenset({"send_monthly_report", "reenviar_informe_mensual"})
"""The chalice functions that draw the monthly report's chart: the only ones with the ``CapaInformes`` layer."""
RECURSOS_INFORME: Final = frozenset(to_cfn_resource_name(n) for n in FUNCIONES_INFORME)
ROTULOS: Final = {"comprimido": "zipped", "descomprimido": "unzipped"}
TIPOS_CAPA: Final = {"AWS::Serverless::LayerVersion": "ContentUri", "AWS::Lambda::LayerVersion": "Content"}


@dataclass(frozen=True)
class Objetivo:
    medida: str  # "comprimido" | "descomprimido"
    valor: int
    limite: int

    @property
    def cumple(self) -> bool:
        return self.valor <= self.limite


@dataclass(frozen=True)
class Funcion:
    recurso: str
    handler: str
    codigo: str
    capas: tuple[str, ...]
    comprimido: int
    descomprimido: int

    @property
    def es_informe(self) -> bool:
        return self.recurso in RECURSOS_INFORME

    @property
    def objetivos(self) -> tuple[Objetivo, ...]:
        if self.es_informe:
            return (Objetivo("descomprimido", self.descomprimido, LIMITE_LAMBDA),)
        return (
            Objetivo("comprimido", self.comprimido, LIMITE_COMPRIMIDO),
            Objetivo("descomprimido", self.descomprimido, LIMITE_DESCOMPRIMIDO),
        )

    @property
    def cumple(self) -> bool:
        return all(o.cumple for o in self.objetivos)

    def describir(self) -> str:
        archivos = " + ".join((self.codigo, *self.capas))
        return (
            f"{self.recurso} ({self.handler}): {archivos} = {self.comprimido / MB:.1f} MB zipped, "
            f"{self.descomprimido / MB:.1f} MB unzipped; targets "
            + ", ".join(
                f"{ROTULOS[o.medida]} ≤ {o.limite / MB:g} MB {'ok' if o.cumple else 'EXCEEDED'}" for o in self.objetivos
            )
        )


def tamanos_zip(ruta: Path) -> tuple[int, int]:
    """(bytes of the zip file, bytes of its entries unzipped)."""
    with zipfile.ZipFile(ruta) as archivo:
        return ruta.stat().st_size, sum(i.file_size for i in archivo.infolist())


def capas_de(propiedades: Mapping[str, Any], recursos: Mapping[str, Any]) -> list[tuple[str, str]]:
    """(logical id, local file) of every layer a function's properties attach; only this template's layers."""
    capas = []
    for capa in propiedades.get("Layers", []):
        if not (isinstance(capa, dict) and set(capa) == {"Ref"} and capa["Ref"] in recursos):
            raise ValueError(f"layer {capa!r} is not a layer of this template: its size cannot be measured")
        recurso = recursos[capa["Ref"]]
        propiedad = TIPOS_CAPA.get(recurso.get("Type", ""))
        archivo = recurso.get("Properties", {}).get(propiedad) if propiedad else None
        if not isinstance(archivo, str):
            raise ValueError(f"layer {capa['Ref']} has no local zip (Type {recurso.get('Type')})")
        capas.append((capa["Ref"], archivo))
    return capas


def medir(directorio: Path) -> list[Funcion]:
    """Every ``AWS::Serverless::Function`` of ``directorio/sam.json`` with its code zip and layers, by name."""
    plantilla = json.loads((directorio / "sam.json").read_text(encoding="utf-8"))
    recursos = plantilla["Resources"]
    tamanos: dict[str, tuple[int, int]] = {}
    funciones = []
    for nombre, recurso in sorted(recursos.items()):
        if recurso.get("Type") != "AWS::Serverless::Function":
            continue
        propiedades = recurso["Properties"]
        archivos = [propiedades["CodeUri"], *(archivo for _, archivo in capas_de(propiedades, recursos))]
        for archivo in archivos:
            if archivo not in tamanos:
                tamanos[archivo] = tamanos_zip(directorio / archivo)
        funciones.append(
            Funcion(
                recurso=nombre,
                handler=propiedades["Handler"],
                codigo=Path(archivos[0]).name,
                capas=tuple(Path(a).name for a in archivos[1:]),
                comprimido=sum(tamanos[a][0] for a in archivos),
                descomprimido=sum(tamanos[a][1] for a in archivos),
            )
        )
    return funciones
