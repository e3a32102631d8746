"""Use cases on a Solicitud: capture, apply an action, read, list. Every door calls these."""

from __future__ import annotations

import logging
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import timedelta
from typing import Any

from chalicelib.domain.actions import ACCIONES, Normalizador, validar_campos
from chalicelib.domain.commands import AplicarAccion, CapturarSolicitud
from chalicelib.domain.contacto import claves_de_reclamo
from chalicelib.domain.effects import mes_de
from chalicelib.domain.errors import (
    AccionDesconocida,
    ConflictoConcurrente,
    DatosInvalidos,
    RolNoAutorizado,
    ServicioExternoNoDisponible,
)
from chalicelib.domain.events import ACCION_CAPTURA, ACCION_REDIGITACION
from chalicelib.domain.mensajeria import destino_de
from chalicelib.domain.model import Cambio, EntradaHistorial, Rol, Solicitud
from chalicelib.domain.planes import VALIDEZ_OFERTA_DIAS, Plan, planes_elegibles
from chalicelib.domain.ports import (
    CatalogoPlanes,
    Clock,
    Cobertura,
    IdGenerator,
    Pagina,
    ProtectorDatos,
    Smartflex,
    SolicitudRepository,
)
from chalicelib.domain.requisitos import (
    DOCUMENTO_AJENO,
    bucket_de_documentos,
    documentos_guardados,
    leer_referencia,
    prefijo_correo,
)
from chalicelib.domain.states import (
    ESTADO_INICIAL,
    ESTADO_REDIGITACION,
    ETIQUETA_ESTADO,
    Accion,
    Estado,
    acciones_desde,
    motivo_rechazo,
    transition,
)

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class Puertos:
    """The ports the request use cases need (built once by the composition root)."""

    repo: SolicitudRepository
    clock: Clock
    ids: IdGenerator
    protector: ProtectorDatos
    cobertura: Cobertura
    smartflex: Smartflex
    normalizadores: Mapping[str, Normalizador]
    catalogo: CatalogoPlanes | None = None
    bucket_documentos: str | None = None
    """The documents bucket: a requirement's ``documento`` naming a bucket must name this one (when None, a bucket
    the system itself wrote in the request's references; the presigned-link adapter links no other bucket)."""


def capturar(cmd: CapturarSolicitud, *, puertos: Puertos, reclamar_contacto: bool = False) -> Solicitud:
    """A prospect becomes a new request in ``nueva``; the same submission key never creates a second one. With
    ``reclamar_contacto`` the request also claims its contact keys for a short while (``claves_de_reclamo``), so that
    a second first contact of the same person at the same instant gets ContactoReclamado instead of a request."""
    ahora = puertos.clock.ahora()
    solicitud_id = cmd.recibo or puertos.ids.solicitud()
    datos = _datos_de_contacto(cmd.datos, puertos)
    cambio = Cambio(
        id=puertos.ids.evento(),
        solicitud_id=solicitud_id,
        en=ahora.isoformat(),
        actor=f"prospecto:{cmd.canal}",
        rol=Rol.SISTEMA.value,
        canal=cmd.canal,
        accion=ACCION_CAPTURA,
        de="",
        a=ESTADO_INICIAL.value,
        campos={
            **{k: v for k, v in datos.items() if k not in ("ci_huella", "ci_cifrado")},
            **({"adjuntos": list(cmd.adjuntos)} if cmd.adjuntos else {}),
        },
        nota=cmd.mensaje,
    )
    solicitud = Solicitud(
        id=solicitud_id,
        estado=ESTADO_INICIAL.value,
        canal=cmd.canal,
        creada_en=ahora.isoformat(),
        actualizada_en=ahora.isoformat(),
        estado_desde=ahora.isoformat(),
        mes=mes_de(ahora),
        version=1,
        datos=datos,
        tipo_cliente_sugerido=cmd.tipo_cliente_sugerido,
        motivo_clasificacion=cmd.motivo_clasificacion,
        origen={**cmd.origen, **({"mensaje": cmd.mensaje} if cmd.mensaje else {})},
        ultimo_cambio=cambio,
        contactos=[contacto_de(cmd, ahora.isoformat())],
    )
    claves = [f"envio#{cmd.canal}#{cmd.clave_envio}"] if cmd.clave_envio else []
    entrada = EntradaHistorial.de_cambio(cambio, f"Solicitud recibida por el canal {cmd.canal}.")
    reclamos = claves_de_reclamo(solicitud) if reclamar_contacto else []
    puertos.repo.crear(solicitud, entrada, claves, reclamos)
    logger.info("solicitud capturada", extra={"solicitud_id": solicitud_id, "canal": cmd.canal})
    return solicitud


