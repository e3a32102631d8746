"""``Almacen`` on S3: objects written with SSE-KMS under the data key (raw webhook payloads, channel attachments)."""

from __future__ import annotations

from functools import cached_property
from typing import Any

from chalicelib.adapters.clientes_aws import cliente
from chalicelib.domain.errors import ServicioExternoNoDisponible


class S3Almacen:
    """One bucket; every object encrypted with ``aws:kms`` (the data key when configured, else the bucket default)."""

    def __init__(self, *, bucket: str, kms_key_id: str, region: str) -> None:
        self.bucket = bucket
        self._kms_key_id = kms_key_id
        self._region = region

    @cached_property
    def _s3(self) -> Any:
        return cliente("s3", self._region)

    def guardar(self, clave: str, contenido: bytes, tipo: str) -> str:
        from botocore.exceptions import BotoCoreError, ClientError

        cifrado = {"ServerSideEncryption": "aws:kms"}
        if self._kms_key_id:
            cifrado["SSEKMSKeyId"] = self._kms_key_id
        try:
            self._s3.put_object(Bucket=self.bucket, Key=clave, Body=contenido, ContentType=tipo, **cifrado)
        except (ClientError, BotoCoreError) as exc:
            raise ServicioExternoNoDisponible(f"No se pudo guardar el objeto {clave} en S3.") from exc
        return clave

    def leer(self, clave: str) -> bytes:
        from botocore.exceptions import BotoCoreError, ClientError

        try:
            return bytes(self._s3.get_object(Bucket=self.bucket, Key=clave)["Body"].read())
        except (ClientError, BotoCoreError) as exc:
            raise ServicioExternoNoDisponible(f"No se pudo leer el objeto {clave} de S3.") from exc

    def enlace_temporal(self, clave: str, segundos: int = 300) -> str:
        """A presigned GET URL of the object (SigV4, computed locally: no call to S3), valid ``segundos``."""
        return str(
            self._s3.generate_presigned_url(
                "get_object", Params={"Bucket": self.bucket, "Key": clave}, ExpiresIn=segundos
            )
        )
