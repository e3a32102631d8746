"""Reading back what SES sent on moto: the data behind `GET /dev/outbox` and its HTML view."""

from __future__ import annotations

import re
from datetime import UTC, datetime
from email.message import EmailMessage
from email.utils import format_datetime

import boto3
import pytest
import requests

from localstage.outbox import leer_outbox, render_outbox_html

PDF = b"%PDF-1.4 fake document\n" * 10


@pytest.fixture
def moto_ses(moto_endpoint):
    """An emptied moto with a verified sender domain."""
    requests.post(f"{moto_endpoint}/moto-api/reset", timeout=10)
    boto3.client("ses", region_name="us-east-1").verify_domain_identity(Domain="comteco.test")
    return moto_endpoint


def _send(
    *,
    subject: str,
    text: str,
    html: str,
    to: list[str],
    cc: list[str] | None = None,
    reply_to: str | None = None,
    date: datetime | None = None,
    headers: dict[str, str] | None = None,
    attachment: tuple[str, str, bytes] | None = None,
) -> str:
    message = EmailMessage()
    message["From"] = "Ventas Digitales <ventas@comteco.test>"
    message["To"] = ", ".join(to)
    if cc:
        message["Cc"] = ", ".join(cc)
    if reply_to:
        message["Reply-To"] = reply_to
    message["Subject"] = subject
    if date:
        message["Date"] = format_datetime(date)
    for name, value in (headers or {}).items():
        message[name] = value
    message.set_content(text)
    message.add_alternative(html, subtype="html")
    if attachment:
        filename, content_type, data = attachment
        maintype, subtype = content_type.split("/")
        message.add_attachment(data, maintype=maintype, subtype=subtype, filename=filename)
    response = boto3.client("sesv2", region_name="us-east-1").send_email(
        FromEmailAddress="ventas@comteco.test",
        Destination={"ToAddresses": to, "CcAddresses": cc or []},
        Content={"Raw": {"Data": message.as_bytes()}},
    )
    return str(response["MessageId"])


def test_the_outbox_lists_every_raw_email_oldest_first_with_every_field(moto_ses):
    # Given two raw MIME emails: the first with cc, reply-to, custom headers and a PDF, in Spanish
    first_date = datetime(2025, 3, 10, 13, 45, 0, tzinfo=UTC)
    first_id = _send(
        subject="Solicitud recibida — ñandú",
        text="Hola Ana,\nrecibimos su solicitud de instalación.\n",
        html="<p>Hola <b>Ana</b>, recibimos su solicitud de instalación.</p>",
        to=["Ana Pérez <ana@cliente.test>"],
        cc=["ejecutivo@comteco.test", "jefe@comteco.test"],
        reply_to="Ventas <ventas+tok123@reply.comteco.test>",
        date=first_date,
        headers={"Message-ID": "<abc@comteco.test>", "X-VD-Solicitud": "SOL-0001", "X-VD-Reaccion": "acuse"},
        attachment=("contrato-ñ.pdf", "application/pdf", PDF),
    )
    second_id = _send(
        subject="Segundo aviso",
        text="Texto simple",
        html="<p>Segundo</p>",
        to=["luis@cliente.test"],
        headers={"In-Reply-To": "<abc@comteco.test>"},
    )

    # When the outbox is read
    mensajes = leer_outbox(moto_ses)

    # Then both come back, oldest first, with exactly the documented fields
    assert [m["message_id"] for m in mensajes] == [first_id, second_id]
    first, second = mensajes
    assert set(first) == {
        "to",
        "cc",
        "from",
        "reply_to",
        "subject",
        "text",
        "html",
        "attachments",
        "sent_at",
        "message_id",
        "headers",
    }
    assert first["to"] == ["ana@cliente.test"]
    assert first["cc"] == ["ejecutivo@comteco.test", "jefe@comteco.test"]
    assert first["from"] == "ventas@comteco.test"
    assert first["reply_to"] == "ventas+tok123@reply.comteco.test"
    assert first["subject"] == "Solicitud recibida — ñandú"
    assert first["text"] == "Hola Ana,\nrecibimos su solicitud de instalación.\n"
    assert first["html"].strip() == "<p>Hola <b>Ana</b>, recibimos su solicitud de instalación.</p>"
    assert first["attachments"] == [{"filename": "contrato-ñ.pdf", "content_type": "application/pdf", "size": len(PDF)}]
    assert datetime.fromisoformat(first["sent_at"]) == first_date
    assert first["headers"] == {
        "Message-ID": "<abc@comteco.test>",
        "X-VD-Solicitud": "SOL-0001",
        "X-VD-Reaccion": "acuse",
    }
    # and the second one has no cc, reply-to, date or attachment
    assert second["to"] == ["luis@cliente.test"]
    assert (second["cc"], second["reply_to"], second["sent_at"], second["attachments"]) == ([], None, None, [])
    assert second["subject"] == "Segundo aviso"
    assert second["text"].strip() == "Texto simple"
    assert second["headers"] == {"In-Reply-To": "<abc@comteco.test>"}