def contacto_de(cmd: CapturarSolicitud, en: str) -> dict[str, Any]:
    """The touchpoint a capture command leaves on its request: channel, kind, the channel's id, when."""
    contacto: dict[str, Any] = {"canal": cmd.canal, "tipo": cmd.tipo_contacto, "en": en}
    if cmd.clave_envio:
        contacto["referencia"] = cmd.clave_envio
    destino = destino_de(cmd.canal, cmd.origen)
    if destino is not None:
        contacto["destino"] = destino.como_dict()
    return contacto


def _datos_de_contacto(crudos: Mapping[str, Any], puertos: Puertos) -> dict[str, Any]:
    datos = {k: v for k, v in crudos.items() if v not in (None, "")}
    if "ci" in datos:
        protegido = puertos.protector.proteger_ci(str(datos.pop("ci")))
        datos.update(ci="••••" + protegido["ultimos4"], ci_huella=protegido["huella"], ci_cifrado=protegido["cifrado"])
    return datos


def parsear_accion(nombre: str) -> Accion:
    """The Accion named by a door; AccionDesconocida if the procedure has none by that name."""
    try:
        return Accion(nombre)
    except ValueError:
        raise AccionDesconocida(f"La acción «{nombre}» no existe en el procedimiento.") from None


def aplicar(cmd: AplicarAccion, *, puertos: Puertos) -> Solicitud:
    """Apply one action if the caller's role may, the state allows it and its guards pass; written conditionally
    on the version read, so a concurrent or stale action gets ConflictoConcurrente and changes nothing. A command
    with a ``referencia`` already in the history changes nothing and returns the request as it is."""
    accion = parsear_accion(cmd.accion)
    definicion = ACCIONES[accion]
    if cmd.rol not in definicion.roles:
        roles = ", ".join(sorted(r.etiqueta for r in definicion.roles))
        raise RolNoAutorizado(f"La acción «{definicion.etiqueta}» corresponde a: {roles}.")
    solicitud = puertos.repo.obtener(cmd.solicitud_id)
    if cmd.referencia and aplicada(puertos.repo, solicitud.id, cmd.referencia) is not None:
        return solicitud  # applied already, by an attempt that died or lost its answer: once only
    if cmd.version_esperada is not None and cmd.version_esperada != solicitud.version:
        raise ConflictoConcurrente(
            "La solicitud cambió desde que la consultó (versión "
            f"{cmd.version_esperada}, actual {solicitud.version}). Vuelva a cargarla."
        )
    campos = validar_campos(accion, cmd.campos, puertos.normalizadores)
    from chalicelib.domain.states import destino

    destino(Estado(solicitud.estado), accion)  # wrong state -> EstadoInvalido before any external call
    if accion is Accion.REGISTRAR_REQUISITO and "documento" in campos:
        _documento_de_la_solicitud(solicitud, cmd, campos["documento"], puertos)
    campos = _enriquecer(accion, solicitud, campos, puertos)

    ahora = puertos.clock.ahora()
    nuevas: list[tuple[Solicitud, EntradaHistorial]] = []
    if accion is Accion.REDIGITAR:
        motivo = motivo_rechazo(solicitud, accion, campos)
        if not motivo:
            nueva, entrada_nueva = _redigitacion(solicitud, cmd, puertos)
            nuevas.append((nueva, entrada_nueva))
            campos = {**campos, "nueva_solicitud_id": nueva.id}
    actualizada, cambio = transition(
        solicitud,
        accion,
        campos=campos,
        actor=cmd.actor,
        rol=cmd.rol,
        canal=cmd.canal,
        ahora=ahora,
        cambio_id=puertos.ids.evento() + (sufijo_de_referencia(cmd.referencia) if cmd.referencia else ""),
        nota=cmd.nota,
    )
    entrada = EntradaHistorial.de_cambio(cambio, _resumen(accion, cambio))
    puertos.repo.guardar_cambio(actualizada, solicitud.version, solicitud.estado, entrada, nuevas)
    logger.info(
        "accion aplicada",
        extra={"solicitud_id": solicitud.id, "accion": accion.value, "de": cambio.de, "a": cambio.a},
    )
    return actualizada


