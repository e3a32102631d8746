"""Remove from deployment.zip the third-party data the app never loads (run by ``make package`` after chalice).

Every function but the report ones ships this zip alone, and must stay within 50 MB zipped and 120 MB unzipped
(docs/deploy.md, "The zip is trimmed"; ``tests/infra/test_paquete.py``). What goes:

- ``babel/locale-data``: every locale except ``root``, ``es*`` and ``en*`` (the app formats ``es_BO``, whose
  parents are ``es_419``, ``es`` and ``root``);
- ``phonenumbers/{geodata,carrierdata,tzdata}``: only read by ``phonenumbers.geocoder``/``carrier``/``timezone``,
  which the code does not import (a test checks it);
- ``botocore/data/<service>/`` of every service but ``SERVICIOS_AWS`` (the clients the code, pynamodb and
  Powertools create; a test checks each one the code names is kept and loads from the zip): about 20 MB of the
  zip's 21 MB of botocore, and 17 MB zipped, since the models are gzipped already. The shared files directly in
  ``botocore/data/`` (endpoints, partitions, retry and default configuration) stay;
- ``tests/`` folders inside third-party packages.

Entries are deleted in place with Info-ZIP's ``zip -d`` (about 2 s); without it the zip is rewritten (slower).
"""

from __future__ import annotations

import re
import shutil
import subprocess
import sys
import zipfile
from pathlib import Path
from typing import Final

LOCALES_CONSERVADOS: Final = re.compile(r"^babel/locale-data/(root|es|en)[._]")
DATOS_TELEFONICOS: Final = re.compile(r"^phonenumbers/(geodata|carrierdata|tzdata)/")
PROPIOS: Final = ("app.py", "chalicelib/", "templates/", "chalice/")
SERVICIOS_AWS: Final = frozenset(
    {
        "cognito-idp",  # adapters/directorio.py
        "dynamodb",  # pynamodb and the idempotency table
        "kms",  # adapters/kms_protector.py
        "lambda",  # the API hands the monthly report's resend to its own function
        "s3",  # adapters/s3_*.py
        "sesv2",  # adapters/ses_mailer.py
        "ssm",  # Powertools parameters (adapters/secretos.py)
        "sts",  # botocore's assume-role and web-identity credential providers
    }
)
MODELOS_BOTOCORE: Final = re.compile(r"^botocore/data/([^/]+)/")


def sobra(nombre: str) -> bool:
    """True when the zip entry is data the app never reads."""
    if nombre.startswith(PROPIOS):
        return False
    if nombre.startswith("babel/locale-data/") and not LOCALES_CONSERVADOS.match(nombre):
        return True
    if DATOS_TELEFONICOS.match(nombre):
        return True
    if (modelo := MODELOS_BOTOCORE.match(nombre)) and modelo.group(1) not in SERVICIOS_AWS:
        return True
    return "/tests/" in nombre


def podar(zip_path: Path) -> tuple[int, int]:
    """Delete the unused entries; returns (entries removed, bytes removed uncompressed)."""
    with zipfile.ZipFile(zip_path) as archivo:
        sobrantes = [i for i in archivo.infolist() if sobra(i.filename)]
    if not sobrantes:
        return 0, 0
    nombres = "\n".join(i.filename for i in sobrantes) + "\n"
    zip_cli = shutil.which("zip")
    if zip_cli:
        subprocess.run([zip_cli, "-q", "-d", str(zip_path), "-@"], input=nombres, text=True, check=True)  # nosec B603
    else:
        _reescribir(zip_path, {i.filename for i in sobrantes})
    return len(sobrantes), sum(i.file_size for i in sobrantes)


def _reescribir(zip_path: Path, fuera: set[str]) -> None:
    temporal = zip_path.with_suffix(".podado.zip")
    with zipfile.ZipFile(zip_path) as origen, zipfile.ZipFile(temporal, "w", zipfile.ZIP_DEFLATED) as destino:
        for info in origen.infolist():
            if info.filename not in fuera:
                destino.writestr(info, origen.read(info), compress_type=info.compress_type)
    temporal.replace(zip_path)


def main(argv: list[str]) -> int:
    for ruta in argv or ["out/dev/deployment.zip"]:
        entradas, octetos = podar(Path(ruta))
        print(f"{ruta}: removed {entradas} unused entries ({octetos / 2**20:.1f} MiB unzipped)")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
