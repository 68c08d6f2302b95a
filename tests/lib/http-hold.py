#!/usr/bin/env python3
# http-hold.py PORT COUNT [TRICKLE]: open COUNT connections to 127.0.0.1:PORT one after the
# other and hold them, sending nothing (or, with TRICKLE, one byte of a request line every
# TRICKLE seconds on each, as a slow client keeps evhttp's timeout from ending). Prints
# "connected=N" once it has tried them all (a refused or timed-out connect ends the tries),
# then "open=K" each time the number the server has not closed changes, until standard input
# ends or 90 seconds have gone by.
import resource, select, socket, sys, time

port, count = int(sys.argv[1]), int(sys.argv[2])
trickle = float(sys.argv[3]) if len(sys.argv) > 3 else 0
soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
resource.setrlimit(resource.RLIMIT_NOFILE, (min(hard, 4096), hard))
conns = []
for _ in range(count):
    try:
        conns.append(socket.create_connection(("127.0.0.1", port), timeout=5))
    except OSError:
        break
print("connected=%d" % len(conns), flush=True)
open_ = set(conns)
shown, deadline, next_byte = -1, time.monotonic() + 90, time.monotonic() + trickle
while time.monotonic() < deadline:
    if len(open_) != shown:
        shown = len(open_)
        print("open=%d" % shown, flush=True)
    ready, _, _ = select.select(list(open_) + [sys.stdin], [], [], 0.2)
    if sys.stdin in ready and not sys.stdin.buffer.read1(4096):
        break
    for s in ready:
        if s is sys.stdin:
            continue
        try:
            gone = not s.recv(4096)
        except OSError:
            gone = True
        if gone:
            open_.discard(s)
            s.close()
    if trickle and time.monotonic() >= next_byte:
        next_byte += trickle
        for s in list(open_):
            try:
                s.send(b"G")
            except OSError:
                open_.discard(s)
                s.close()
