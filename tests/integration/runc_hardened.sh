#!/bin/sh
echo "runc_hardened: not written yet" >&2
exit 77
