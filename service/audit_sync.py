"""The audit syncer: a small process that makes a worker's audit log durable while the worker goes on answering.

Run by :meth:`service.audit.AuditLog.start_syncer` as a script (standard library only, so it starts in a few
tens of milliseconds and holds no copy of the service), with one end of a Unix ``SOCK_SEQPACKET`` pair. Each
message asks for one ``fdatasync``: 8 bytes, the sequence number of the last record it covers, with the audit
file's descriptor attached when the worker opened a new file. The answer is 16 bytes: that sequence number and
0, or the ``errno`` of the failed flush. When the worker's end closes (the worker stopped or died), it exits.

Why a process: the worker's event loop must not wait for the disk (it blocked for every flush, one per turn
of the loop), and a thread in the worker would have to take the GIL from the loop after each flush; this
process has its own (``bench/README.md`` measures the three).
"""

from __future__ import annotations

import os
import socket
import struct
import sys

REQUEST = struct.Struct("<q")
ANSWER = struct.Struct("<qq")


def serve(channel: socket.socket) -> None:
    current: int | None = None
    while True:
        try:
            message, fds, _flags, _address = socket.recv_fds(channel, REQUEST.size, 1)
        except InterruptedError:
            continue
        except ConnectionResetError:
            return
        if not message:
            return
        if fds:
            if current is not None:
                os.close(current)
            current = fds[0]
        (target,) = REQUEST.unpack(message)
        error = 0
        try:
            if current is None:
                raise OSError(9, "no audit file was handed to the syncer")
            os.fdatasync(current)
        except OSError as failed:
            error = failed.errno or 5
        channel.send(ANSWER.pack(target, error))


if __name__ == "__main__":
    serve(socket.socket(fileno=int(sys.argv[1])))
