"""Personal data protection: CI numbers are kept as last 4 digits, a keyed hash for lookups and a KMS ciphertext."""

from __future__ import annotations

import base64
import hashlib
import hmac
from functools import cached_property
from typing import Any

from chalicelib.adapters.clientes_aws import cliente


class KmsProtectorDatos:
    """Encrypts the CI with the data key (KMS ``Encrypt``, encryption context ``campo=ci``); the clear number
    is only decrypted to register the sale in Smartflex."""

    def __init__(self, *, kms_key_id: str, pepper: str, region: str) -> None:
        self._kms_key_id = kms_key_id
        self._pepper = pepper.encode()
        self._region = region

    @cached_property
    def _kms(self) -> Any:
        return cliente("kms", self._region)

    def huella(self, ci: str) -> str:
        return hmac.new(self._pepper, ci.strip().upper().encode(), hashlib.sha256).hexdigest()

    def proteger_ci(self, ci: str) -> dict[str, str]:
        normalizado = ci.strip().upper()
        cifrado = self._kms.encrypt(
            KeyId=self._kms_key_id, Plaintext=normalizado.encode(), EncryptionContext={"campo": "ci"}
        )["CiphertextBlob"]
        digitos = normalizado.split("-")[0]
        return {
            "ultimos4": digitos[-4:],
            "huella": self.huella(normalizado),
            "cifrado": base64.b64encode(cifrado).decode(),
        }

    def revelar_ci(self, cifrado: str) -> str:
        claro = self._kms.decrypt(CiphertextBlob=base64.b64decode(cifrado), EncryptionContext={"campo": "ci"})
        return bytes(claro["Plaintext"]).decode()
