"""Build the Lambda layer of the monthly report's chart (run by ``make package`` after ``podar_paquete.py``).

``requirements-informes.txt`` (matplotlib and its stack) is installed for the python3.11 runtime, manylinux2014
x86_64 wheels only, under ``python/`` (the folder Lambda puts on ``sys.path`` as ``/opt/python``). Every
distribution the function zip already ships is a constraint at its zipped version and is then left out of the layer:
Lambda puts the function's code (``/var/task``) before its layers, so the zip's copy is the one loaded anyway
(pillow, fonttools, python-dateutil would otherwise ship twice). Console scripts, ``share/`` and third-party
``tests/`` folders (``podar_paquete.sobra``) are dropped and no bytecode is written.

The zip is deterministic (sorted entries, fixed timestamps and modes): an unchanged layer keeps its MD5, so
``aws cloudformation package`` uploads it under the same S3 key and CloudFormation publishes no new layer version.
It is cached in ``.chalice/deployments/`` (git-ignored, where chalice caches its dependencies) by a hash of the
requirements, the constraints and this script, so a rebuild with nothing changed does not call pip.
"""

from __future__ import annotations

import argparse
import email.parser
import hashlib
import os
import re
import shutil
import subprocess
import sys
import tempfile
import zipfile
from pathlib import Path
from typing import Final

from scripts.podar_paquete import sobra

RAIZ: Final = Path(__file__).resolve().parent.parent
REQUISITOS: Final = RAIZ / "requirements-informes.txt"
CACHE: Final = RAIZ / ".chalice" / "deployments"
PREFIJO: Final = "python/"
PLATAFORMA: Final = ("--platform", "manylinux2014_x86_64", "--implementation", "cp", "--python-version", "3.11")
FECHA_FIJA: Final = (1980, 1, 1, 0, 0, 0)
FUERA: Final = ("bin/", "share/")


def normalizar(nombre: str) -> str:
    """PEP 503 name: ``python_dateutil`` and ``Python-Dateutil`` are the same distribution."""
    return re.sub(r"[-_.]+", "-", nombre).lower()


def distribuciones_del_zip(zip_base: Path) -> dict[str, tuple[str, str]]:
    """Normalized name -> (name, version) of every distribution in the function zip (its ``*.dist-info``)."""
    encontradas: dict[str, tuple[str, str]] = {}
    with zipfile.ZipFile(zip_base) as archivo:
        for nombre in archivo.namelist():
            partes = nombre.split("/")
            if len(partes) == 2 and partes[0].endswith(".dist-info") and partes[1] == "METADATA":
                meta = email.parser.HeaderParser().parsestr(archivo.read(nombre).decode("utf-8"))
                encontradas[normalizar(meta["Name"])] = (meta["Name"], meta["Version"])
    return encontradas


def _instalar(destino: Path, restricciones: Path) -> None:
    subprocess.run(  # nosec B603: fixed argument list, no shell
        [sys.executable, "-m", "pip", "install", "--quiet", "--disable-pip-version-check", "--no-compile"]
        + ["--no-warn-conflicts", *PLATAFORMA, "--only-binary=:all:", "--target", str(destino)]
        + ["-r", str(REQUISITOS), "-c", str(restricciones)],
        check=True,
    )


def _quitar_distribucion(sitio: Path, dist_info: Path) -> None:
    """Delete the files pip recorded for one distribution (inside ``sitio`` only), then its ``dist-info``."""
    for linea in (dist_info / "RECORD").read_text(encoding="utf-8").splitlines():
        relativa = linea.rsplit(",", 2)[0]
        ruta = (sitio / relativa).resolve()
        if ruta.is_relative_to(sitio) and ruta.is_file():
            ruta.unlink()
    shutil.rmtree(dist_info, ignore_errors=True)


def _podar(sitio: Path, ya_en_el_zip: set[str]) -> list[str]:
    """Leave out what the function zip has, scripts, data and tests; returns the distributions left out."""
    fuera: list[str] = []
    for dist_info in sorted(sitio.glob("*.dist-info")):
        meta = email.parser.HeaderParser().parsestr((dist_info / "METADATA").read_text(encoding="utf-8"))
        if normalizar(meta["Name"]) in ya_en_el_zip:
            fuera.append(f"{meta['Name']} {meta['Version']}")
            _quitar_distribucion(sitio, dist_info)
    for ruta in sorted(sitio.rglob("*"), reverse=True):
        relativa = ruta.relative_to(sitio).as_posix()
        if ruta.is_file() and (relativa.startswith(FUERA) or sobra(relativa) or "__pycache__" in ruta.parts):
            ruta.unlink()
        elif ruta.is_dir() and not any(ruta.iterdir()):
            ruta.rmdir()
    return fuera


def _comprimir(sitio: Path, destino: Path) -> None:
    """``python/<files>`` in sorted order with fixed timestamps and modes: same files, same bytes."""
    with zipfile.ZipFile(destino, "w", zipfile.ZIP_DEFLATED) as archivo:
        for ruta in sorted(p for p in sitio.rglob("*") if p.is_file()):
            info = zipfile.ZipInfo(PREFIJO + ruta.relative_to(sitio).as_posix(), FECHA_FIJA)
            info.compress_type = zipfile.ZIP_DEFLATED
            info.external_attr = (0o100755 if os.access(ruta, os.X_OK) else 0o100644) << 16
            archivo.writestr(info, ruta.read_bytes())


def construir(zip_base: Path, salida: Path) -> str:
    """Write the layer zip to ``salida``; returns a one-line summary."""
    del_zip = distribuciones_del_zip(zip_base)
    restricciones = "".join(f"{n}=={v}\n" for n, v in sorted(del_zip.values()))
    huella = hashlib.sha256()
    for parte in (REQUISITOS.read_bytes(), restricciones.encode(), Path(__file__).read_bytes()):
        huella.update(hashlib.sha256(parte).digest())
    cacheada = CACHE / f"capa-informes-{huella.hexdigest()[:24]}.zip"
    origen = "cached"
    if not cacheada.is_file():
        origen = "built"
        CACHE.mkdir(parents=True, exist_ok=True)
        with tempfile.TemporaryDirectory(prefix="vd-capa-") as tmp:
            (Path(tmp) / "restricciones.txt").write_text(restricciones, encoding="utf-8")
            sitio = Path(tmp) / "python"
            _instalar(sitio, Path(tmp) / "restricciones.txt")
            fuera = _podar(sitio, set(del_zip))
            print(f"left out of the layer (already in the function zip): {', '.join(fuera) or 'nothing'}")
            parcial = cacheada.with_suffix(f".{os.getpid()}.tmp")
            _comprimir(sitio, parcial)
            parcial.replace(cacheada)
    salida.parent.mkdir(parents=True, exist_ok=True)
    shutil.copyfile(cacheada, salida)
    with zipfile.ZipFile(salida) as archivo:
        infos = archivo.infolist()
    return (
        f"{salida}: {len(infos)} files, {salida.stat().st_size / 2**20:.1f} MiB zipped, "
        f"{sum(i.file_size for i in infos) / 2**20:.1f} MiB unzipped ({origen})"
    )


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--base", type=Path, required=True, help="the function zip (deployment.zip), trimmed")
    parser.add_argument("salida", type=Path, help="the layer zip to write (out/<stage>/capa-informes.zip)")
    args = parser.parse_args(argv)
    print(construir(args.base, args.salida))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
