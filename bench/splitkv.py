"""Balanced split-KV decoding (flash-decoding), the third peer of ../shared/bench/ANCHORS.md,
re-implemented here so that it runs in the same session as Tessel and SDPA — including on
cases ANCHORS has no figure for (the skewed 64-sequence batch).

Scheduling as ANCHORS describes it (FlashInfer's): the smallest KV chunk (a multiple of
64, >= 128) such that sum_b ceil(L_b / chunk) * Hkv fits a grid budget of 1, 2 or 4 x SMs;
the caller times the three budgets and keeps the best. Kernel 1: one program per
(chunk, KV head) computes the GQA group's partial softmax state over its chunk (q padded
to 16 rows for tl.dot); kernel 2: one program per (sequence, KV head) merges the
sequence's chunks and writes the output. The chunk table is planned on the host from the
true lengths, as FlashInfer plans. This is a measurement baseline for the benchmark, not
part of Tessel (which emits PTX through MLIR/LLVM, no Triton)."""
import math

import torch
import triton
import triton.language as tl

LOG2E = 1.4426950408889634


@triton.jit
def _partial_kernel(Q, K, V, Mo, Lo, Oo, chunk_seq, chunk_start, lens,
                    sq_b, sq_h, sk_b, sk_h, sk_n, sv_b, sv_h, sv_n, scale_log2,
                    n_kv, chunk_len,
                    G: tl.constexpr, GP: tl.constexpr, D: tl.constexpr, DV: tl.constexpr,
                    BLOCK_N: tl.constexpr):
    c = tl.program_id(0)
    # 64-bit offsets: a 16 x 262144-token cache has more than 2^31 elements.
    g = tl.program_id(1).to(tl.int64)
    b = tl.load(chunk_seq + c).to(tl.int64)
    start = tl.load(chunk_start + c)
    end = tl.minimum(start + chunk_len, tl.load(lens + b))
    rows = tl.arange(0, GP)
    dk = tl.arange(0, D)
    dv = tl.arange(0, DV)
    q = tl.load(Q + b * sq_b + (g * G + rows)[:, None] * sq_h + dk[None, :],
                mask=(rows < G)[:, None], other=0.0)
    m = tl.full([GP], float("-inf"), tl.float32)
    l = tl.zeros([GP], tl.float32)
    acc = tl.zeros([GP, DV], tl.float32)
    for n0 in range(start, end, BLOCK_N):
        toks = n0 + tl.arange(0, BLOCK_N)
        valid = toks < end
        k = tl.load(K + b * sk_b + g * sk_h + toks[:, None] * sk_n + dk[None, :],
                    mask=valid[:, None], other=0.0)
        s = tl.dot(q, tl.trans(k)) * scale_log2
        s = tl.where(valid[None, :], s, float("-inf"))
        m_new = tl.maximum(m, tl.max(s, 1))
        alpha = tl.exp2(m - m_new)
        p = tl.exp2(s - m_new[:, None])
        l = l * alpha + tl.sum(p, 1)
        v = tl.load(V + b * sv_b + g * sv_h + toks[:, None] * sv_n + dv[None, :],
                    mask=valid[:, None], other=0.0)
        acc = acc * alpha[:, None] + tl.dot(p.to(v.dtype), v)
        m = m_new
    base = (c * n_kv + g) * GP
    tl.store(Mo + base + rows, m)
    tl.store(Lo + base + rows, l)
    tl.store(Oo + (base + rows)[:, None] * DV + dv[None, :], acc)


@triton.jit
def _merge_kernel(Mo, Lo, Oo, Out, seq_first, seq_count, so_b, so_h, n_kv,
                  G: tl.constexpr, GP: tl.constexpr, DV: tl.constexpr):
    b = tl.program_id(0)
    g = tl.program_id(1)
    first = tl.load(seq_first + b)
    count = tl.load(seq_count + b)
    rows = tl.arange(0, GP)
    dv = tl.arange(0, DV)
    m = tl.full([GP], float("-inf"), tl.float32)
    l = tl.zeros([GP], tl.float32)
    acc = tl.zeros([GP, DV], tl.float32)
    for i in range(0, count):
        base = ((first + i) * n_kv + g) * GP
        mi = tl.load(Mo + base + rows)
        li = tl.load(Lo + base + rows)
        oi = tl.load(Oo + (base + rows)[:, None] * DV + dv[None, :])
        m_new = tl.maximum(m, mi)
        a = tl.exp2(m - m_new)
        w = tl.exp2(mi - m_new)
        l = l * a + li * w
        acc = acc * a[:, None] + oi * w[:, None]
        m = m_new
    out = acc / l[:, None]
    tl.store(Out + b * so_b + (g * G + rows)[:, None] * so_h + dv[None, :],
             out.to(Out.dtype.element_ty), mask=(rows < G)[:, None])


