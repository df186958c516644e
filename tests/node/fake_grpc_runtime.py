#!/usr/bin/env python3
"""A container runtime's gRPC Version services on a Unix socket, for tests/node.

grpcio serves raw bytes through generic handlers (no serializer), so no .proto
file, protoc or generated code is needed: the few protobuf fields are written
by hand below (tag = field << 3 | 2, varint length, UTF-8 bytes).

  fake_grpc_runtime.py SOCKET containerd VERSION REVISION [CRI_API [RUNTIME_VERSION]]
      containerd.services.version.v1.Version/Version, and the CRI's
      RuntimeService/Version in CRI_API (v1, v1alpha2) unless it is "none"
      (containerd with its CRI plugin disabled)
  fake_grpc_runtime.py SOCKET cri NAME VERSION CRI_API
      runtime.CRI_API.RuntimeService/Version only (CRI-O, cri-dockerd)
  fake_grpc_runtime.py SOCKET status CODE MESSAGE
      every Version call fails with that gRPC status

--delay-ms N (first) makes every answer wait N ms. The CRI answer checks the
request's field 1 (the CRI version asked for) and fails INVALID_ARGUMENT when
it is not the API being served. Runs until SIGTERM; listens before it prints
"listening".
"""
import signal
import sys
import time
from concurrent import futures

import grpc


def varint(n):
    out = bytearray()
    while n >= 0x80:
        out.append(0x80 | (n & 0x7F))
        n >>= 7
    out.append(n)
    return bytes(out)


def string_field(number, text):
    data = text.encode()
    return varint(number << 3 | 2) + varint(len(data)) + data


def first_string_field(message):
    """Field 1 of a request made of string fields (what kinspect sends)."""
    if len(message) < 2 or message[0] != (1 << 3 | 2):
        return None
    return message[2:2 + message[1]].decode()


def main(argv):
    delay = 0.0
    if argv[0] == "--delay-ms":
        delay, argv = int(argv[1]) / 1000.0, argv[2:]
    sock, mode, args = argv[0], argv[1], argv[2:]
    services = {}

    def answer(reply):
        def handler(request, context):
            time.sleep(delay)
            return reply(request, context)
        return grpc.unary_unary_rpc_method_handler(handler)

    def cri(api, name, version):
        def reply(request, context):
            asked = first_string_field(request)
            if asked != api:
                context.abort(grpc.StatusCode.INVALID_ARGUMENT, "asked for CRI version %r" % asked)
            return (string_field(1, "0.1.0") + string_field(2, name) + string_field(3, version)
                    + string_field(4, api))
        services["runtime.%s.RuntimeService" % api] = {"Version": answer(reply)}

    if mode == "containerd":
        version, revision = args[0], args[1]
        services["containerd.services.version.v1.Version"] = {
            "Version": answer(lambda req, ctx: string_field(1, version) + string_field(2, revision))}
        api = args[2] if len(args) > 2 else "v1"
        if api != "none":
            cri(api, "containerd", args[3] if len(args) > 3 else version)
    elif mode == "cri":
        cri(args[2], args[0], args[1])
    elif mode == "status":
        code = next(c for c in grpc.StatusCode if c.value[0] == int(args[0]))

        def fail(request, context):
            context.abort(code, args[1])
        for svc in ("containerd.services.version.v1.Version", "runtime.v1.RuntimeService",
                    "runtime.v1alpha2.RuntimeService"):
            services[svc] = {"Version": answer(fail)}
    else:
        sys.exit("unknown mode " + mode)

    server = grpc.server(futures.ThreadPoolExecutor(max_workers=4))
    server.add_generic_rpc_handlers(
        [grpc.method_handlers_generic_handler(name, methods) for name, methods in services.items()])
    server.add_insecure_port("unix:" + sock)
    server.start()
    print("listening", flush=True)
    signal.signal(signal.SIGTERM, lambda *_: server.stop(0))
    server.wait_for_termination()


if __name__ == "__main__":
    main(sys.argv[1:])
