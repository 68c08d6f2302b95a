#!/bin/bash
# 235-mapped-fault-poll.sh again with every daemon under --reclaim-policy clock-pro (the fault thread's busy-polling):
# the hands age mapped pages there (lib/clockpro.c, lib/mapped.c), and all it checks must hold.
export RCL_RECLAIM_POLICY=clock-pro
exec "$top_srcdir/tests/integration/235-mapped-fault-poll.sh"
