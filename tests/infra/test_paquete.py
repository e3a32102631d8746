"""The deployment zip and the report layer of ``make package``: every template and every module the code imports,
nothing of the local stage, the tests or the developer routes; each function within its size target (issue 18), the
chart's stack only in the layer and the layer only on the report functions; dependencies audited when the
vulnerability service answers."""

from __future__ import annotations

import ast
import re
import sys
import zipfile
from pathlib import Path

import pytest
from chalice.utils import to_cfn_resource_name

from scripts.medir_paquete import FUNCIONES_INFORME, RECURSOS_INFORME, medir
from scripts.pip_audit_ci import auditar
from scripts.podar_paquete import SERVICIOS_AWS, sobra
from tests.infra.conftest import (
    ETAPAS_AWS,
    RAIZ,
    ejecutar_empaquetado,
    plantilla_merge,
    recursos_de_tipo,
    resolver,
)

pytestmark = [pytest.mark.despliegue, pytest.mark.timeout(900)]  # the first test builds the package

NO_EMPAQUETAR = ("tests/", "localstage/", "bench/", ".chalice/", "infra/", "scripts/", "docs/", "vendor/", "out/")
CAPA = "CapaInformes"
SOLO_EN_LA_CAPA = ("matplotlib", "mpl_toolkits", "numpy", "contourpy", "kiwisolver", "cycler", "pyparsing")
FUERA_DEL_PAQUETE = ("shapely",)  # replaced by the pure-Python point-in-polygon; dev only, as the tests' reference
ADAPTADORES_DE_LA_CAPA = {"chalicelib/adapters/graficos_matplotlib.py"}
"""The only modules allowed to import what ships in the layer (they run only in the report functions)."""


def _nombres(zip_prod: Path) -> set[str]:
    with zipfile.ZipFile(zip_prod) as archivo:
        return set(archivo.namelist())


def _raices(nombres: set[str]) -> set[str]:
    """Top-level importable names (and dist-info folders) of a zip's entries."""
    return {n.split("/")[0].removesuffix(".py") for n in nombres}


def _importados() -> dict[str, set[str]]:
    """Top-level module -> the files of app.py and chalicelib that import it (also the lazy imports in functions)."""
    importados: dict[str, set[str]] = {}
    for ruta in [RAIZ / "app.py", *sorted((RAIZ / "chalicelib").rglob("*.py"))]:
        for nodo in ast.walk(ast.parse(ruta.read_text(encoding="utf-8"))):
            if isinstance(nodo, ast.Import):
                nombres = [a.name for a in nodo.names]
            elif isinstance(nodo, ast.ImportFrom) and nodo.level == 0 and nodo.module:
                nombres = [nodo.module]
            else:
                continue
            for nombre in nombres:
                importados.setdefault(nombre.split(".")[0], set()).add(str(ruta.relative_to(RAIZ)))
    return importados


def test_the_zip_holds_every_template_under_templates(zip_prod):
    nombres = _nombres(zip_prod)
    plantillas = [p for p in (RAIZ / "templates").rglob("*") if p.is_file()]
    # Then
    assert plantillas
    faltan = [str(p.relative_to(RAIZ)) for p in plantillas if str(p.relative_to(RAIZ)) not in nombres]
    assert not faltan, f"templates missing from the zip: {faltan}"


def test_the_zip_holds_the_app_and_all_of_chalicelib(zip_prod):
    nombres = _nombres(zip_prod)
    propios = [p for p in (RAIZ / "chalicelib").rglob("*") if p.is_file() and "__pycache__" not in p.parts]
    # Then
    assert "app.py" in nombres
    faltan = [str(p.relative_to(RAIZ)) for p in propios if str(p.relative_to(RAIZ)) not in nombres]
    assert not faltan, f"chalicelib files missing from the zip: {faltan}"


def test_the_zip_holds_no_tests_local_stage_or_configuration(zip_prod):
    nombres = _nombres(zip_prod)
    # Then
    intrusos = sorted(n for n in nombres if n.startswith(NO_EMPAQUETAR) or n.endswith(("config.json", ".env")))
    assert not intrusos, intrusos[:20]


@pytest.mark.parametrize("etapa", ETAPAS_AWS)
def test_every_function_fits_its_size_target(etapa, directorio_paquetes):
    # Given: each function's code zip plus the layers the template attaches to it (scripts/medir_paquete.py):
    # at most 50 MB zipped and 120 MB unzipped, the report functions within Lambda's 250 MB unzipped
    funciones = medir(directorio_paquetes / etapa)
    # Then
    assert len(funciones) >= 10
    fuera = [f.describir() for f in funciones if not f.cumple]
    assert not fuera, "\n".join(fuera)


