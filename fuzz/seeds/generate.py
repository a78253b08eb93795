#!/usr/bin/env python3
"""Writes the in-tree seed corpus: a handful of small inputs per fuzz target, in
fuzz/seeds/<target>/. Run from anywhere; the output is deterministic, so a re-run leaves
the tree unchanged. The structure-aware targets read their input with connect_fuzz::Input
(bytes, little-endian u16s, length-prefixed strings); each seed below spells out the
fields in the order the target reads them (see the target's doc comment)."""

import base64
import gzip
import os
import shutil
import struct

ROOT = os.path.dirname(os.path.abspath(__file__))
SEEDS = {}


def u16(n):
    return struct.pack("<H", n)


def lp(b):
    """A length-prefixed string (Input::bytes)."""
    assert len(b) < 256
    return bytes([len(b)]) + b


def seed(target, name, data):
    if isinstance(data, str):
        data = data.encode()
    SEEDS.setdefault(target, []).append((name, data))


# --- message codecs --------------------------------------------------------------------
seed("decode_binary", "empty", b"")
seed("decode_binary", "scalars", b"\x28\x05\x4a\x02hi\x40\x01\x09" + struct.pack("<d", 1.5))
seed("decode_binary", "inner", b"\xf2\x01\x05\x08\x01\x12\x01x")
seed("decode_binary", "packed", b"\xc2\x02\x03\x01\x02\x03")
seed("decode_binary", "map", b"\xe2\x03\x06\x0a\x01k\x12\x01v")
seed("decode_binary", "oneof", b"\xba\x04\x02ok")

seed("decode_json", "scalars", '{"fString":"hi","fInt32":5,"fBool":true,"fDouble":"NaN"}')
seed("decode_json", "nested", '{"inner":{"a":1,"b":"x"},"rInt32":[1,2],"mStringString":{"k":"v"}}')
seed("decode_json", "wkt", '{"tTimestamp":"2020-01-01T00:00:00Z","fBytes":"AAE=","fColor":"COLOR_RED"}')
seed("decode_json", "escapes", '{"fString":"a\\u00e9\\n\\ud83d\\ude00"}')

# error_json: the first byte is the HTTP status minus 400.
seed("error_json", "error", b"\x00" + b'{"code":"internal","message":"boom"}')
seed("error_json", "end_stream", b"{" + b'"error":{"code":"unavailable","message":"x","details":[{"type":"a.B","value":"AAE"}]},"metadata":{"k":["v"]}}')
seed("error_json", "empty_object", b"{}")

plain = base64.urlsafe_b64encode(b"\x08\x01").rstrip(b"=").decode()
zipped = base64.urlsafe_b64encode(gzip.compress(b"{}", mtime=0)).decode()
seed("get_query", "json", "encoding=json&message=%7B%7D")
seed("get_query", "base64", f"connect=v1&encoding=proto&base64=1&message={plain}")
seed("get_query", "gzip", f"encoding=json&compression=gzip&base64=1&message={zipped}")

# --- HTTP/1.1 --------------------------------------------------------------------------
# The first byte is the split point.
seed("http1_chunked", "simple", b"\x03" + b"5\r\nhello\r\n0\r\n\r\n")
seed("http1_chunked", "extensions_trailers", b"\x07" + b"3;a=b\r\nabc\r\n0\r\nx-t: 1\r\n\r\n")
seed("http1_head", "request", b"\x10" + b"POST /a.B/C HTTP/1.1\r\nhost: x\r\ncontent-type: application/proto\r\ncontent-length: 3\r\n\r\n")
seed("http1_head", "response", b"\x05" + b"HTTP/1.1 200 OK\r\ncontent-length: 0\r\n\r\n")
seed("http1_head", "interim", b"\x20" + b"HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 404 Not Found\r\ntransfer-encoding: chunked\r\n\r\n")

# --- envelopes -------------------------------------------------------------------------
# u16 max; frame count; per frame flags, lie, lp(payload); compression flag; split count,
# u16 splits; tail.
seed("envelope", "three_frames",
     u16(1000) + b"\x03" + b"\x00\x00" + lp(b"hello") + b"\x01\x00" + lp(b"zz")
     + b"\x02\x00" + lp(b"{}") + b"\x01" + b"\x02" + u16(3) + u16(9))
seed("envelope", "short_lie", u16(100) + b"\x02" + b"\x00\x85" + lp(b"abc") + b"\x00\x00" + lp(b"x")
     + b"\x00" + b"\x01" + u16(4))
seed("envelope", "huge_lie", u16(100) + b"\x01" + b"\x00\xc0" + lp(b"a") + b"\x00\x00")
seed("envelope", "bad_flags", u16(100) + b"\x01" + b"\x84\x00" + lp(b"q") + b"\x00\x00" + b"tail")

# --- decompression ---------------------------------------------------------------------
# limit mode, u16 limit, level, members, repetition, mutation count, mutations (kind, u16
# position, value), payload.
def decompress_seed(mode, limit, level, members, repeat, mutations, payload):
    out = bytes([mode]) + u16(limit) + bytes([level, members, repeat, len(mutations)])
    for kind, pos, value in mutations:
        out += bytes([kind]) + u16(pos) + bytes([value])
    return out + payload

