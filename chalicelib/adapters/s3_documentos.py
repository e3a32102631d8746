"""``Documentos`` on S3: short-lived presigned GET links to stored documents (CI photos, signed letters).

The buckets are private and SSE-KMS encrypted; a person only ever gets a SigV4 presigned link generated when the
request is read, valid at most ``MAX_SEGUNDOS`` (300 s). A reference is ``s3://<bucket>/<key>`` (one of the
configured buckets) or a bare key of the documents bucket; anything else gets no link.
"""

from __future__ import annotations

from functools import cached_property
from typing import Any, Final

MAX_SEGUNDOS: Final = 300


class S3Documentos:
    def __init__(self, *, bucket_documentos: str, otros_buckets: tuple[str, ...] = (), region: str) -> None:
        self._bucket = bucket_documentos
        self._buckets = frozenset((bucket_documentos, *otros_buckets))
        self._region = region

    @cached_property
    def _s3(self) -> Any:
        import boto3
        from botocore.config import Config

        return boto3.client("s3", region_name=self._region, config=Config(signature_version="s3v4"))

    def ubicar(self, referencia: str) -> tuple[str, str] | None:
        """(bucket, key) of a reference to one of our buckets, or None."""
        texto = referencia.strip()
        if texto.startswith("s3://"):
            bucket, _, clave = texto.removeprefix("s3://").partition("/")
        elif "://" in texto or not texto or " " in texto:
            return None
        else:
            bucket, clave = self._bucket, texto.lstrip("/")
        if bucket not in self._buckets or not clave:
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