@pytest.mark.parametrize("etapa", ETAPAS_AWS)
def test_the_report_layer_is_attached_to_the_report_functions_only(etapa, sam, app_empaquetada):
    # Given
    recursos = sam[etapa]["Resources"]
    funciones = recursos_de_tipo(sam[etapa], "AWS::Serverless::Function")
    con_capa = {n for n, f in funciones.items() if {"Ref": CAPA} in f["Properties"].get("Layers", [])}
    registradas = {f["nombre"] for f in app_empaquetada["fuentes"] + app_empaquetada["funciones"]}
    # Then: the layer is this template's, built by make package, for the runtime chalice packages for
    capa = recursos[CAPA]
    assert capa["Type"] == "AWS::Serverless::LayerVersion"
    assert capa["Properties"]["ContentUri"] == "./capa-informes.zip"
    assert {f["Properties"]["Runtime"] for f in funciones.values()} == {"python3.11"}
    assert capa["Properties"]["CompatibleRuntimes"] == ["python3.11"]
    # And: on every report function the app registers, on no other one (SendMonthlyReport at least)
    informe = {to_cfn_resource_name(n) for n in FUNCIONES_INFORME & registradas}
    assert "SendMonthlyReport" in informe
    sin_capa = informe - con_capa
    assert not sin_capa, f"report functions without the layer (add them to infra/template.json): {sin_capa}"
    assert con_capa <= RECURSOS_INFORME, f"the layer is only for the report functions: {con_capa - RECURSOS_INFORME}"
    assert not [f for n, f in funciones.items() if f["Properties"].get("Layers") and n not in con_capa]


@pytest.mark.parametrize("etapa", ETAPAS_AWS)
def test_the_api_invokes_the_resend_function_by_the_name_the_stack_gives_it(etapa, sam):
    # Given: chalice's template names no function (CloudFormation would make one up); the merge names this one
    recursos = sam[etapa]["Resources"]
    invocada = recursos["APIHandler"]["Properties"]["Environment"]["Variables"]["VD_FUNCION_REENVIO_INFORME"]
    nombre = resolver(recursos["ReenviarInformeMensual"]["Properties"].get("FunctionName"), etapa, sam[etapa])
    # Then
    assert nombre == invocada == f"ventas-digitales-{etapa}-reenviar_informe_mensual"


def test_the_merge_template_attaches_the_layer_to_report_functions_only():
    # Given: the overrides infra/template.json merges into chalice's functions (no Type: chalice declares them)
    recursos = plantilla_merge()["Resources"]
    con_capa = {n for n, r in recursos.items() if "Type" not in r and "Layers" in r.get("Properties", {})}
    # Then
    assert "SendMonthlyReport" in con_capa
    assert con_capa <= RECURSOS_INFORME


def test_the_function_zip_ships_no_chart_or_geometry_stack(zip_prod):
    raices = {r.split("-")[0].lower() for r in _raices(_nombres(zip_prod))}
    # Then: matplotlib and numpy are in the layer only; shapely is not shipped at all
    presentes = sorted(raices & {*SOLO_EN_LA_CAPA, *FUERA_DEL_PAQUETE, "numpy.libs", "shapely.libs", "pylab"})
    assert not presentes, presentes


def test_the_layer_holds_the_chart_stack_under_python_and_nothing_the_zip_has(capa_prod, zip_prod):
    nombres = _nombres(capa_prod)
    raices_capa = {n.split("/")[1].removesuffix(".py") for n in nombres if n.count("/") >= 1}
    # Then: one python/ folder (Lambda's /opt/python), the stack, no duplicate of the zip, no tests or bytecode
    assert {n.split("/")[0] for n in nombres} == {"python"}
    assert {"matplotlib", "numpy", "contourpy", "kiwisolver"} <= raices_capa
    assert not raices_capa & _raices(_nombres(zip_prod)), sorted(raices_capa & _raices(_nombres(zip_prod)))
    assert not [n for n in nombres if sobra(n.removeprefix("python/")) or "__pycache__" in n][:5]


def test_the_zip_and_the_layer_together_draw_the_monthly_chart(zip_extraido, capa_extraida):
    # Given: Lambda's sys.path for a report function: its code first, then the layer's python/
    programa = """
import json
from chalicelib.adapters.graficos_matplotlib import MatplotlibGraficos
informe = {
    "kpi": {"veredicto": "APROBADO", "facturacion_anterior_bs": "1000.00", "facturacion_bs": "1250.50",
            "umbral": "98", "porcentaje": "125.05"},
    "embudo": [{"etiqueta": "Recibidas (12)", "cantidad": 12}, {"etiqueta": "Aprobadas", "cantidad": 7}],
    "mes_anterior_etiqueta": "octubre 2026",
    "mes_etiqueta": "noviembre 2026",
}
png = MatplotlibGraficos().informe_mensual(informe)
import matplotlib, numpy, PIL
print(json.dumps({"cabecera": png[:8].hex(), "bytes": len(png),
                  "origen": {m.__name__: m.__file__ for m in (matplotlib, numpy, PIL)}}))
"""
    # When
    resultado = ejecutar_empaquetado(programa, [zip_extraido, capa_extraida / "python"], timeout=180)
    # Then: a PNG, drawn by the layer's matplotlib with the zip's pillow
    assert resultado["cabecera"] == "89504e470d0a1a0a"
    assert resultado["bytes"] > 10_000
    assert resultado["origen"]["matplotlib"].startswith(str(capa_extraida))
    assert resultado["origen"]["numpy"].startswith(str(capa_extraida))
    assert resultado["origen"]["PIL"].startswith(str(zip_extraido))


