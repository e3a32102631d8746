"""Step 2 suggestion rules: the prospect's answer, NIT, company names, business words; the reason is recorded."""

from __future__ import annotations

import pytest

from chalicelib.domain.clasificacion import sugerir_tipo


@pytest.mark.parametrize(
    ("datos", "mensaje", "tipo", "en_motivo"),
    [
        ({"tipo_cliente": "empresa"}, "", "empresarial", "Empresa o negocio"),
        ({"tipo_de_cliente": "Empresa"}, "", "empresarial", "Facebook"),
        ({"tipo_de_cliente": "residencial"}, "para mi oficina", "residencial", "Facebook"),
        ({"tipo_de_cliente": "Hogar"}, "", "residencial", "«Hogar»"),
        ({"nit": "1023456021"}, "", "empresarial", "NIT"),
        ({}, "Facturar al NIT 1023456021 por favor", "empresarial", "NIT"),
        ({"razon_social": "Tornillos SRL"}, "", "empresarial", "razón social"),
        ({"nombre": "Ferretería El Tornillo S.R.L."}, "", "empresarial", "S.R.L."),
        ({"nombre": "Importaciones Andinas SRL"}, "", "empresarial", "S.R.L."),
        ({"nombre": "Constructora Illimani S.A."}, "", "empresarial", "S.A."),
        ({"nombre": "Transportes Quispe Ltda."}, "", "empresarial", "Ltda."),
        ({"nombre": "Juan"}, "Somos Quispe y Cía. Ltda", "empresarial", "Ltda."),
        ({"nombre": "Distribuidora Valle"}, "", "empresarial", "distribuidora"),
        ({}, "Quiero internet 50 Mbps para mi negocio", "empresarial", "negocio"),
        ({}, "Necesito para la sucursal de Quillacollo", "empresarial", "sucursal"),
        ({"nombre": "Rosa Sánchez"}, "Quiero internet para mi casa", "residencial", "Sin indicios"),
        ({"nombre": "Lisa Salazar"}, "para la casa de mi mamá", "residencial", "Sin indicios"),
    ],
)
def test_the_suggestion_follows_the_rules_and_says_why(datos, mensaje, tipo, en_motivo):
    sugerido, motivo = sugerir_tipo(datos, mensaje)
    assert sugerido == tipo and en_motivo in motivo
