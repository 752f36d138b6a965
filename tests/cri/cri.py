#!/usr/bin/python3
"""A minimal CRI client for bulkhead's tests: one RuntimeService call per run.

    cri.py compile OUT.pb
        compile runtime_v1.proto (next to this file) into a FileDescriptorSet
        with grpc_tools.protoc (no network, no generated Python code)
    cri.py --socket SOCK --descriptor OUT.pb METHOD [JSON | -]
        call runtime.v1.RuntimeService/METHOD with the request given as JSON
        (proto field names or lowerCamelCase; "-" reads stdin; default {})
        and print the response as one JSON line (proto field names, bytes in
        base64, enums by name).

Exit 0 on success; 1 on a gRPC error, with "CODE: details" on stderr (a
runtime's refusal arrives in details); 2 on bad usage.

The messages are built at run time from the descriptor set, so the code that
protoc 3.5 would generate never meets the protobuf 4 runtime of Debian 12.
"""
import json
import os
import subprocess
import sys

PROTO = "runtime_v1.proto"
SERVICE = "runtime.v1.RuntimeService"


def usage(msg):
    print("cri.py: " + msg, file=sys.stderr)
    sys.exit(2)


def compile_descriptor(out):
    here = os.path.dirname(os.path.abspath(__file__))
    cmd = [sys.executable, "-m", "grpc_tools.protoc", "-I", here,
           "--descriptor_set_out=" + out, os.path.join(here, PROTO)]
    return subprocess.call(cmd)


def message_classes(descriptor):
    from google.protobuf import descriptor_pb2, descriptor_pool, message_factory

    fds = descriptor_pb2.FileDescriptorSet()
    with open(descriptor, "rb") as f:
        fds.ParseFromString(f.read())
    pool = descriptor_pool.DescriptorPool()
    for fd in fds.file:
        pool.Add(fd)
    get = getattr(message_factory, "GetMessageClass", None)
    if get is None:  # protobuf < 4.22
        factory = message_factory.MessageFactory(pool)
        get = factory.GetPrototype
    return pool, get


def call(sock, descriptor, method, request_json, timeout):
    import grpc
    from google.protobuf import json_format

    pool, get = message_classes(descriptor)
    try:
        m = pool.FindServiceByName(SERVICE).FindMethodByName(method)
    except KeyError:
        m = None
    if m is None:
        usage("no method %s in %s" % (method, PROTO))
    req_cls, resp_cls = get(m.input_type), get(m.output_type)
    req = json_format.ParseDict(json.loads(request_json or "{}"), req_cls())
    with grpc.insecure_channel("unix://" + sock) as ch:
        stub = ch.unary_unary("/%s/%s" % (SERVICE, method),
                              request_serializer=req_cls.SerializeToString,
                              response_deserializer=resp_cls.FromString)
        try:
            resp = stub(req, timeout=timeout)
        except grpc.RpcError as e:
            print("%s: %s" % (e.code().name, e.details()), file=sys.stderr)
            return 1
    out = json_format.MessageToDict(resp, preserving_proto_field_name=True)
    print(json.dumps(out, sort_keys=True))
    return 0


def main(argv):
    if len(argv) == 3 and argv[1] == "compile":
        return compile_descriptor(argv[2])
    sock = descriptor = None
    timeout = 60.0
    args = argv[1:]
    while args and args[0].startswith("--"):
        flag = args.pop(0)
        if not args:
            usage(flag + " needs a value")
        val = args.pop(0)
        if flag == "--socket":
            sock = val
        elif flag == "--descriptor":
            descriptor = val
        elif flag == "--timeout":
            timeout = float(val)
        else:
            usage("unknown flag " + flag)
    if not sock or not descriptor or len(args) not in (1, 2):
        usage("usage: cri.py --socket SOCK --descriptor FILE.pb METHOD [JSON|-]")
    body = args[1] if len(args) == 2 else "{}"
    if body == "-":
        body = sys.stdin.read()
    return call(sock, descriptor, args[0], body, timeout)


if __name__ == "__main__":
    sys.exit(main(sys.argv))
