#!/usr/bin/env python3
# pressure-client.py SECONDS: a client of systemd's memory-pressure protocol, step by step as
# sd_event_add_memory_pressure() does it: read MEMORY_PRESSURE_WATCH, connect to that AF_UNIX
# stream socket, write the base64-decoded MEMORY_PRESSURE_WRITE, then poll for POLLIN for
# SECONDS (bounded). Prints "event T" (T seconds since the write) per byte read, "error MSG"
# for a line the daemon sent instead, and "eof" when the daemon hung up.
import base64, os, select, socket, sys, time

seconds = float(sys.argv[1])
watch = os.environ["MEMORY_PRESSURE_WATCH"]
trigger = base64.b64decode(os.environ["MEMORY_PRESSURE_WRITE"])
s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
s.connect(watch)
try:
    s.sendall(trigger)
except BrokenPipeError:
    pass    # refused on accept and hung up on before the trigger got there: the reads tell why
start = time.monotonic()
deadline = start + seconds
p = select.poll()
p.register(s, select.POLLIN | select.POLLPRI)
pending = b""
while True:
    left = deadline - time.monotonic()
    if left <= 0:
        break
    if not p.poll(int(left * 1000) + 1):
        continue
    data = s.recv(4096)
    if not data:
        print("eof", flush=True)
        break
    now = time.monotonic() - start
    pending += data
    if pending.startswith(b"error:"):
        if b"\n" in pending:
            print("error " + pending.split(b"\n")[0].decode(), flush=True)
            pending = b""
        continue
    for _ in pending:
        print("event %.3f" % now, flush=True)
    pending = b""
