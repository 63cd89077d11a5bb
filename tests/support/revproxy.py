"""A small reverse proxy for tests, run as its own process: what nginx does with
`proxy_set_header X-Forwarded-For $proxy_add_x_forwarded_for; X-Forwarded-Proto $scheme`.

    python tests/support/revproxy.py LISTEN_PORT UPSTREAM_PORT [--proto https] [--source 127.0.0.1]

Each request (HTTP/1.1, one per connection) is read whole, gets the client's address appended to
X-Forwarded-For and X-Forwarded-Proto set, and goes to 127.0.0.1:UPSTREAM_PORT from the address
`--source`; the answer streams back. Prints "ready" once it listens.
"""

from __future__ import annotations

import argparse
import asyncio

HOP_BY_HOP = {b"connection", b"keep-alive", b"proxy-connection", b"x-forwarded-proto"}


async def _read_request(reader: asyncio.StreamReader) -> tuple[bytes, list[bytes], bytes]:
    head = await reader.readuntil(b"\r\n\r\n")
    lines = head.split(b"\r\n")[:-2]
    request_line, headers = lines[0], lines[1:]
    length = 0
    for h in headers:
        name, _, value = h.partition(b":")
        if name.strip().lower() == b"content-length":
            length = int(value.strip())
    body = await reader.readexactly(length) if length else b""
    return request_line, headers, body


def _forwarded_headers(headers: list[bytes], client: str, proto: str) -> list[bytes]:
    out, forwarded = [], b""
    for h in headers:
        name = h.partition(b":")[0].strip().lower()
        if name == b"x-forwarded-for":
            forwarded = h.partition(b":")[2].strip()
        elif name not in HOP_BY_HOP:
            out.append(h)
    chain = (forwarded + b", " if forwarded else b"") + client.encode()
    return [
        *out,
        b"X-Forwarded-For: " + chain,
        b"X-Forwarded-Proto: " + proto.encode(),
        b"Connection: close",
    ]


async def _handle(
    reader: asyncio.StreamReader, writer: asyncio.StreamWriter, args: argparse.Namespace
) -> None:
    try:
        request_line, headers, body = await _read_request(reader)
        client = writer.get_extra_info("peername")[0]
        up_reader, up_writer = await asyncio.open_connection(
            "127.0.0.1", args.upstream, local_addr=(args.source, 0)
        )
        head = b"\r\n".join([request_line, *_forwarded_headers(headers, client, args.proto)])
        up_writer.write(head + b"\r\n\r\n" + body)
        await up_writer.drain()
        while chunk := await up_reader.read(65536):
            writer.write(chunk)
            await writer.drain()
        up_writer.close()
    except (asyncio.IncompleteReadError, ConnectionError, asyncio.LimitOverrunError):
        pass
    finally:
        writer.close()


async def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("port", type=int)
    parser.add_argument("upstream", type=int)
    parser.add_argument("--proto", default="https")
    parser.add_argument("--source", default="127.0.0.1")
    args = parser.parse_args()
    server = await asyncio.start_server(lambda r, w: _handle(r, w, args), "127.0.0.1", args.port)
    print("ready", flush=True)
    async with server:
        await server.serve_forever()


if __name__ == "__main__":
    asyncio.run(main())