def sufijo_de_referencia(referencia: str) -> str:
    """How the history id of the action caused by ``referencia`` ends, for every attempt (its start is the event id,
    which keeps the history in order)."""
    import hashlib

    return "-ref-" + hashlib.sha256(referencia.encode()).hexdigest()[:24]


def aplicada(repo: SolicitudRepository, solicitud_id: str, referencia: str) -> EntradaHistorial | None:
    """The action ``referencia`` caused, if it was applied: a door whose first attempt died or lost its answer after
    the write asks this before telling anyone the request was decided by someone else."""
    sufijo = sufijo_de_referencia(referencia)
    return next((e for e in repo.historial(solicitud_id) if e.id.endswith(sufijo)), None)


CANAL_CORREO = "correo"
"""The email intake's channel (``services.correo_entrante``), which registers an attachment right after storing it."""


def _documento_de_la_solicitud(solicitud: Solicitud, cmd: AplicarAccion, referencia: Any, puertos: Puertos) -> None:
    """A requirement's ``documento`` must be a file the system stored for this request (every door: staff API,
    console, email, channels): one of the attachments its history records as stored in the documents bucket. The
    email intake registers an attachment before it records the email, so for it (role SISTEMA, channel correo) the
    key it has just written under this request's prefix (``correo/<id>/``) is accepted too. Otherwise 422 on
    ``documento`` and nothing is written."""
    guardados = documentos_guardados(puertos.repo.historial(solicitud.id))
    if guardados.contiene(referencia, bucket_documentos=puertos.bucket_documentos):
        return
    leida = leer_referencia(referencia)
    if (
        leida is not None
        and cmd.rol is Rol.SISTEMA
        and cmd.canal == CANAL_CORREO
        and leida.clave.startswith(prefijo_correo(solicitud.id))
        and bucket_de_documentos(leida, guardados.buckets, puertos.bucket_documentos)
    ):
        return
    logger.info("documento ajeno rechazado", extra={"solicitud_id": solicitud.id, "canal": cmd.canal})
    raise DatosInvalidos({"documento": DOCUMENTO_AJENO}, "Revise los campos marcados.")


def _enriquecer(accion: Accion, solicitud: Solicitud, campos: dict[str, Any], puertos: Puertos) -> dict[str, Any]:
    """Fields the system adds from other systems: existing customer and protected CI, coverage answer, the
    offered plan from the catalogue, Smartflex registration and cancellation."""
    if accion is Accion.REGISTRAR_DATOS:
        campos = {**campos, **_cliente_existente(solicitud, campos, puertos)}
    if accion is Accion.REGISTRAR_DATOS and "ci" in campos:
        campos = dict(campos)
        campos["ci_protegido"] = puertos.protector.proteger_ci(str(campos.pop("ci")))
    if accion is Accion.ENVIAR_OFERTA:
        campos = {**campos, **_plan_del_catalogo(str(campos["plan"]), puertos)}
        valida_hasta = puertos.clock.ahora().date() + timedelta(days=VALIDEZ_OFERTA_DIAS)
        campos["valida_hasta"] = valida_hasta.isoformat()
    if accion is Accion.ANULAR and campos.get("origen_anulacion") != "smartflex":
        contrato = (solicitud.digitacion or {}).get("numero_contrato")
        if contrato:
            puertos.smartflex.anular(str(contrato), str(campos.get("motivo", "")))
    if accion is Accion.CONSULTAR_COBERTURA:
        datos = solicitud.datos
        if datos.get("latitud") is None and not datos.get("zona"):
            raise DatosInvalidos(
                {"ubicacion": "Registre las coordenadas o la zona de instalación."},
                "Para consultar la cobertura hace falta la ubicación.",
            )
        respuesta = puertos.cobertura.consultar(
            latitud=datos.get("latitud"), longitud=datos.get("longitud"), zona=datos.get("zona")
        )
        campos = {**campos, **respuesta}
    if accion is Accion.DIGITAR_VENTA:
        ci = (
            puertos.protector.revelar_ci(str(solicitud.datos["ci_cifrado"]))
            if solicitud.datos.get("ci_cifrado")
            else ""
        )
        registro = puertos.smartflex.registrar_venta(solicitud, ci)
        campos = {**campos, **registro}
    if accion is Accion.CONFIRMAR_PAGO_WEB:
        campos = {**campos, **_pago_en_smartflex(solicitud, puertos)}
    return campos


