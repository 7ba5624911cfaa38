"""The service's listening socket, bound by ``nbtools serve`` before uvicorn starts."""

from __future__ import annotations

import socket

import pytest

from nbtools.errors import InvalidInputError
from nbtools.serve.runner import listen


def test_the_socket_says_it_is_tcp_so_asyncio_turns_nagle_off_on_each_connection() -> None:
    """asyncio sets TCP_NODELAY on an accepted socket only when its protocol is IPPROTO_TCP
    (as it is inherited from the listening one); without it every small reply waited for the
    client's delayed ACK, and the service answered about 5 times slower."""
    with listen("127.0.0.1", 0) as listening:
        assert listening.proto == socket.IPPROTO_TCP
        listening.listen()
        with socket.create_connection(listening.getsockname()[:2]):
            accepted, _ = listening.accept()
            with accepted:
                assert accepted.proto == socket.IPPROTO_TCP


def test_a_port_in_use_names_the_port() -> None:
    with socket.create_server(("127.0.0.1", 0)) as taken:
        port = taken.getsockname()[1]
        with pytest.raises(InvalidInputError) as raised:
            listen("127.0.0.1", port)
    assert raised.value.message == (
        f"Cannot listen on 127.0.0.1:{port}: Address already in use. Choose another port (or "
        "stop what listens there)."
    )
    assert raised.value.details == {"field": "port", "port": port}


@pytest.mark.parametrize(
    "host",
    [
        "nonexistent.invalid",  # .invalid never resolves (RFC 6761)
        "192.0.2.1",  # TEST-NET-1 (RFC 5737): an address of no machine here
        "[::1]",  # an address in URL brackets, not an address
    ],
)
def test_a_host_that_is_not_this_machine_s_names_the_host(host: str) -> None:
    """Not the port, which would send someone changing ports in vain."""
    with pytest.raises(InvalidInputError) as raised:
        listen(host, 0)
    assert raised.value.message.startswith(f"Cannot listen on {host}: ")
    assert raised.value.message.endswith(
        "Choose a name or address of this machine as the host (127.0.0.1: this machine only; "
        "0.0.0.0: every interface)."
    )
    assert "port" not in raised.value.message
    assert raised.value.details == {"field": "host", "host": host}


def test_an_empty_host_is_refused_not_taken_for_every_interface() -> None:
    """``--host "$HOST"`` with the variable unset: the socket layer takes ``""`` for every
    interface (0.0.0.0), so the service listened on all of them and logged
    ``listening on http://:8000``."""
    with pytest.raises(InvalidInputError) as raised:
        listen("", 0)
    assert raised.value.message == (
        "The host is empty, which would listen on every interface. Choose a name or address "
        "of this machine as the host (127.0.0.1: this machine only; 0.0.0.0: every interface)."
    )
    assert raised.value.details == {"field": "host", "host": ""}