def test_a_simple_send_is_listed_after_the_raw_ones(moto_ses):
    # Given a raw email and a Simple one (moto keeps only one body for Simple: the HTML one when both are given)
    _send(subject="Raw", text="t", html="<p>h</p>", to=["a@cliente.test"])
    boto3.client("sesv2", region_name="us-east-1").send_email(
        FromEmailAddress="ventas@comteco.test",
        Destination={"ToAddresses": ["b@cliente.test"], "CcAddresses": ["c@cliente.test"]},
        Content={"Simple": {"Subject": {"Data": "Simple"}, "Body": {"Text": {"Data": "solo texto"}}}},
    )

    # When the outbox is read
    mensajes = leer_outbox(moto_ses)

    # Then the simple one is there with its text body
    assert [m["subject"] for m in mensajes] == ["Raw", "Simple"]
    simple = mensajes[1]
    assert (simple["to"], simple["cc"], simple["from"]) == (
        ["b@cliente.test"],
        ["c@cliente.test"],
        "ventas@comteco.test",
    )
    assert (simple["text"], simple["html"], simple["attachments"]) == ("solo texto", "", [])


def test_the_html_page_escapes_untrusted_subjects_and_bodies(moto_ses):
    # Given an email whose subject and bodies carry markup
    _send(subject="Primero", text="uno", html="<p>uno</p>", to=["a@cliente.test"])
    _send(
        subject="<script>alert('asunto')</script>",
        text="<script>alert('texto')</script>",
        html='<p onclick="x()">hola</p><script>alert("html")</script>',
        to=["b@cliente.test"],
        attachment=('"><img src=x>.pdf', "application/pdf", b"%PDF"),
    )

    # When the page is rendered
    page = render_outbox_html(leer_outbox(moto_ses))

    # Then no markup from the email reaches the page unescaped
    assert "<script" not in page and "<img" not in page
    assert "&lt;script&gt;alert(&#x27;asunto&#x27;)&lt;/script&gt;" in page
    assert "<pre>&lt;script&gt;alert(&#x27;texto&#x27;)&lt;/script&gt;" in page
    srcdocs = re.findall(r'<iframe sandbox srcdoc="([^"]*)"', page)
    assert len(srcdocs) == 2
    assert "&lt;p onclick=&quot;x()&quot;&gt;hola&lt;/p&gt;&lt;script&gt;alert(&quot;html&quot;)" in srcdocs[0]
    # and it is the Spanish page, newest first
    assert "Bandeja de salida local" in page
    for label in ("Para", "De", "Asunto", "Adjuntos"):
        assert f"<dt>{label}</dt>" in page
    assert page.index("alert(&#x27;asunto") < page.index("Primero")


def test_an_empty_outbox_renders_an_empty_page():
    # Given no emails
    # When the page is rendered
    page = render_outbox_html([])

    # Then it says so
    assert "Bandeja de salida local" in page and "ningún correo" in page
