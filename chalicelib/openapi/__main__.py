"""``python -m chalicelib.openapi``: the OpenAPI document on standard output."""

from chalicelib.openapi.documento import main

main()