def _pago_en_smartflex(solicitud: Solicitud, puertos: Puertos) -> dict[str, Any]:
    """Step 13: a web payment is confirmed only when Smartflex shows the contract paid with that amount."""
    from chalicelib.domain.errors import SmartflexRechazo

    contrato = (solicitud.digitacion or {}).get("numero_contrato")
    monto = (solicitud.pago or {}).get("monto_bs")
    if not contrato or monto is None:
        raise SmartflexRechazo("Falta el número de contrato o el monto del pago para verificarlo en Smartflex.")
    respuesta = puertos.smartflex.verificar_pago(str(contrato), float(monto))
    if not respuesta.get("verificado"):
        raise SmartflexRechazo(f"Smartflex no confirma el pago: {respuesta.get('motivo') or 'sin detalle'}")
    return {"verificacion_smartflex": {"estado": respuesta.get("estado"), "motivo": respuesta.get("motivo")}}


def _cliente_existente(solicitud: Solicitud, campos: Mapping[str, Any], puertos: Puertos) -> dict[str, Any]:
    """Step 3: when a CI or phone is recorded, ask Smartflex whether the person is already a customer; what the
    executive typed wins, and Smartflex being down never blocks recording the data."""
    if "ci" not in campos and "telefono" not in campos:
        return {}
    try:
        cliente = puertos.smartflex.buscar_cliente(
            ci=str(campos["ci"]) if "ci" in campos else None,
            telefono=str(campos["telefono"]) if "telefono" in campos else None,
        )
    except ServicioExternoNoDisponible:
        logger.warning("smartflex no disponible al buscar cliente", extra={"solicitud_id": solicitud.id})
        return {}
    if cliente:
        encontrado = {"cliente_existente": True, "codigo_cliente": str(cliente["codigo_cliente"])}
        return {k: v for k, v in encontrado.items() if k not in campos}
    if "cliente_existente" in campos or solicitud.datos.get("cliente_existente"):
        return {}
    return {"cliente_existente": False}


def _plan_del_catalogo(plan_id: str, puertos: Puertos) -> dict[str, Any]:
    """The offer fields of a current catalogue plan; DatosInvalidos (422) for an unknown or retired plan."""
    planes = {p.id: p for p in (puertos.catalogo.planes() if puertos.catalogo else [])}
    plan = planes.get(plan_id)
    if plan is None or not plan.vigente:
        raise DatosInvalidos(
            {"plan": "No es un plan vigente del catálogo."}, "El plan indicado no existe en el catálogo."
        )
    return plan.campos_oferta()


def _redigitacion(original: Solicitud, cmd: AplicarAccion, puertos: Puertos) -> tuple[Solicitud, EntradaHistorial]:
    """Step 20: the new digitation, linked to the cancelled original, starts again in ``digitacion``."""
    ahora = puertos.clock.ahora()
    nueva_id = puertos.ids.solicitud()
    cambio = Cambio(
        id=puertos.ids.evento(),
        solicitud_id=nueva_id,
        en=ahora.isoformat(),
        actor=cmd.actor,
        rol=cmd.rol.value,
        canal=cmd.canal,
        accion=ACCION_REDIGITACION,
        de="",
        a=ESTADO_REDIGITACION.value,
        campos={"redigitacion_de": original.id},
        nota=cmd.nota,
    )
    nueva = replace(
        original,
        id=nueva_id,
        estado=ESTADO_REDIGITACION.value,
        canal=original.canal,
        creada_en=ahora.isoformat(),
        actualizada_en=ahora.isoformat(),
        estado_desde=ahora.isoformat(),
        mes=mes_de(ahora),
        version=1,
        digitacion=None,
        modalidad_pago=None,
        pago=None,
        factura=None,
        control_facturacion=None,
        motivo_cierre=None,
        anulacion=None,
        redigitacion_de=original.id,
        redigitada_como=None,
        escalada_en=None,
        ultimo_cambio=cambio,
    )
    entrada = EntradaHistorial.de_cambio(cambio, f"Redigitación de la venta anulada {original.id}.")
    return nueva, entrada


