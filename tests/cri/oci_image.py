#!/usr/bin/python3
"""Write an OCI image archive (what `ctr images import` reads) from a root
filesystem directory, for tests that have no registry:

    oci_image.py ROOTFS OUT.tar NAME [--entrypoint JSON] [--cmd JSON] [--env JSON]

NAME is the full reference (docker.io/library/bulkhead-pause:1); containerd
names the image after the index's io.containerd.image.name annotation.

One uncompressed layer (every file owned by 0:0, times zeroed, so the same
tree gives the same digest), the image config, the manifest and index.json,
each blob stored under blobs/sha256/<its digest>.
"""
import hashlib
import io
import json
import os
import platform
import sys
import tarfile

MT_INDEX = "application/vnd.oci.image.index.v1+json"
MT_MANIFEST = "application/vnd.oci.image.manifest.v1+json"
MT_CONFIG = "application/vnd.oci.image.config.v1+json"
MT_LAYER = "application/vnd.oci.image.layer.v1.tar"
# Go's names for the machine (containerd imports only the host's platform).
ARCH = {"x86_64": "amd64", "aarch64": "arm64", "armv7l": "arm", "i686": "386"}.get(
    platform.machine(), platform.machine())


def layer_tar(rootfs):
    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode="w", format=tarfile.PAX_FORMAT) as tar:
        entries = []
        for dirpath, dirnames, filenames in os.walk(rootfs):
            dirnames.sort()
            for name in sorted(dirnames + filenames):
                entries.append(os.path.join(dirpath, name))
        for path in entries:
            info = tar.gettarinfo(path, arcname=os.path.relpath(path, rootfs))
            info.uid = info.gid = 0
            info.uname = info.gname = ""
            info.mtime = 0
            if info.isreg():
                with open(path, "rb") as f:
                    tar.addfile(info, f)
            else:
                tar.addfile(info)
    return buf.getvalue()


def blob(out, data, media_type):
    digest = "sha256:" + hashlib.sha256(data).hexdigest()
    info = tarfile.TarInfo("blobs/sha256/" + digest.split(":", 1)[1])
    info.size = len(data)
    out.addfile(info, io.BytesIO(data))
    return {"mediaType": media_type, "digest": digest, "size": len(data)}


def add_json(out, name, obj):
    data = json.dumps(obj, sort_keys=True).encode()
    info = tarfile.TarInfo(name)
    info.size = len(data)
    out.addfile(info, io.BytesIO(data))


def main(argv):
    if len(argv) < 4 or len(argv) % 2:
        print(__doc__, file=sys.stderr)
        return 2
    rootfs, target, name = argv[1:4]
    opts = dict(zip(argv[4::2], argv[5::2]))
    known = {"--entrypoint": "Entrypoint", "--cmd": "Cmd", "--env": "Env"}
    cfg = {"Env": ["PATH=/bin"], "WorkingDir": "/"}
    for flag, value in opts.items():
        if flag not in known:
            print("oci_image.py: unknown option " + flag, file=sys.stderr)
            return 2
        cfg[known[flag]] = json.loads(value)
    layer = layer_tar(rootfs)
    diff_id = "sha256:" + hashlib.sha256(layer).hexdigest()
    config = {
        "architecture": ARCH,
        "os": "linux",
        "config": cfg,
        "rootfs": {"type": "layers", "diff_ids": [diff_id]},
        "history": [{"created_by": "bulkhead tests/cri/oci_image.py"}],
    }
    tag = name.rsplit(":", 1)[1] if ":" in name.rsplit("/", 1)[-1] else "latest"
    with tarfile.open(target, "w") as out:
        add_json(out, "oci-layout", {"imageLayoutVersion": "1.0.0"})
        layer_desc = blob(out, layer, MT_LAYER)
        config_desc = blob(out, json.dumps(config, sort_keys=True).encode(), MT_CONFIG)
        manifest = {"schemaVersion": 2, "mediaType": MT_MANIFEST, "config": config_desc,
                    "layers": [layer_desc]}
        manifest_desc = blob(out, json.dumps(manifest, sort_keys=True).encode(), MT_MANIFEST)
        manifest_desc["platform"] = {"architecture": ARCH, "os": "linux"}
        manifest_desc["annotations"] = {"io.containerd.image.name": name,
                                        "org.opencontainers.image.ref.name": tag}
        add_json(out, "index.json", {"schemaVersion": 2, "mediaType": MT_INDEX,
                                     "manifests": [manifest_desc]})
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
