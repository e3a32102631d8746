"""Phone and email normalisation (phonenumbers, email-validator): the ``normalizadores`` the domain injects."""

from __future__ import annotations

from collections.abc import Mapping

from chalicelib.domain.actions import Normalizador


def normalizar_telefono(crudo: str) -> str:
    """A Bolivian (or international, with +) number in E.164; ValueError with a Spanish message otherwise."""
    import phonenumbers

    texto = crudo.strip()
    if len(texto) > 30:
        raise ValueError("El teléfono es demasiado largo.")
    try:
        numero = phonenumbers.parse(texto, "BO")
    except phonenumbers.NumberParseException:
        raise ValueError("Escriba un teléfono válido, por ejemplo 70712345 o 4 4221234.") from None
    if not phonenumbers.is_valid_number(numero):
        raise ValueError("Escriba un teléfono válido, por ejemplo 70712345 o 4 4221234.")
    return phonenumbers.format_number(numero, phonenumbers.PhoneNumberFormat.E164)


def normalizar_email(crudo: str) -> str:
    """A syntactically valid address, domain lowercased and the whole address lowercased for matching."""
    from email_validator import EmailNotValidError, validate_email

    try:
        resultado = validate_email(crudo.strip(), check_deliverability=False)
    except EmailNotValidError:
        raise ValueError("Escriba un correo electrónico válido, por ejemplo nombre@gmail.com.") from None
    return str(resultado.normalized).lower()


NORMALIZADORES: Mapping[str, Normalizador] = {"telefono": normalizar_telefono, "email": normalizar_email}
