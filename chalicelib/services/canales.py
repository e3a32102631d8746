"""Capture channels (step 1): one prospect database across the web form, Lead Ads, Messenger, WhatsApp and Botmaker.

Dedupe and merge: a contact is normalised (phone to E.164 with +591 by default, lowercased email, the CI as its keyed
hash) and looked up by phone, email, CI hash or the channel's own user id. If the same person has an OPEN request
(not in a terminal state), the contact is appended to it as a touchpoint with its message and attachments (history
entry ``mensaje``); otherwise it becomes a new request. Every contact is recorded once under
``envio#<canal>#<external id>``, so a redelivered webhook or a resubmitted form changes nothing.

Processing of the stored webhook items (``entrantes``, from their stream): Lead Ads leads are fetched from the Graph
API, WhatsApp media are copied to the documents bucket within their URL's 5 minutes, statuses of messages we sent are
recorded; a failure marks the item ``fallido`` (error and attempt count) and is raised so that the stream retries it.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Mapping
from dataclasses import dataclass, replace
from datetime import datetime
from typing import Any, Final

from chalicelib.domain.clasificacion import sugerir_tipo
from chalicelib.domain.commands import CapturarSolicitud
from chalicelib.domain.contacto import esta_abierta
from chalicelib.domain.errors import ContactoReclamado, EnvioDuplicado
from chalicelib.domain.mensajeria import CANALES_MENSAJERIA
from chalicelib.domain.model import FRASE_CANAL, Canal, EntradaHistorial, Entrante, EstadoEntrante, Rol, TipoEntrante
from chalicelib.domain.ports import Almacen, EntranteRepository, GraphApi, Salientes
from chalicelib.services import conversaciones, mensajeria, solicitudes, webhooks
from chalicelib.services.solicitudes import Puertos

logger = logging.getLogger(__name__)

CAMPOS_LEAD: Final = {
    "full_name": "nombre",
    "nombre_completo": "nombre",
    "phone_number": "telefono",
    "telefono": "telefono",
    "email": "email",
    "correo": "email",
    "tipo_de_cliente": "tipo_de_cliente",
    "zona": "zona",
    "ciudad": "ciudad",
    "city": "ciudad",
    "direccion": "direccion",
    "street_address": "direccion",
    "ci": "ci",
    "carnet_de_identidad": "ci",
    "nit": "nit",
    "company_name": "razon_social",
    "razon_social": "razon_social",
    "mensaje": "mensaje",
    "comentarios": "mensaje",
}
"""Lead Ads form fields (standard and this operator's custom questions) and the request field each one feeds."""
ATRIBUCION_LEAD: Final = ("page_id", "form_id", "ad_id", "adgroup_id", "adset_id", "campaign_id", "created_time")
CANALES_VERIFICADOS: Final = frozenset({Canal.WHATSAPP.value, Canal.MESSENGER.value, Canal.BOTMAKER.value})
"""Channels that authenticate the sender: a WhatsApp wa_id, a Messenger PSID or a Botmaker contactId IS the person.
A web form or a Lead Ads answer only claims a phone or an email (anyone can type one), so when it joins an open
request it is shown as an unverified contact, never under the holder's name, and it changes none of her data."""
ACTOR_NO_VERIFICADO: Final = "no_verificado"
DATOS_DECLARADOS: Final = {
    "nombre": "nombre",
    "telefono": "teléfono",
    "email": "correo",
    "ciudad": "ciudad",
    "zona": "zona",
    "direccion": "dirección",
    "razon_social": "razón social",
}
"""What an unverified contact claims, as the console shows it (field -> Spanish label)."""
ETIQUETA_ESTADO_MENSAJE: Final = {
    "sent": "enviado",
    "delivered": "entregado",
    "read": "leído",
    "failed": "fallido",
    "deleted": "eliminado",
    "warning": "con advertencia",
}


@dataclass(frozen=True)
class Recepcion:
    """Where a contact landed: a new request, an open one it joined, or nowhere new (a repeated delivery)."""

    solicitud_id: str | None
    nueva: bool
    duplicada: bool = False
    recibo: str | None = None
    """A web form joined to an open request: the receipt code of this submission (never the request's code)."""


@dataclass(frozen=True)
class PuertosCanales:
    solicitudes: Puertos
    entrantes: EntranteRepository
    graph: GraphApi
    documentos: Almacen
    salientes: Salientes
    mensajeria: mensajeria.PuertosMensajeria | None = None
    """Delivery statuses of the messages we sent (None: recorded in the history only)."""
    conversacion: conversaciones.PuertosConversacion | None = None
    """Reading the customer's messages as answers (None: they only join the request)."""
    formulario: Callable[[Entrante], Recepcion] | None = None
    """Capturing a stored web form submission (``formulario.capturar_envio``; None: ignored)."""


# --- dedupe and merge -----------------------------------------------------------------------------------------


def normalizar_contacto(datos: Mapping[str, Any], puertos: Puertos) -> dict[str, Any]:
    """Phone in E.164 (a WhatsApp ``wa_id`` such as 59170000000 becomes +59170000000), email lowercased; a value
    that cannot be normalised is dropped (and logged) rather than stored in a form no lookup will find."""
    normalizados = {k: v for k, v in datos.items() if v not in (None, "")}
    for campo in ("telefono", "email"):
        if campo not in normalizados:
            continue
        crudo = str(normalizados[campo]).strip()
        if campo == "telefono" and crudo.isdigit() and len(crudo) > 8:
            crudo = "+" + crudo
        try:
            normalizados[campo] = puertos.normalizadores[campo](crudo)
        except ValueError:
            logger.info("dato de contacto descartado", extra={"campo": campo})
            del normalizados[campo]
    return normalizados


def recibir_contacto(cmd: CapturarSolicitud, *, puertos: Puertos) -> Recepcion:
    """A contact of a person with an OPEN request (same phone, email, CI or channel id; the newest open one wins)
    is appended to it as a touchpoint and a ``mensaje`` history entry, without a new request or a version change;
    otherwise it is captured as a new request. A contact already recorded (same channel and id) changes nothing.

    The lookup goes through eventually consistent indexes, so a new request also claims its contact keys for a few
    minutes in the same transaction: when two first contacts of one person are processed at the same instant, the
    one that loses the claim reads the holder consistently and joins it if it is open (a closed holder does not
    absorb it: it becomes a new request without claims)."""
    datos = normalizar_contacto(cmd.datos, puertos)
    cmd = replace(cmd, datos=datos)
    ci_huella = puertos.protector.huella(str(datos["ci"])) if datos.get("ci") else None
    candidatas = puertos.repo.buscar_por_contacto(
        telefono=datos.get("telefono"), email=datos.get("email"), ci_huella=ci_huella, id_canal=datos.get("id_canal")
    )
    abierta = next((s for s in candidatas if esta_abierta(s)), None)
    if abierta is not None:
        return _unir_a(abierta.id, cmd, puertos)
    try:
        return _nueva(cmd, puertos, reclamar_contacto=True)
    except ContactoReclamado as exc:
        titular = puertos.repo.obtener(exc.solicitud_id)
    if not esta_abierta(titular):
        return _nueva(cmd, puertos, reclamar_contacto=False)
    logger.info("contacto simultaneo unido a su solicitud recien abierta", extra={"solicitud_id": titular.id})
    return _unir_a(titular.id, cmd, puertos)


def _nueva(cmd: CapturarSolicitud, puertos: Puertos, *, reclamar_contacto: bool) -> Recepcion:
    try:
        return Recepcion(solicitudes.capturar(cmd, puertos=puertos, reclamar_contacto=reclamar_contacto).id, nueva=True)
    except EnvioDuplicado as exc:
        return Recepcion(exc.existente_id, nueva=False, duplicada=True)


def _unir_a(solicitud_id: str, cmd: CapturarSolicitud, puertos: Puertos) -> Recepcion:
    """Append the (normalised) contact to the open request ``solicitud_id`` with its ``mensaje`` history entry.

    Only the touchpoint and the history entry are written: the request's ``datos`` never change here. A contact
    from a channel that does not authenticate the sender (``CANALES_VERIFICADOS``) is recorded as "contacto no
    verificado" with what it claims (actor ``no_verificado:<canal>``, ``campos.verificado`` False); a web form also
    gets a receipt code of its own, recorded on the touchpoint, so the form never shows the request's code."""
    ahora = puertos.clock.ahora().isoformat()
    referencia = cmd.clave_envio or puertos.ids.evento()
    verificado = cmd.canal in CANALES_VERIFICADOS
    recibo = (cmd.recibo or puertos.ids.solicitud()) if cmd.canal == Canal.WEB.value else None
    contacto = solicitudes.contacto_de(replace(cmd, clave_envio=referencia), ahora)
    if not verificado:
        contacto["verificado"] = False
    if recibo:
        contacto["recibo"] = recibo
    declarado = {k: v for k, v in cmd.datos.items() if k not in ("ci", "mensaje")}
    entrada = EntradaHistorial(
        solicitud_id=solicitud_id,
        id=f"contacto#{cmd.canal}#{referencia}",
        en=ahora,
        tipo="mensaje",
        resumen=_resumen_mensaje(cmd) if verificado else _resumen_no_verificado(cmd, declarado),
        actor=f"prospecto:{cmd.canal}" if verificado else f"{ACTOR_NO_VERIFICADO}:{cmd.canal}",
        rol=Rol.SISTEMA.value,
        canal=cmd.canal,
        campos={
            "texto": cmd.mensaje,
            "adjuntos": list(cmd.adjuntos),
            "contacto": declarado,
            "verificado": verificado,
            "origen": dict(cmd.origen),
            "tipo_cliente_sugerido": cmd.tipo_cliente_sugerido,
            "motivo_clasificacion": cmd.motivo_clasificacion,
            **({"recibo": recibo} if recibo else {}),
        },
        nota=cmd.mensaje,
    )
    try:
        puertos.repo.agregar_contacto(solicitud_id, contacto, entrada, f"envio#{cmd.canal}#{referencia}")
    except EnvioDuplicado as exc:
        return Recepcion(exc.existente_id or solicitud_id, nueva=False, duplicada=True)
    logger.info(
        "contacto agregado a solicitud abierta",
        extra={"solicitud_id": solicitud_id, "canal": cmd.canal, "verificado": verificado},
    )
    return Recepcion(solicitud_id, nueva=False, recibo=recibo)


def _resumen_no_verificado(cmd: CapturarSolicitud, declarado: Mapping[str, Any]) -> str:
    """What an unverified contact claims, never attributed to the holder: the executive confirms with the
    customer through the data on file before using any of it."""
    canal = FRASE_CANAL.get(cmd.canal, cmd.canal)
    dice = "; ".join(f"{etiqueta} «{declarado[k]}»" for k, etiqueta in DATOS_DECLARADOS.items() if declarado.get(k))
    texto = (
        f"Contacto no verificado por {canal}: coincide con un dato de esta solicitud, sin prueba de que sea el cliente."
    )
    if dice:
        texto += f" Dice: {dice}."
    return texto + " No se cambió ningún dato; confirme con el cliente por los datos registrados antes de usarlo."


def _resumen_mensaje(cmd: CapturarSolicitud) -> str:
    canal = FRASE_CANAL.get(cmd.canal, cmd.canal)
    if cmd.tipo_contacto == "formulario":
        base = f"Nuevo contacto por {canal}: el prospecto envió el formulario."
    elif cmd.tipo_contacto == "lead":
        base = f"Nuevo contacto por {canal}: el prospecto completó un formulario de anuncio."
    else:
        base = f"Mensaje recibido por {canal}."
    if cmd.adjuntos:
        base += f" Adjuntos: {len(cmd.adjuntos)}."
    return base


# --- processing of stored webhook items ------------------------------------------------------------------------


def procesar_entrante(clave: str, *, puertos: PuertosCanales) -> str:
    """Process one stored webhook item once: a lead or message reaches a request (new or merged), a status of a
    message we sent goes to its request's history, anything else is ``ignorado``. Returns the item's new state
    (``webhooks.atender``: a failure marks it ``fallido`` and is raised for the stream to retry)."""
    return webhooks.atender(clave, puertos.entrantes, lambda e: _procesar(e, puertos))


def _procesar(e: Entrante, puertos: PuertosCanales) -> tuple[EstadoEntrante, str | None, str | None]:
    if e.tipo == TipoEntrante.ESTADO:
        return _estado_mensaje(e, puertos)
    if e.tipo == TipoEntrante.LEAD:
        cmd = comando_lead(e, puertos.graph.lead(e.referencia))
    elif e.canal == Canal.WHATSAPP and e.tipo == TipoEntrante.MENSAJE:
        cmd = comando_whatsapp(e, _medios_whatsapp(e, puertos))
    elif e.canal == Canal.MESSENGER and e.tipo == TipoEntrante.MENSAJE:
        cmd = comando_messenger(e)
    elif e.canal == Canal.BOTMAKER and e.tipo == TipoEntrante.MENSAJE:
        cmd = comando_botmaker(e)
    elif e.canal == Canal.WEB and e.tipo == TipoEntrante.FORMULARIO and puertos.formulario is not None:
        return EstadoEntrante.PROCESADO, puertos.formulario(e).solicitud_id, None
    else:
        return EstadoEntrante.IGNORADO, None, "Tipo de contenido no procesado."
    recepcion = recibir_contacto(cmd, puertos=puertos.solicitudes)
    conversa = e.tipo == TipoEntrante.MENSAJE and e.canal in CANALES_MENSAJERIA
    if conversa and not recepcion.nueva and recepcion.solicitud_id and puertos.conversacion is not None:
        # a retried item (duplicada) is read again: what it applied is a no-op the second time
        resultado = conversaciones.atender(recepcion.solicitud_id, cmd, puertos=puertos.conversacion)
        logger.info("mensaje del cliente leido", extra={"solicitud_id": recepcion.solicitud_id, "resultado": resultado})
    return EstadoEntrante.PROCESADO, recepcion.solicitud_id, None


def _clasificado(cmd: CapturarSolicitud) -> CapturarSolicitud:
    tipo, motivo = sugerir_tipo(cmd.datos, cmd.mensaje)
    return replace(cmd, tipo_cliente_sugerido=tipo, motivo_clasificacion=motivo)


def comando_lead(e: Entrante, lead: Mapping[str, Any]) -> CapturarSolicitud:
    """A Lead Ads lead: answers mapped to request fields (others kept as ``respuestas``), attribution in origen."""
    datos: dict[str, Any] = {}
    respuestas: dict[str, str] = {}
    for campo in lead.get("field_data") or []:
        if not isinstance(campo, dict) or not campo.get("values"):
            continue
        nombre, valor = str(campo.get("name", "")), ", ".join(str(v) for v in campo["values"])
        destino = CAMPOS_LEAD.get(nombre.lower())
        if destino:
            datos.setdefault(destino, valor.strip())
        else:
            respuestas[nombre] = valor
    if not datos.get("nombre"):
        completo = " ".join(respuestas.pop(k, "") for k in ("first_name", "last_name")).strip()
        if completo:
            datos["nombre"] = completo
    mensaje = str(datos.pop("mensaje", ""))
    valor_cambio = e.payload
    origen: dict[str, Any] = {k: valor_cambio[k] for k in ATRIBUCION_LEAD if valor_cambio.get(k) is not None}
    origen.update({k: lead[k] for k in ("ad_name", "adset_id", "campaign_id", "is_organic", "platform") if k in lead})
    origen["leadgen_id"] = e.referencia
    if respuestas:
        origen["respuestas"] = respuestas
    return _clasificado(
        CapturarSolicitud(
            canal=Canal.FACEBOOK.value,
            datos=datos,
            origen=origen,
            mensaje=mensaje,
            clave_envio=e.referencia,
            tipo_contacto="lead",
        )
    )


def _texto_whatsapp(mensaje: Mapping[str, Any]) -> str:
    tipo = str(mensaje.get("type"))
    cuerpo: Mapping[str, Any] = mensaje[tipo] if isinstance(mensaje.get(tipo), dict) else {}
    if tipo == "text":
        return str(cuerpo.get("body", ""))
    if tipo == "location":
        lugar = " ".join(str(cuerpo.get(k, "")) for k in ("name", "address")).strip()
        return f"Ubicación compartida: {cuerpo.get('latitude')}, {cuerpo.get('longitude')} {lugar}".strip()
    if tipo == "button":
        return str(cuerpo.get("text", ""))
    if tipo == "interactive":
        respuesta = cuerpo.get("button_reply") or cuerpo.get("list_reply")
        return str(respuesta.get("title", "")) if isinstance(respuesta, dict) else ""
    if tipo == "contacts":
        return "Contacto compartido."
    return str(cuerpo.get("caption", ""))


def _medios_whatsapp(e: Entrante, puertos: PuertosCanales) -> list[dict[str, Any]]:
    """Copy the message's media (two-step Graph lookup, URL valid 5 minutes) to the documents bucket."""
    mensaje = e.payload.get("mensaje", {})
    tipo = str(mensaje.get("type"))
    medio = mensaje.get(tipo) if isinstance(mensaje.get(tipo), dict) else {}
    if not medio.get("id") or tipo not in webhooks.MEDIOS_WHATSAPP:
        return []
    media_id = str(medio["id"])
    descargado = puertos.graph.medio(media_id)
    nombre = _nombre_archivo(str(medio.get("filename") or ""), media_id, descargado.tipo)
    clave = puertos.documentos.guardar(f"canales/whatsapp/{media_id}/{nombre}", descargado.contenido, descargado.tipo)
    return [
        {
            "nombre": nombre,
            "tipo": descargado.tipo,
            "s3_key": clave,
            "sha256": descargado.sha256,
            "bytes": len(descargado.contenido),
            "media_id": media_id,
            "leyenda": str(medio.get("caption", "")),
        }
    ]


def _nombre_archivo(original: str, media_id: str, tipo: str) -> str:
    limpio = "".join(c if c.isalnum() or c in "._-" else "_" for c in original)[:100].strip("._")
    if limpio:
        return limpio
    extension = {"image/jpeg": ".jpg", "image/png": ".png", "application/pdf": ".pdf", "image/webp": ".webp"}
    return media_id + extension.get(tipo, "")


def comando_whatsapp(e: Entrante, adjuntos: list[dict[str, Any]]) -> CapturarSolicitud:
    """A WhatsApp Cloud API message: the sender's wa_id is the phone, the profile name the name."""
    mensaje, contacto = e.payload.get("mensaje", {}), e.payload.get("contacto", {})
    metadata = e.payload.get("metadata", {})
    datos = {"telefono": str(mensaje.get("from") or contacto.get("wa_id") or ""), "nombre": _perfil(contacto)}
    origen = {
        "wa_id": mensaje.get("from"),
        "phone_number_id": metadata.get("phone_number_id"),
        "display_phone_number": metadata.get("display_phone_number"),
        "tipo_mensaje": mensaje.get("type"),
        **_respuesta_whatsapp(mensaje),
    }
    return _clasificado(
        CapturarSolicitud(
            canal=Canal.WHATSAPP.value,
            datos=datos,
            origen={k: v for k, v in origen.items() if v},
            mensaje=_texto_whatsapp(mensaje),
            clave_envio=e.referencia,
            adjuntos=tuple(adjuntos),
            tipo_contacto="mensaje",
        )
    )


def _respuesta_whatsapp(mensaje: Mapping[str, Any]) -> dict[str, Any]:
    """The id of a tapped reply button (``interactive.button_reply.id``, template ``button.payload``) and the
    coordinates of a shared location."""
    tipo = str(mensaje.get("type"))
    cuerpo: Mapping[str, Any] = mensaje[tipo] if isinstance(mensaje.get(tipo), dict) else {}
    if tipo == "interactive":
        respuesta = cuerpo.get("button_reply") or cuerpo.get("list_reply")
        return {"boton": str(respuesta.get("id", ""))[:256]} if isinstance(respuesta, dict) else {}
    if tipo == "button":
        return {"boton": str(cuerpo.get("payload", ""))[:256]}
    if tipo == "location" and cuerpo.get("latitude") is not None and cuerpo.get("longitude") is not None:
        return {"latitud": cuerpo.get("latitude"), "longitud": cuerpo.get("longitude")}
    return {}


def _perfil(contacto: Mapping[str, Any]) -> str:
    perfil = contacto.get("profile")
    return str(perfil.get("name", "")) if isinstance(perfil, dict) else ""


def comando_messenger(e: Entrante) -> CapturarSolicitud:
    """A Messenger message: no phone; the page-scoped id (PSID) is the contact key. Attachments are linked by URL."""
    evento = e.payload.get("evento", {})
    mensaje = evento.get("message", {})
    remitente = evento.get("sender")
    psid = str(remitente.get("id", "")) if isinstance(remitente, dict) else ""
    crudos = mensaje.get("attachments")
    adjuntos = [
        {
            "tipo": str(a.get("type")),
            "url": str(a["payload"].get("url", "") if isinstance(a.get("payload"), dict) else ""),
        }
        for a in (crudos if isinstance(crudos, list) else [])
        if isinstance(a, dict)
    ]
    return _clasificado(
        CapturarSolicitud(
            canal=Canal.MESSENGER.value,
            datos={"id_canal": f"messenger:{psid}"} if psid else {},
            origen={"page_id": e.payload.get("pagina"), "psid": psid, "mid": e.referencia, **_boton_messenger(mensaje)},
            mensaje=str(mensaje.get("text", "")),
            clave_envio=e.referencia,
            adjuntos=tuple(adjuntos),
            tipo_contacto="mensaje",
        )
    )


def _boton_messenger(mensaje: Mapping[str, Any]) -> dict[str, str]:
    respuesta = mensaje.get("quick_reply")
    return {"boton": str(respuesta.get("payload", ""))[:256]} if isinstance(respuesta, dict) else {}


def comando_botmaker(e: Entrante) -> CapturarSolicitud:
    """A Botmaker message: on WhatsApp the contactId is the phone; on other platforms it is a platform user id."""
    contacto, mensaje = e.payload.get("contacto", {}), e.payload.get("mensaje", {})
    plataforma = str(contacto.get("chatPlatform") or "webchat")
    contact_id = str(contacto.get("contactId") or "")
    nombre = " ".join(str(contacto.get(k) or "") for k in ("firstName", "lastName")).strip()
    datos: dict[str, Any] = {"nombre": nombre or str(contacto.get("whatsappNickName") or "")}
    if plataforma == "whatsapp":
        datos["telefono"] = contact_id
    elif contact_id:
        datos["id_canal"] = f"botmaker:{plataforma}:{contact_id}"
    origen = {
        "chatPlatform": plataforma,
        "contactId": contact_id,
        "customerId": contacto.get("customerId"),
        "chatChannelId": contacto.get("chatChannelId"),
        "whatsappNumber": contacto.get("whatsappNumber"),
    }
    return _clasificado(
        CapturarSolicitud(
            canal=Canal.BOTMAKER.value,
            datos=datos,
            origen={k: v for k, v in origen.items() if v},
            mensaje=str(mensaje.get("message", "")),
            clave_envio=e.referencia,
            tipo_contacto="mensaje",
        )
    )


def _estado_mensaje(e: Entrante, puertos: PuertosCanales) -> tuple[EstadoEntrante, str | None, str | None]:
    """A delivery status is recorded on the request of a message we sent (WhatsApp per message, Messenger by
    watermark); statuses of other messages are ignored."""
    if e.canal == Canal.MESSENGER:
        return _estado_messenger(e, puertos)
    estado = e.payload.get("estado", {})
    wamid, valor = str(estado.get("id", "")), str(estado.get("status", ""))
    ahora = puertos.solicitudes.clock.ahora()
    try:
        en = datetime.fromtimestamp(int(estado.get("timestamp")), tz=ahora.tzinfo).isoformat()
    except (TypeError, ValueError, OverflowError):
        en = ahora.isoformat()
    errores = [x for x in estado.get("errors") or [] if isinstance(x, dict)]
    if puertos.mensajeria is not None:
        solicitud_id = mensajeria.registrar_estado(
            Canal.WHATSAPP.value, wamid, valor, en=en, errores=errores, puertos=puertos.mensajeria
        )
        if solicitud_id is None:
            return EstadoEntrante.IGNORADO, None, "Estado de un mensaje que este sistema no envió."
        return EstadoEntrante.PROCESADO, solicitud_id, None
    solicitud_id = puertos.salientes.solicitud_de_saliente(Canal.WHATSAPP.value, wamid)
    if solicitud_id is None:
        return EstadoEntrante.IGNORADO, None, "Estado de un mensaje que este sistema no envió."
    puertos.solicitudes.repo.agregar_historial(
        EntradaHistorial(
            solicitud_id=solicitud_id,
            id=f"estado#whatsapp#{wamid}#{valor}",
            en=en,
            tipo="estado_mensaje",
            resumen=f"Mensaje de WhatsApp {ETIQUETA_ESTADO_MENSAJE.get(valor, valor)}.",
            canal=Canal.WHATSAPP.value,
            campos={"wamid": wamid, "estado": valor, "errores": errores},
        )
    )
    return EstadoEntrante.PROCESADO, solicitud_id, None


def _estado_messenger(e: Entrante, puertos: PuertosCanales) -> tuple[EstadoEntrante, str | None, str | None]:
    """Messenger ``delivery`` / ``read``: every message we sent to that person up to the watermark (or the given
    ``mids``) is marked delivered / read."""
    evento = e.payload.get("evento", {})
    remitente: Mapping[str, Any] = evento["sender"] if isinstance(evento.get("sender"), dict) else {}
    psid = str(remitente.get("id", ""))
    tipo = "read" if isinstance(evento.get("read"), dict) else "delivery"
    cuerpo: Mapping[str, Any] = evento[tipo] if isinstance(evento.get(tipo), dict) else {}
    if not psid or puertos.mensajeria is None:
        return EstadoEntrante.IGNORADO, None, "Estado de Messenger sin remitente."
    ahora = puertos.solicitudes.clock.ahora()
    try:
        marca = datetime.fromtimestamp(int(cuerpo["watermark"]) / 1000, tz=ahora.tzinfo)
    except (KeyError, TypeError, ValueError, OverflowError):
        return EstadoEntrante.IGNORADO, None, "Estado de Messenger sin marca de agua."
    repo = puertos.solicitudes.repo
    candidatas = repo.buscar_por_contacto(id_canal=f"messenger:{psid}")
    mids = [str(m) for m in cuerpo.get("mids") or [] if isinstance(m, str)]
    estado = "read" if tipo == "read" else "delivered"
    marcadas: str | None = None
    for s in candidatas:
        for mensaje_id in mensajeria.estados_por_marca(s, repo.historial(s.id), Canal.MESSENGER.value, marca, mids):
            registrada = mensajeria.registrar_estado(
                Canal.MESSENGER.value, mensaje_id, estado, en=marca.isoformat(), puertos=puertos.mensajeria
            )
            marcadas = marcadas or registrada
    if marcadas is None:
        return EstadoEntrante.IGNORADO, None, "Ningún mensaje enviado por este sistema hasta esa marca."
    return EstadoEntrante.PROCESADO, marcadas, None
