"""Telling a failed condition apart from anything else, also when pynamodb's error has no AWS answer behind it."""

from __future__ import annotations

from botocore.exceptions import ClientError, ReadTimeoutError
from pynamodb.exceptions import PutError

from chalicelib.adapters.dynamo_tables import codigo_aws, condicion_fallida


def test_a_failed_condition_is_recognised_by_its_code():
    error = ClientError({"Error": {"Code": "ConditionalCheckFailedException", "Message": "x"}}, "PutItem")
    assert condicion_fallida(PutError("Failed to put item", error))


def test_a_timeout_has_no_code_and_is_not_a_failed_condition():
    # pynamodb 6.1's cause_response_code raises AttributeError here
    error = PutError("Failed to put item", ReadTimeoutError(endpoint_url="http://127.0.0.1:1"))
    assert codigo_aws(error) is None and not condicion_fallida(error)


def test_a_throttle_keeps_its_code():
    error = ClientError({"Error": {"Code": "ProvisionedThroughputExceededException", "Message": "x"}}, "PutItem")
    assert codigo_aws(PutError("Failed to put item", error)) == "ProvisionedThroughputExceededException"