DECOMPRESS = {
    "exact_limit": decompress_seed(1, 0, 3, 0, 0, [], b"hello hello hello world"),
    "members": decompress_seed(0, 65535, 5, 2, 4, [], b"abcdefgh"),
    "lie": decompress_seed(0, 4096, 1, 0, 0, [(2, 0, 0x41)], b"lie about my size"),
    "truncate": decompress_seed(0, 4096, 2, 0, 0, [(1, 10, 0)], b"cut me short, please"),
    "bomb": decompress_seed(2, 0, 6, 0, 11, [], b"A"),
    "duplicate": decompress_seed(0, 1000, 4, 1, 0, [(4, 0, 0)], b"twice"),
    "garbage": decompress_seed(0, 1000, 4, 0, 0, [(5, 0, 3)], b"trailing"),
}
for alg in ("gzip", "zstd", "br"):
    for name, data in DECOMPRESS.items():
        seed(f"decompress_{alg}", name, data)

# --- client responses ------------------------------------------------------------------
# mode (bit 0 stream, bit 1 JSON, bit 2 GET, bit 3 generated), u16 message limit, slack,
# head limit, header limit, cut count + u16 cuts, then raw bytes or generator choices.
def client(mode, cuts, rest, limit=1000, slack=0x80):
    return bytes([mode]) + u16(limit) + bytes([slack, 8, 8, len(cuts)]) + b"".join(u16(c) for c in cuts) + rest

seed("client_response", "raw_unary", client(0, [7, 30], b"HTTP/1.1 200 OK\r\ncontent-type: application/proto\r\ncontent-length: 5\r\n\r\nhello"))
seed("client_response", "raw_stream", client(1, [40], b"HTTP/1.1 200 OK\r\ncontent-type: application/connect+proto\r\ntransfer-encoding: chunked\r\n\r\n8\r\n\x00\x00\x00\x00\x03abc\r\n7\r\n\x02\x00\x00\x00\x02{}\r\n0\r\n\r\n"))
seed("client_response", "raw_error", client(2, [], b'HTTP/1.1 503 Service Unavailable\r\ncontent-type: application/json\r\ncontent-length: 21\r\n\r\n{"code":"unavailable"}'))
# Generated: interim?, status, content type, compression, encoding header, header count
# (value byte, trailer flag each), body choices, framing.
seed("client_response", "gen_unary_gzip", client(8, [12], bytes([1, 0, 0, 1, 1, 1, 5, 1]) + lp(b"payload!") + b"\x00"))
seed("client_response", "gen_stream_chunked", client(9, [], bytes([1, 0, 0, 0, 0, 0]) + b"\x02" + lp(b"one") + lp(b"two") + b"\x01\x00\x01\x07\x00" + b"\x03\x05\x09\x02\x04"))
seed("client_response", "gen_error_json", client(10, [], bytes([0, 4, 0, 0, 0, 0, 1]) + b"\x01"))

# --- end-stream ------------------------------------------------------------------------
# mode (bit 0 generated, bits 1-2 compression), u16 limit, then raw JSON or choices.
seed("end_stream", "raw", b"\x02" + u16(500) + b'{"error":{"code":"internal","message":"x"},"metadata":{"a":["b"]}}')
seed("end_stream", "raw_empty", b"\x00" + u16(10) + b"{}")
seed("end_stream", "generated", b"\x03" + u16(800) + bytes([1, 3, 4, 1]) + lp("é ok\n".encode()) + bytes([1, 2, 0, 1, 1, 1, 2, 3, 0, 9, 8, 1]))

# --- a server connection ---------------------------------------------------------------
# hostile, small body limit, head limit, header limit, [u16 body limit], u16 message limit,
# drain limit, cut count + u16 cuts, request count, then per request the choices of
# server_conn's generate().
def conn(hostile, cuts, count, requests, limit=1000):
    return (bytes([hostile, 0, 0, 0]) + u16(limit) + b"\x10" + bytes([len(cuts)])
            + b"".join(u16(c) for c in cuts) + bytes([count]) + b"".join(requests))

UNARY = b"\x00\x00\x00\x00" + b"\x00\x00" + lp(b"hello") + b"\x00"       # proto, CL
GET = b"\x01\x01\x01\x01" + lp(b'{"a":1}') + b"\x01"                       # JSON, gzip
BIDI = b"\x02\x02\x00\x02" + b"\x02\x01\x05" + b"\x02" + lp(b"ab") + lp(b"cd") + b"\x03"
SERVER = b"\x03\x01\x00\x00" + b"\x01\x00" + b"\x01" + lp(b"x") + b"\x00"
CLIENT = b"\x04\x00\x01\x03" + b"\x00\x00" + b"\x03" + lp(b"a") + lp(b"b") + lp(b"c") + b"\x00"
seed("server_conn", "pipeline", conn(0, [10, 100], 4, [UNARY, GET, BIDI, SERVER, CLIENT]))
seed("server_conn", "unary_chunked", conn(0, [], 0, [b"\x00\x01\x01\x01\x00\x01\x03" + lp(b"chunk me") + b"\x05"]))
seed("server_conn", "over_limit", conn(0, [5], 1, [UNARY, BIDI], limit=3))
seed("server_conn", "hostile", conn(1, [20], 3, [b"\x07\x00\x02", b"\x07\x01" + lp(b"GET / HTTP/1.1\r\n\r\n"), b"\x05\x03\x00\x00\x00\x04", UNARY]))


def main():
    for target, seeds in SEEDS.items():
        d = os.path.join(ROOT, target)
        shutil.rmtree(d, ignore_errors=True)
        os.makedirs(d)
        for name, data in seeds:
            with open(os.path.join(d, name), "wb") as f:
                f.write(data)


if __name__ == "__main__":
    main()