def chunk_for_budget(lens, n_kv, grid_budget):
    """Smallest chunk (multiple of 64, >= 128) whose chunk count * Hkv fits the budget.
    When even one chunk per sequence exceeds it (B * Hkv > budget, e.g. the skewed
    64-sequence batch), chunks become whole sequences: the chunk covers the longest."""
    chunk = 128
    longest = max(lens)
    while sum(math.ceil(l / chunk) for l in lens) * n_kv > grid_budget and chunk < longest:
        chunk += 64
    return chunk


class SplitKV:
    """A planned split-KV attention for one batch (lengths known on the host)."""

    def __init__(self, lens, q_heads, kv_heads, qk_dim, v_dim, dtype, chunk, scale=None):
        self.lens = lens
        self.n_kv, self.group = kv_heads, q_heads // kv_heads
        self.gp = max(16, triton.next_power_of_2(self.group))
        self.d, self.dv, self.chunk = qk_dim, v_dim, chunk
        self.scale_log2 = (scale if scale else 1.0 / math.sqrt(qk_dim)) * LOG2E
        seq, start, first, count = [], [], [], []
        for b, l in enumerate(lens):
            first.append(len(seq))
            n = math.ceil(l / chunk)
            count.append(n)
            seq += [b] * n
            start += [i * chunk for i in range(n)]
        dev = "cuda"
        self.chunks = len(seq)
        self.chunk_seq = torch.tensor(seq, dtype=torch.int32, device=dev)
        self.chunk_start = torch.tensor(start, dtype=torch.int32, device=dev)
        self.seq_first = torch.tensor(first, dtype=torch.int32, device=dev)
        self.seq_count = torch.tensor(count, dtype=torch.int32, device=dev)
        self.lens_t = torch.tensor(lens, dtype=torch.int32, device=dev)
        rows = self.chunks * kv_heads * self.gp
        self.m = torch.empty(rows, dtype=torch.float32, device=dev)
        self.l = torch.empty(rows, dtype=torch.float32, device=dev)
        self.o = torch.empty(rows * v_dim, dtype=torch.float32, device=dev)
        self.out = torch.empty(len(lens), q_heads, v_dim, dtype=dtype, device=dev)

    def __call__(self, q, k, v):
        """q [B, Hq, D]; k [B, Hkv, Nmax, D]; v [B, Hkv, Nmax, Dv] (contiguous)."""
        _partial_kernel[(self.chunks, self.n_kv)](
            q, k, v, self.m, self.l, self.o, self.chunk_seq, self.chunk_start, self.lens_t,
            q.stride(0), q.stride(1), k.stride(0), k.stride(1), k.stride(2),
            v.stride(0), v.stride(1), v.stride(2), self.scale_log2, self.n_kv, self.chunk,
            G=self.group, GP=self.gp, D=self.d, DV=self.dv, BLOCK_N=64, num_warps=4)
        _merge_kernel[(len(self.lens), self.n_kv)](
            self.m, self.l, self.o, self.out, self.seq_first, self.seq_count,
            self.out.stride(0), self.out.stride(1), self.n_kv,
            G=self.group, GP=self.gp, DV=self.dv, num_warps=4)
        return self.out


def reference(q, k, v, lens, scale=None):
    """fp32 attention per sequence over its true length (q [B,Hq,D], k/v [B,Hkv,N,D])."""
    out = []
    group = q.shape[1] // k.shape[1]
    scale = scale if scale else 1.0 / math.sqrt(q.shape[2])
    for b, l in enumerate(lens):
        kb = k[b, :, :l].float().repeat_interleave(group, 0)
        vb = v[b, :, :l].float().repeat_interleave(group, 0)
        s = torch.einsum("hd,hnd->hn", q[b].float(), kb) * scale
        out.append(torch.einsum("hn,hnd->hd", torch.softmax(s, -1), vb))
    return torch.stack(out)


def self_check(q_heads, kv_heads, qk_dim, v_dim, dtype):
    """Fails loudly if the baseline is wrong: ragged lengths against the fp32 reference."""
    lens = [1, 100, 300, 1000]
    nmax = max(lens)
    q = torch.randn(len(lens), q_heads, qk_dim, device="cuda", dtype=dtype)
    k = torch.randn(len(lens), kv_heads, nmax, qk_dim, device="cuda", dtype=dtype)
    v = torch.randn(len(lens), kv_heads, nmax, v_dim, device="cuda", dtype=dtype)
    for chunk in (128, 192):
        got = SplitKV(lens, q_heads, kv_heads, qk_dim, v_dim, dtype, chunk)(q, k, v).float()
        err = (got - reference(q, k, v, lens)).abs().max().item()
        if not err < 2e-2:
            raise RuntimeError(f"split-KV baseline is wrong: max error {err} (chunk {chunk})")
