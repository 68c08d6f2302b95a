#!/bin/bash
# 230-mapped-regions.sh again with every daemon under --reclaim-policy clock-pro (a region mapped, faulted, evicted and unmapped, with every byte checked):
# the hands age mapped pages there (lib/clockpro.c, lib/mapped.c), and all it checks must hold.
export RCL_RECLAIM_POLICY=clock-pro
exec "$top_srcdir/tests/integration/230-mapped-regions.sh"
