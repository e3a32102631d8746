"""``Documentos`` on S3: short-lived presigned GET links to stored documents (CI photos, signed letters).

The buckets are private and SSE-KMS encrypted; a person only ever gets a SigV4 presigned link generated when the
request is read, valid at most ``MAX_SEGUNDOS`` (300 s). A reference is ``s3://<documents bucket>/<key>`` or a bare
key of the documents bucket; anything else gets no link. Only the documents bucket is ever linked: the system's other
buckets (``otros_buckets``: the raw inbound mail, including mail refused as spoofed or infected, and the raw webhook
deliveries) are recognised only to log the attempt, never signed.
"""

from __future__ import annotations

import logging
from functools import cached_property
from typing import Any, Final

from chalicelib.adapters.clientes_aws import cliente

logger = logging.getLogger(__name__)

MAX_SEGUNDOS: Final = 300


class S3Documentos:
    def __init__(self, *, bucket_documentos: str, otros_buckets: tuple[str, ...] = (), region: str) -> None:
        self._bucket = bucket_documentos
        self._no_enlazables = frozenset(otros_buckets) - {bucket_documentos}
        self._region = region

    @cached_property
    def _s3(self) -> Any:
        return cliente("s3", self._region, signature_version="s3v4")

    def ubicar(self, referencia: str) -> tuple[str, str] | None:
        """(bucket, key) of a reference to a document in the documents bucket, or None."""
        texto = referencia.strip()
        if texto.startswith("s3://"):
            bucket, _, clave = texto.removeprefix("s3://").partition("/")
        elif "://" in texto or not texto or " " in texto:
            return None
        else:
            bucket, clave = self._bucket, texto.lstrip("/")
        if bucket in self._no_enlazables:
            logger.warning("referencia a un bucket que no es de documentos", extra={"bucket": bucket})
            return None
        if bucket != self._bucket or not clave or any(s in (".", "..") for s in clave.split("/")):
            return None
        return bucket, clave

    def enlace(self, referencia: str, segundos: int = MAX_SEGUNDOS) -> str | None:
        ubicado = self.ubicar(referencia)
        if ubicado is None:
            return None
        bucket, clave = ubicado
        nombre = clave.rsplit("/", 1)[-1].replace('"', "")
        return str(
            self._s3.generate_presigned_url(
                "get_object",
                Params={"Bucket": bucket, "Key": clave, "ResponseContentDisposition": f'inline; filename="{nombre}"'},
                ExpiresIn=max(1, min(int(segundos), MAX_SEGUNDOS)),
            )
        )
