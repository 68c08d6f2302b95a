#!/bin/bash
# 232-mapped-lost-before-handoff.sh again with every daemon under --reclaim-policy clock-pro (a mapping lost before its descriptors are handed over):
# the hands age mapped pages there (lib/clockpro.c, lib/mapped.c), and all it checks must hold.
export RCL_RECLAIM_POLICY=clock-pro
exec "$top_srcdir/tests/integration/232-mapped-lost-before-handoff.sh"
