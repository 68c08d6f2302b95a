#!/usr/bin/python3
# pty-key.py KEY CMD...: run CMD on a new pseudo-terminal; once a frame of `reclaimctl top`
# (a MEMCG line) is on the screen, type KEY (a Python escape: q, \x03); print the exit status,
# whether the alternate screen was entered and, at the end, left. Bounded: 20 s, then killed.
import os, pty, select, sys, time
key = sys.argv[1].encode().decode('unicode_escape').encode()
pid, fd = pty.fork()
if pid == 0:
    os.execv(sys.argv[2], sys.argv[2:])
out = b''
deadline = time.monotonic() + 20
sent = False
status = None
while time.monotonic() < deadline:
    r, _, _ = select.select([fd], [], [], 0.2)
    if r:
        try:
            data = os.read(fd, 4096)
        except OSError:
            data = b''
        out += data
        if not data:
            break
    if not sent and b'MEMCG' in out:
        os.write(fd, key)
        sent = True
    wpid, st = os.waitpid(pid, os.WNOHANG)
    if wpid:
        status = st
        break
while status is None and time.monotonic() < deadline:
    wpid, st = os.waitpid(pid, os.WNOHANG)
    if wpid:
        status = st
    else:
        time.sleep(0.05)
while True:    # what the child wrote before it exited
    r, _, _ = select.select([fd], [], [], 0.5)
    if not r:
        break
    try:
        data = os.read(fd, 4096)
    except OSError:
        break
    if not data:
        break
    out += data
if status is None:
    os.kill(pid, 9)
    print('timeout')
    sys.exit(1)
print('exit=%d entered=%d left=%d sent=%d' % (os.waitstatus_to_exitcode(status),
      b'\x1b[?1049h' in out, out.rstrip().endswith(b'\x1b[?1049l'), sent))
