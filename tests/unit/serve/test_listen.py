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


def test_a_port_in_use_names_the_flag() -> None:
    with socket.create_server(("127.0.0.1", 0)) as taken:
        port = taken.getsockname()[1]
        with pytest.raises(InvalidInputError, match="Choose another --port") as raised:
            listen("127.0.0.1", port)
    assert raised.value.details == {"port": port}
