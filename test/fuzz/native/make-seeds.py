#!/usr/bin/env python3
"""Writes the hand-made seed inputs of the native fuzz targets (test/fuzz/native/<target>/seed-*).
Each seed is a well-formed input in the target's format, so the fuzzer starts from real packets.
The corpus directories may also hold inputs libFuzzer found (merged with -merge=1)."""
import os, struct
D = os.path.dirname(os.path.abspath(__file__))

def w(target, name, data):
    os.makedirs(os.path.join(D, target), exist_ok=True)
    with open(os.path.join(D, target, 'seed-' + name), 'wb') as f:
        f.write(bytes(data))

def rtp(seq, ts, ssrc=0xcafebabe, pt=0, payload=b'\xff' * 160, marker=False, csrc=(), ext=None, pad=0):
    b0 = 0x80 | (0x20 if pad else 0) | (0x10 if ext is not None else 0) | len(csrc)
    h = struct.pack('>BBHII', b0, (0x80 if marker else 0) | pt, seq & 0xffff, ts & 0xffffffff, ssrc)
    h += b''.join(struct.pack('>I', c) for c in csrc)
    if ext is not None:
        h += struct.pack('>HH', 0xbede, len(ext) // 4) + ext
    return h + payload + (b'\0' * (pad - 1) + bytes([pad]) if pad else b'')

# RTP (RFC 3550 §5.1): PCMU, and one with CSRCs, a one-byte-header extension (RFC 8285) and padding
w('rtp', 'pcmu', rtp(0x1234, 160))
w('rtp', 'csrc-ext-pad', rtp(7, 320, csrc=(1, 2), ext=b'\x10\xaa\x00\x00', pad=4, payload=b'\x55' * 20))
# RTCP compound (RFC 3550 §6.1): SR with one report block + SDES CNAME; RR + BYE
sr = struct.pack('>BBHI', 0x81, 200, 12, 0x11223344) + struct.pack('>QIII', 0xe1f97a0d3e018be0, 160, 10, 1600)
sr += struct.pack('>IIIIII', 0xcafebabe, 0x01000002, 0x10000, 3, 0x3e018be0, 0x8000)
cname = b'\x01\x09user@host' + b'\0\0'
sdes = struct.pack('>BBHI', 0x81, 202, (4 + len(cname)) // 4, 0x11223344) + cname
w('rtcp', 'sr-sdes', sr + sdes)
w('rtcp', 'rr-bye', struct.pack('>BBHI', 0x80, 201, 1, 5) + struct.pack('>BBHI', 0x81, 203, 1, 5))
# telephone-event: clock byte, timeout byte, then ops (op<200: packet, seq, ts, payload; op>=200: tick);
# the RFC 4733 §5 "911" pattern: start, updates, three end packets per digit
te = [0, 50]
seq, ts = 100, 8000
for digit in (9, 1, 1):
    for k, dur in enumerate((160, 320, 480, 640, 640, 640)):
        end = 0x80 if k >= 3 else 0
        te += [4 | (1 if k == 0 else 0)] + list(struct.pack('>HI', seq, ts)) + [digit, end | 10] + list(struct.pack('>H', dur)) + [20]
        seq += 1
    ts += 1600
te += [250, 200]
w('telephone-event', 'rfc4733-911', te)
# jitter-buffer: setup (PCMU, 20 ms), first seq/ts, then 50 pushes of 160 octets with pops between
jb = [0] + list(struct.pack('>HI', 1000, 5000))
for i in range(50):
    jb += [1, 0] + [0x7f] * 160 + [80]   # push in order (op 1: 160-octet payload), +20 ms
    jb += [200, 0]                          # pop
w('jitter-buffer', 'pcmu-steady', jb)
# srtp-unprotect: suite 0 (AES_CM_128_HMAC_SHA1_80), no MKI, window 128; protected round trips of RTP
# and RTCP, then the same RTP altered
sp = [0, 0] + list(struct.pack('>H', 64))
for i in range(20):
    p = rtp(65530 + i, 160 * i)
    sp += [2] + list(struct.pack('>H', len(p))) + list(p)
rt = sr + sdes
sp += [3] + list(struct.pack('>H', len(rt))) + list(rt)
p = rtp(30, 4800)
sp += [6] + list(struct.pack('>H', len(p))) + list(p) + [0, 99]
w('srtp-unprotect', 'cm80-wrap', sp)
w('srtp-unprotect', 'gcm128-mki', [2, 4] + sp[2:])
# sdes-key: suite name, key||salt (RFC 4568 §6.1 example key), MKI, window
key = bytes.fromhex('e1f97a0d3e018be0d64fa32c06de41390ec675ad498afeebb6960b3aabe6')
name = b'AES_CM_128_HMAC_SHA1_80'
w('sdes-key', 'cm80', [len(name)] + list(name) + [len(key)] + list(key) + [0] + list(struct.pack('>I', 128)))
name = b'aead_aes_256_gcm'
key44 = bytes(range(44))
w('sdes-key', 'gcm256-lowercase-mki', [len(name)] + list(name) + [44] + list(key44) + [4, 0, 0, 0, 1] + list(struct.pack('>I', 1024)))
