#!/usr/bin/env python3
"""Times PyTorch SDPA (flash and cuDNN backends) on the tessel-bench case list, the way
../shared/bench/ANCHORS.md measured the peers: median of CUDA-graph replays of 20 calls,
timed with CUDA events; ragged batches padded to the longest sequence (SDPA has no
per-sequence lengths); TB/s counts the K+V bytes of the true lengths.

    python3 bench/sdpa_compare.py --manifest DIR/models.manifest.json --cases bench/anchors.cases

Head counts, head dims and dtypes come from the Tessel manifest, so both tools time the
same shapes. Prints one JSON line per case and backend, then a table."""
import argparse
import json
import math
import sys

import torch
import torch.nn.functional as F
from torch.nn.attention import SDPBackend, sdpa_kernel


def parse_lens(text):
    lens = []
    for item in text.split(","):
        if "x" in item:
            n, l = item.split("x")
            lens += [int(l)] * int(n)
        else:
            lens.append(int(item))
    return lens


def time_backend(backend, q, ks, vs, gqa, replays):
    calls = 20

    def step():
        for i in range(calls):
            with sdpa_kernel(backend):
                F.scaled_dot_product_attention(q, ks[i % len(ks)], vs[i % len(vs)],
                                               enable_gqa=gqa)

    step()  # compile/warm-up outside the graph
    torch.cuda.synchronize()
    stream = torch.cuda.Stream()
    graph = torch.cuda.CUDAGraph()
    with torch.cuda.stream(stream):
        step()
        stream.synchronize()
        with torch.cuda.graph(graph, stream=stream):
            step()
    for _ in range(3):
        graph.replay()
    torch.cuda.synchronize()
    times = []
    start, stop = torch.cuda.Event(enable_timing=True), torch.cuda.Event(enable_timing=True)
    for _ in range(replays):
        start.record()
        graph.replay()
        stop.record()
        stop.synchronize()
        times.append(start.elapsed_time(stop) * 1000.0 / calls)
    times.sort()
    return times[len(times) // 2]


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--manifest", required=True)
    ap.add_argument("--cases", required=True)
    ap.add_argument("--replays", type=int, default=30)
    args = ap.parse_args()
    functions = {f["name"]: f for f in json.load(open(args.manifest))["functions"]}
    dtypes = {"f16": torch.float16, "bf16": torch.bfloat16, "f32": torch.float32}
    rows = []
    for line in open(args.cases):
        line = line.strip()
        if not line or line.startswith("#"):
            continue
        name, lens_text = line.split()
        f = functions[name]
        lens = parse_lens(lens_text)
        b, hq, hkv, d = len(lens), f["q_heads"], f["kv_heads"], f["qk_dim"]
        dtype = dtypes[f["element_type"]]
        esize = torch.tensor([], dtype=dtype).element_size()
        needed = sum(lens) * hkv * (f["qk_dim"] + f["v_dim"]) * esize
        lmax = max(lens)
        padded = b * hkv * lmax * (f["qk_dim"] + f["v_dim"]) * esize
        copies = max(1, min(20, math.ceil(200e6 / padded)))
        q = torch.randn(b, hq, 1, d, device="cuda", dtype=dtype)
        ks = [torch.randn(b, hkv, lmax, d, device="cuda", dtype=dtype) for _ in range(copies)]
        vs = [torch.randn(b, hkv, lmax, f["v_dim"], device="cuda", dtype=dtype)
              for _ in range(copies)]
        result = {"function": name, "batch": b, "lens": lens_text,
                  "kv_mib": round(needed / 2**20, 1)}
        for label, backend in (("flash", SDPBackend.FLASH_ATTENTION),
                               ("cudnn", SDPBackend.CUDNN_ATTENTION)):
            try:
                us = time_backend(backend, q, ks, vs, hq != hkv, args.replays)
                result[label + "_us"] = round(us, 2)
            except Exception as e:  # a backend may refuse a shape
                result[label + "_us"] = None
                result[label + "_error"] = str(e).splitlines()[0][:120]
        best = min([t for t in (result["flash_us"], result["cudnn_us"]) if t] or [float("nan")])
        result["best_tbps"] = round(needed / (best * 1e-6) / 1e12, 3)
        print(json.dumps(result), flush=True)
        rows.append(result)
        del q, ks, vs
        torch.cuda.empty_cache()
    print(f"\n{'function':<12} {'lens':<28} {'KV MiB':>9} {'flash us':>9} {'cudnn us':>9}")
    for r in rows:
        fmt = lambda x: f"{x:9.2f}" if x else "      n/a"
        print(f"{r['function']:<12} {r['lens'][:28]:<28} {r['kv_mib']:9.1f} "
              f"{fmt(r['flash_us'])} {fmt(r['cudnn_us'])}")


if __name__ == "__main__":
    sys.exit(main())
