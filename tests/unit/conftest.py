import pytest


@pytest.fixture(autouse=True)
def _unit_tests_block_the_network(sin_red):
    """Unit tests run without sockets (STYLE: the domain and services never touch the network)."""
