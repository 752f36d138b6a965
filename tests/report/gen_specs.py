#!/usr/bin/env python3
"""Write N Docker-sized OCI specs (Docker 20.10's default spec, each with its
own hostname, container ID in the environment and a bind mount of its own) to
DIR/cNNNNN.json; print nothing. Usage: gen_specs.py TEMPLATE DIR N"""
import copy
import json
import os
import sys

template, out, n = sys.argv[1], sys.argv[2], int(sys.argv[3])
with open(template, encoding="utf-8") as f:
    base = json.load(f)
os.makedirs(out, exist_ok=True)
for i in range(n):
    spec = copy.deepcopy(base)
    spec["hostname"] = "h%05x" % i
    spec.setdefault("process", {}).setdefault("env", []).append("CONTAINER_ID=%064x" % i)
    spec.setdefault("mounts", []).append(
        {"destination": "/data", "type": "bind", "source": "/srv/data/%05d" % i,
         "options": ["rbind", "rprivate"]})
    with open(os.path.join(out, "c%05d.json" % i), "w", encoding="utf-8") as f:
        json.dump(spec, f, separators=(",", ":"))
