#!/usr/bin/python3
"""The user's current way to build the filter, as the bloom benchmark's Python peer.

Reader processes (one per file) parse the CSV files (csv module) and puts batches of emails on a
queue; worker processes take batches (get with a 10 s timeout), hash each email with XXH64 and
insert it into their own split-block Bloom filter (numpy, Parquet's layout); a 'STOP' string per
worker ends the stream; the main process ORs the workers' filters in sequence.
Prints "seconds S rows N". Usage: bloom_python_peer.py GLOB WORKERS BLOCKS
"""
import csv
import glob
import multiprocessing as mp
import queue
import sys
import time

import numpy as np
import xxhash

SALT = np.array([0x47B6137B, 0x44974D91, 0x8824AD5B, 0xA2B7289D,
                 0x705495C7, 0x2DF1424B, 0x9EFC4947, 0x5C6BFB31], dtype=np.uint32)
BATCH = 10000


def read_file(path, q):
    with open(path, newline="") as f:
        rows = csv.reader(f)
        header = next(rows)
        col = header.index("email")
        batch = []
        for row in rows:
            batch.append(row[col])
            if len(batch) == BATCH:
                q.put(batch)
                batch = []
        if batch:
            q.put(batch)


def insert(filt, blocks, emails):
    h = np.fromiter((xxhash.xxh64_intdigest(e.encode()) for e in emails), dtype=np.uint64,
                    count=len(emails))
    index = ((h >> np.uint64(32)) * np.uint64(blocks)) >> np.uint64(32)
    key = (h & np.uint64(0xFFFFFFFF)).astype(np.uint32)
    bits = (key[:, None] * SALT[None, :]) >> np.uint32(27)
    masks = np.left_shift(np.uint32(1), bits)
    np.bitwise_or.at(filt, index.astype(np.int64), masks)


def worker(q, out, blocks):
    filt = np.zeros((blocks, 8), dtype=np.uint32)
    rows = 0
    while True:
        try:
            item = q.get(timeout=10)
        except queue.Empty:
            continue
        if item == "STOP":
            break
        rows += len(item)
        insert(filt, blocks, item)
    out.put((rows, filt.tobytes()))


def main():
    pattern, workers, blocks = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
    files = sorted(glob.glob(pattern))
    start = time.perf_counter()
    q = mp.Queue(maxsize=64)
    out = mp.Queue()
    procs = [mp.Process(target=worker, args=(q, out, blocks)) for _ in range(workers)]
    for p in procs:
        p.start()
    readers = [mp.Process(target=read_file, args=(f, q)) for f in files]
    for r in readers:
        r.start()
    for r in readers:
        r.join()
    for _ in procs:
        q.put("STOP")
    total = 0
    merged = np.zeros((blocks, 8), dtype=np.uint32)
    for _ in procs:
        rows, data = out.get()
        total += rows
        merged |= np.frombuffer(data, dtype=np.uint32).reshape(blocks, 8)
    for p in procs:
        p.join()
    print(f"seconds {time.perf_counter() - start:.3f} rows {total}")


if __name__ == "__main__":
    main()
