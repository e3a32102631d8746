"""Environments of an AWS stage for tests: the bare minimum (names of tables and buckets only), and the business
settings a deploy must declare outside the local stage (``Settings.from_env`` refuses to start without them)."""

from __future__ import annotations

from typing import Final

ENTORNO_AWS_MINIMO: Final = {
    "VD_TABLA_SOLICITUDES": "t1",
    "VD_TABLA_HISTORIAL": "t2",
    "VD_TABLA_CLAVES": "t3",
    "VD_TABLA_ENTRANTES": "t4",
    "VD_BUCKET_DOCUMENTOS": "b1",
    "VD_BUCKET_ENTRANTES": "b2",
    "AWS_DEFAULT_REGION": "us-east-1",
}
"""What every stage needs (tables, buckets): an AWS stage with only these runs on every local default."""


def negocio_aws(etapa: str) -> dict[str, str]:
    """Plausible values of every setting an AWS stage must declare (what ``.chalice/config.json`` or the deploy
    supplies; none of them is a secret)."""
    dominio = "ventas.comteco.com.bo" if etapa == "prod" else f"{etapa}.ventas.comteco.com.bo"
    return {
        "VD_CUENTA_BANCARIA": "Banco Unión S.A. — Cta. Cte. 1-4567890 — COMTECO R.L.",
        "VD_URL_PUBLICA": f"https://{dominio}/api",
        "VD_URL_PASARELA": f"https://pagos.{dominio}/checkout?ref={{referencia}}&monto={{monto}}",
        "VD_DOMINIO_CORREO": dominio,
        "VD_COGNITO_ISSUER": "https://cognito-idp.us-east-1.amazonaws.com/us-east-1_AbC123xyZ",
        "VD_COGNITO_CLIENT_ID": "4h3k2j1l0m9n8b7v6c5x4z3a2s",
        "VD_COGNITO_DOMINIO": f"vd-{etapa}.auth.us-east-1.amazoncognito.com",
        "VD_SSM_PREFIX": f"/ventas-digitales/{etapa}",
        "VD_KMS_KEY_ID": f"alias/vd-{etapa}-datos",
    }


def completar(entorno: dict[str, str], etapa: str) -> dict[str, str]:
    """A stage's environment with what it does not declare yet (or declares as a ``REPLACE_…`` placeholder)
    filled in from ``negocio_aws``; what it declares is kept."""
    completo = dict(entorno)
    for nombre, valor in negocio_aws(etapa).items():
        if not completo.get(nombre, "").strip() or "REPLACE_" in completo[nombre]:
            completo[nombre] = valor
    return completo
