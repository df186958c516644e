#!/usr/bin/env python3
"""Sends a bounded number of packets for the drop tracer's tests, from
inside a test namespace (run it with `ip netns exec`):

  traffic.py udp DST PORT COUNT [SRC]   COUNT UDP datagrams, from SRC if given
  traffic.py syn DST PORT COUNT         COUNT TCP SYNs, one per connection
  traffic.py flood DST PORT SECONDS     UDP datagrams as fast as one core sends them
                                        for SECONDS; prints how many were sent
  traffic.py flows DST PORT FLOWS COUNT COUNT datagrams from each of FLOWS sockets
                                        (source ports), taking turns: one from
                                        each, then the next round

Each SYN comes from a non-blocking connect() that is abandoned (closed)
before the kernel's first retransmission (1 s), so exactly one SYN per
connection reaches the wire."""
import socket
import sys
import time


def udp(dst, port, count, src=None):
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    if src:
        s.bind((src, 0))
    for i in range(count):
        s.sendto(b"kebpf %d" % i, (dst, port))
        time.sleep(0.001)  # paced, so no queue on the way drops any for its own reasons


def syn(dst, port, count):
    socks = []
    for _ in range(count):
        s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        s.setblocking(False)
        try:
            s.connect((dst, port))
        except BlockingIOError:
            pass
        socks.append(s)
    time.sleep(0.4)
    for s in socks:
        s.close()


def flows(dst, port, nflows, count):
    socks = [socket.socket(socket.AF_INET, socket.SOCK_DGRAM) for _ in range(nflows)]
    for i in range(count):
        for s in socks:
            s.sendto(b"kebpf %d" % i, (dst, port))
            time.sleep(0.001)
    for s in socks:
        s.close()


def flood(dst, port, seconds):
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    payload = b"x" * 64
    sent = 0
    end = time.monotonic() + seconds
    while time.monotonic() < end:
        for _ in range(1000):
            s.sendto(payload, (dst, port))
        sent += 1000
    print(sent)


def main():
    kind, dst, port = sys.argv[1], sys.argv[2], int(sys.argv[3])
    if kind == "udp":
        udp(dst, port, int(sys.argv[4]), sys.argv[5] if len(sys.argv) > 5 else None)
    elif kind == "syn":
        syn(dst, port, int(sys.argv[4]))
    elif kind == "flows":
        flows(dst, port, int(sys.argv[4]), int(sys.argv[5]))
    elif kind == "flood":
        flood(dst, port, float(sys.argv[4]))
    else:
        sys.exit("traffic.py: unknown kind " + kind)


if __name__ == "__main__":
    main()