def test_every_aws_service_the_code_calls_is_kept_in_the_zip(zip_extraido):
    # Given: the clients the code creates (boto3.client("<service>")), pynamodb's and Powertools parameters'
    codigo = "\n".join(p.read_text(encoding="utf-8") for p in [RAIZ / "app.py", *(RAIZ / "chalicelib").rglob("*.py")])
    servicios = set(re.findall(r"""\b(?:client|resource|cliente)\(\s*["']([a-z0-9-]+)["']""", codigo)) | {
        "dynamodb",
        "ssm",
    }
    programa = f"""
import json, boto3
clientes = {{s: boto3.client(s, region_name="us-east-1").meta.service_model.service_name for s in {sorted(SERVICIOS_AWS)!r}}}
print(json.dumps(clientes))
"""
    # When: each kept service's client is created from the trimmed zip alone
    clientes = ejecutar_empaquetado(programa, [zip_extraido])
    # Then
    assert servicios <= SERVICIOS_AWS, f"add to SERVICIOS_AWS in scripts/podar_paquete.py: {servicios - SERVICIOS_AWS}"
    assert set(clientes) == SERVICIOS_AWS
    modelos = {p.name for p in (zip_extraido / "botocore" / "data").iterdir() if p.is_dir()}
    assert modelos == SERVICIOS_AWS


def test_every_dependency_was_packaged(registro_empaquetado):
    for etapa, registro in registro_empaquetado.items():
        # Then: chalice warns and goes on when a requirement has no Lambda-compatible wheel
        assert "Could not install dependencies" not in registro, f"{etapa}:\n{registro}"


def test_every_module_the_code_imports_is_in_the_zip_or_for_the_report_adapter_in_the_layer(zip_prod, capa_prod):
    # Given: every absolute import of app.py and chalicelib (also the lazy ones inside functions)
    importados = _importados()
    en_el_zip = _raices(_nombres(zip_prod))
    en_la_capa = {n.split("/")[1].removesuffix(".py") for n in _nombres(capa_prod) if n.count("/") >= 1}
    # Then (localstage is imported by app.py only on the local stage)
    faltan = {
        m: sorted(donde)
        for m, donde in importados.items()
        if m not in sys.stdlib_module_names
        and m not in en_el_zip
        and m != "localstage"
        and not (m in en_la_capa and donde <= ADAPTADORES_DE_LA_CAPA)
    }
    assert not faltan, (
        f"imported but not packaged (add them to requirements.txt; the layer serves {ADAPTADORES_DE_LA_CAPA} only): "
        f"{faltan}"
    )


def test_the_packaged_app_has_no_developer_routes_and_loads_no_local_stage_code(app_empaquetada, zip_extraido):
    # Then
    assert app_empaquetada["origen_app"].startswith(str(zip_extraido))
    assert app_empaquetada["rutas"], "the packaged app registers its routes"
    assert not [r for r in app_empaquetada["rutas"] if r == "/dev" or r.startswith("/dev/")]
    assert app_empaquetada["modulos"] == []


def test_the_pruned_package_still_formats_spanish_and_parses_bolivian_numbers(app_empaquetada, zip_prod):
    # Given: make package removes unused locale data, phone geodata and third-party tests (scripts/podar_paquete.py)
    nombres = _nombres(zip_prod)
    humo = app_empaquetada["humo"]
    # Then
    assert not [n for n in nombres if sobra(n)]
    assert {"babel/locale-data/es_BO.dat", "babel/locale-data/es_419.dat", "babel/locale-data/root.dat"} <= nombres
    assert humo["monto"] == "1.234,50"
    assert humo["fecha"] == "6 de agosto de 2026"
    assert humo["telefono"] == "+59171234567"
    assert humo["feriado"]


def test_the_code_never_loads_the_pruned_phone_data():
    codigo = "\n".join(p.read_text(encoding="utf-8") for p in sorted((RAIZ / "chalicelib").rglob("*.py")))
    # Then
    assert not re.search(r"phonenumbers(\.| import )(geocoder|carrier|timezone)", codigo)


@pytest.mark.parametrize("paquete", ["zip", "capa"])
def test_the_shipped_dependencies_have_no_known_vulnerability(paquete, zip_extraido, capa_extraida):
    # When: pip-audit over the distributions inside the zip and the layer (exactly what ships)
    resultado = auditar(ruta=zip_extraido if paquete == "zip" else capa_extraida / "python")
    # Then
    if resultado.estado == "sin_servicio":
        pytest.skip(f"pip-audit: NOT AUDITED, vulnerability service unreachable ({resultado.detalle})")
    assert resultado.estado == "limpio", "\n".join([resultado.detalle, *resultado.vulnerabilidades])