def _resumen(accion: Accion, cambio: Cambio) -> str:
    etiqueta = ACCIONES[accion].etiqueta
    if cambio.de == cambio.a:
        return etiqueta + "."
    return f"{etiqueta}: {ETIQUETA_ESTADO[Estado(cambio.de)]} → {ETIQUETA_ESTADO[Estado(cambio.a)]}."


def acciones_disponibles(solicitud: Solicitud, rol: Rol, *, planes: Sequence[Plan] = ()) -> list[dict[str, Any]]:
    """The actions the caller's role may apply now, each with the fields it needs and, if a guard would
    refuse it as things stand, the reason (so a person sees why before trying). The ``plan`` of
    ``enviar_oferta`` lists only the plans of ``planes`` eligible for the request."""
    disponibles = []
    for accion in acciones_desde(Estado(solicitud.estado)):
        definicion = ACCIONES[accion]
        if rol not in definicion.roles:
            continue
        descripcion = definicion.describir(accion)
        sin_campos_de_guardia = accion not in (Accion.REGISTRAR_ETAPA, Accion.ENVIAR_OFERTA)
        if sin_campos_de_guardia:
            motivo = motivo_rechazo(solicitud, accion, {})
            if motivo:
                descripcion["bloqueada_por"] = motivo
        if accion is Accion.ENVIAR_OFERTA:
            _opciones_de_plan(descripcion, solicitud, planes)
        disponibles.append(descripcion)
    return disponibles


def _opciones_de_plan(descripcion: dict[str, Any], solicitud: Solicitud, planes: Sequence[Plan]) -> None:
    elegibles = planes_elegibles(planes, solicitud)
    for campo in descripcion["campos"]:
        if campo["nombre"] == "plan":
            campo["tipo"] = "opcion"
            campo["opciones"] = [{"valor": p.id, "etiqueta": p.etiqueta} for p in elegibles]
    if not elegibles:
        descripcion["bloqueada_por"] = (
            "Ningún plan vigente del catálogo cabe en la cobertura de la ubicación y la capacidad confirmada."
        )


def acciones_para_roles(
    solicitud: Solicitud, roles: frozenset[Rol], *, planes: Sequence[Plan] = ()
) -> list[dict[str, Any]]:
    """The actions a person holding ``roles`` may apply now, each once, with the role it would be applied as."""
    vistas: dict[str, dict[str, Any]] = {}
    for rol in sorted(roles, key=lambda r: r.value):
        for accion in acciones_disponibles(solicitud, rol, planes=planes):
            vistas.setdefault(accion["accion"], {**accion, "rol": rol.value})
    return list(vistas.values())


def rol_para(accion: Accion, roles: frozenset[Rol]) -> Rol:
    """The role a person holding ``roles`` applies ``accion`` as (the first by code that may);
    RolNoAutorizado when none of their roles may. Every door that acts for a person chooses it here."""
    permitidos = ACCIONES[accion].roles & roles
    if not permitidos:
        nombres = ", ".join(sorted(r.etiqueta for r in ACCIONES[accion].roles))
        raise RolNoAutorizado(f"La acción «{ACCIONES[accion].etiqueta}» corresponde a: {nombres}.")
    return sorted(permitidos, key=lambda r: r.value)[0]


def obtener(solicitud_id: str, *, repo: SolicitudRepository) -> tuple[Solicitud, list[EntradaHistorial]]:
    """One request with its full history."""
    return repo.obtener(solicitud_id), repo.historial(solicitud_id)


def listar(
    *,
    repo: SolicitudRepository,
    estado: str | None = None,
    mes: str | None = None,
    canal: str | None = None,
    limite: int = 50,
    cursor: str | None = None,
) -> Pagina:
    """Requests by state (longest waiting first) or by month (newest first)."""
    errores: dict[str, str] = {}
    if estado is not None and estado not in {e.value for e in Estado}:
        errores["estado"] = "Estado desconocido."
    if mes is not None and not (len(mes) == 7 and mes[4] == "-" and mes[:4].isdigit() and mes[5:].isdigit()):
        errores["mes"] = "Use el formato AAAA-MM."
    if not 1 <= limite <= 200:
        errores["limite"] = "Debe estar entre 1 y 200."
    if errores:
        raise DatosInvalidos(errores, "Filtros inválidos.")
    return repo.listar(estado=estado, mes=mes, canal=canal, limite=limite, cursor=cursor)
