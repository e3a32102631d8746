"""Sample bank notification emails (in the formats of chalicelib/data/bancos.json) for the payment tests."""

from __future__ import annotations

from chalicelib.domain.pagos import CorreoBanco


def aviso_union(referencia: str, monto: str = "349,00", numero: str = "778812") -> str:
    return (
        "Estimado cliente COMTECO R.L.:\n"
        "Le informamos que se realizó un abono en su cuenta N° 1-0000000.\n"
        "\n"
        "Tipo de operación: TRANSFERENCIA INTERBANCARIA ACH\n"
        f"Monto: Bs {monto}\n"
        "Fecha: 30/11/2026 10:15\n"
        f"Número de operación: {numero}\n"
        "Depositante: MARIA QUISPE MAMANI\n"
        f"Glosa: {referencia} pago internet\n"
        "\n"
        "Banco Unión S.A. — Este es un mensaje automático.\n"
    )


def aviso_mercantil(referencia: str, monto: str = "349.00") -> str:
    return (
        "Notificación de transferencia recibida\n"
        "Operación: TRANSFERENCIA DESDE OTRO BANCO\n"
        f"Importe: {monto} BOB\n"
        "Fecha de la operación: 2026-11-30\n"
        "Nro. de transacción: MT-99001\n"
        "Ordenante: JUAN PEREZ\n"
        f"Concepto: pago {referencia.lower()}\n"
    )


def correo_union(
    referencia: str, *, monto: str = "349,00", mensaje_id: str = "ses-banco-1", **extra: str
) -> CorreoBanco:
    datos = {
        "mensaje_id": mensaje_id,
        "remitente": "notificaciones@bancounion.com.bo",
        "asunto": "Abono en cuenta 1-0000000",
        "texto": aviso_union(referencia, monto),
        "dmarc": "PASS",
        "dkim": "PASS",
        **extra,
    }
    return CorreoBanco(**datos)  # type: ignore[arg-type]
