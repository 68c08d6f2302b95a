#!/bin/bash
# 240-mapped-hints.sh again with the daemon under --reclaim-policy clock-pro: the hands ask
# for the hinting faults there (lib/clockpro.c), and the same hot set must survive.
export RCL_RECLAIM_POLICY=clock-pro
exec "$top_srcdir/tests/integration/240-mapped-hints.sh"
