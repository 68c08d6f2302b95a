#!/bin/bash
# A short deterministic fuzz pass over the frame decoder: seeds, the corpus, mutations.
set -u
exec "$top_builddir/tests/fuzz/fuzz-frame-replay" "$top_srcdir/tests/fuzz/corpus"
