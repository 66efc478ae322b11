#!/usr/bin/env python3
"""Writes the seed corpus of fuzz-ipc into fuzz/corpus/ipc/.

Seeds are a few valid frames of each type and a few invalid ones, each close
to valid so the fuzzer starts near the decoder's edges. The numbers mirror
src/common/ipc.h; rerun this after changing the wire format there.
"""
import os
import struct
import sys

EXEC, READY, OUTPUT, RESULT = 1, 2, 3, 4
(ID, CODE, FILENAME, TIMEOUT_MS, FLAGS, ENV, OUTPUT_CAP, MEMORY_MB, STDIN, LAYERS,
 STREAM, DATA, STATUS, RESULT_T, ERR_NAME, ERR_MESSAGE, ERR_STACK, ERR_LINE,
 ERR_COLUMN, WALL_NS, CPU_NS, PEAK_RSS, TRUNCATED, SIGNAL) = range(1, 25)
SLOT = 45  # IPC_T_SLOT: which of a worker's executions a frame is about


def field(tag, data, length=None):
    if isinstance(data, str):
        data = data.encode()
    return struct.pack('<HI', tag, len(data) if length is None else length) + data


def u64(tag, v):
    return field(tag, struct.pack('<Q', v))


def frame(type_, *fields, reserved=0):
    payload = b''.join(fields)
    return struct.pack('<IHH', len(payload), type_, reserved) + payload


exec_full = frame(EXEC, u64(SLOT, 1), field(ID, 'ex_0001'), field(CODE, 'console.log("hi"); 1 + 1'),
                  field(FILENAME, 'main.js'), u64(TIMEOUT_MS, 5000), u64(FLAGS, 1),
                  field(ENV, 'A=1'), field(ENV, 'B=2'), u64(OUTPUT_CAP, 1 << 20),
                  u64(MEMORY_MB, 128), field(STDIN, 'input\n'))
ready = frame(READY, u64(LAYERS, 0x1f))
output = frame(OUTPUT, u64(SLOT, 1), u64(STREAM, 1), field(DATA, 'hi\n'))

SEEDS = {
    'exec-full': exec_full,
    'ready': ready,
    'output-stderr': frame(OUTPUT, u64(SLOT, 2), u64(STREAM, 2), field(DATA, b'err\x00\xff\n')),
    'result-ok': frame(RESULT, u64(SLOT, 1), field(ID, 'ex_0001'), field(STATUS, 'ok'), field(RESULT_T, '{"a":1}'),
                       u64(WALL_NS, 1500000), u64(CPU_NS, 1000000), u64(PEAK_RSS, 1 << 24)),
    'result-error': frame(RESULT, u64(SLOT, 2), field(ID, 'ex_0002'), field(STATUS, 'error'),
                          field(ERR_NAME, 'TypeError'), field(ERR_MESSAGE, 'x is not a function'),
                          field(ERR_STACK, 'TypeError: x\n    at main.js:3:5'), u64(ERR_LINE, 3),
                          u64(ERR_COLUMN, 5), u64(TRUNCATED, 0), u64(SIGNAL, 0)),
    # Several frames back to back, for the incremental reader.
    'stream-ready-output-result': ready + output + output +
        frame(RESULT, u64(SLOT, 1), field(ID, 'e1'), field(STATUS, 'ok')),
    'bad-result-without-slot': frame(RESULT, field(ID, 'e1'), field(STATUS, 'ok')),
    # Invalid: each breaks exactly one rule.
    'bad-u64-7-bytes': frame(EXEC, field(ID, 'e1'), field(CODE, '1'), field(TIMEOUT_MS, b'\x01' * 7)),
    'bad-exec-without-code': frame(EXEC, field(ID, 'e1'), u64(TIMEOUT_MS, 1)),
    'bad-reserved': frame(READY, reserved=1),
    'bad-field-past-end': frame(OUTPUT, u64(STREAM, 1), field(DATA, 'abc', length=4)),
}


def main():
    out = os.path.join(os.path.dirname(os.path.abspath(__file__)), 'corpus', 'ipc')
    if len(sys.argv) > 1:
        out = sys.argv[1]
    os.makedirs(out, exist_ok=True)
    for name, data in SEEDS.items():
        with open(os.path.join(out, name), 'wb') as f:
            f.write(data)


if __name__ == '__main__':
    main()
