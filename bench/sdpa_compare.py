#!/usr/bin/env python3
"""Times the peers on the tessel-bench case list, the way ../shared/bench/ANCHORS.md measured
them: PyTorch SDPA (flash and cuDNN backends) and balanced split-KV decoding
(bench/splitkv.py, best of grid budgets 1/2/4 x SMs). Median of CUDA-graph replays of 20
calls, timed with CUDA events; for SDPA ragged batches are padded to the longest sequence
(it has no per-sequence lengths), split-KV uses the true lengths; TB/s counts the K+V bytes
of the true lengths.

    python3 bench/sdpa_compare.py --manifest DIR/models.manifest.json --cases bench/anchors.cases
                                  [--l2 cold|warm]

--l2 cold (the default, as tessel-bench) rotates copies of the caches so that a replay reads
more than the L2 holds; --l2 warm reads one copy every call, so caches that fit the 50 MB L2
are served from it.

Head counts, head dims and dtypes come from the Tessel manifest, so both tools time the
same shapes. Prints one JSON line per case and backend, then a table."""
import argparse
import json
import math
import sys

import splitkv
import torch
from lens import parse_lens
import torch.nn.functional as F
from torch.nn.attention import SDPBackend, sdpa_kernel


CALLS = 20


def time_backend(backend, q, ks, vs, gqa, replays):
    def call(i):
        with sdpa_kernel(backend):
            F.scaled_dot_product_attention(q, ks[i % len(ks)], vs[i % len(vs)], enable_gqa=gqa)

    return time_calls(call, replays)


def time_calls(call, replays):
    """Median microseconds per call over CUDA-graph replays of CALLS calls."""
    calls = CALLS

    def step():
        for i in range(calls):
            call(i)

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
    ap.add_argument("--l2", choices=("cold", "warm"), default="cold")
    args = ap.parse_args()
    functions = {f["name"]: f for f in json.load(open(args.manifest))["functions"]}
    sms = torch.cuda.get_device_properties(0).multi_processor_count
    checked = set()
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
        copies = 1 if args.l2 == "warm" else max(1, min(20, math.ceil(200e6 / padded)))
        q = torch.randn(b, hq, 1, d, device="cuda", dtype=dtype)
        ks = [torch.randn(b, hkv, lmax, d, device="cuda", dtype=dtype) for _ in range(copies)]
        vs = [torch.randn(b, hkv, lmax, f["v_dim"], device="cuda", dtype=dtype)
              for _ in range(copies)]
        result = {"function": name, "batch": b, "lens": lens_text, "l2": args.l2,
                  "kv_mib": round(needed / 2**20, 1)}
        for label, backend in (("flash", SDPBackend.FLASH_ATTENTION),
                               ("cudnn", SDPBackend.CUDNN_ATTENTION)):
            try:
                us = time_backend(backend, q, ks, vs, hq != hkv, args.replays)
                result[label + "_us"] = round(us, 2)
            except Exception as e:  # a backend may refuse a shape
                result[label + "_us"] = None
                result[label + "_error"] = str(e).splitlines()[0][:120]
        if name not in checked:  # the baseline must be right before it is timed
            splitkv.self_check(hq, hkv, d, f["v_dim"], dtype)
            checked.add(name)
        q3 = q.view(b, hq, d)
        for budget in (1, 2, 4):
            chunk = splitkv.chunk_for_budget(lens, hkv, budget * sms)
            skv = splitkv.SplitKV(lens, hq, hkv, d, f["v_dim"], dtype, chunk)
            us = time_calls(lambda i: skv(q3, ks[i % len(ks)], vs[i % len(vs)]), args.replays)
            if result.get("splitkv_us") is None or us < result["splitkv_us"]:
                result["splitkv_us"], result["splitkv_chunk"] = round(us, 2), chunk
        best = min([t for t in (result["flash_us"], result["cudnn_us"], result["splitkv_us"])
                    if t] or [float("nan")])
        result["best_tbps"] = round(needed / (best * 1e-6) / 1e12, 3)
        print(json.dumps(result), flush=True)
        rows.append(result)
        del q, ks, vs
        torch.cuda.empty_cache()
    print(f"\n{'function':<12} {'lens':<28} {'KV MiB':>9} {'flash us':>9} {'cudnn us':>9} "
          f"{'splitkv us':>10}")
    for r in rows:
        fmt = lambda x: f"{x:9.2f}" if x else "      n/a"
        print(f"{r['function']:<12} {r['lens'][:28]:<28} {r['kv_mib']:9.1f} "
              f"{fmt(r['flash_us'])} {fmt(r['cudnn_us'])} {fmt(r['splitkv_us']):>10}")


if __name__ == "__main__":
    sys.exit(main())
