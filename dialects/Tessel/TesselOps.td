#ifndef TESSEL_OPS_TD
#define TESSEL_OPS_TD

include "dialects/Tessel/TesselDialect.td"
include "dialects/Tessel/TesselEnums.td"
include "mlir/Interfaces/SideEffectInterfaces.td"
include "mlir/IR/SymbolInterfaces.td"
include "mlir/IR/CommonAttrConstraints.td"
include "mlir/IR/CommonTypeConstraints.td"

//===----------------------------------------------------------------------===//
// Type constraints
//===----------------------------------------------------------------------===//

// Activations and weights: f16 and bf16 in production, f32 for testing.
def Tessel_FloatTensor : RankedTensorOf<[F16, BF16, F32]>;
def Tessel_F32Tensor : RankedTensorOf<[F32]>;
def Tessel_I32Tensor : RankedTensorOf<[I32]>;

// A finite, strictly positive f32 (softmax scales).
def Tessel_FloatPositiveFinite : AttrConstraint<
    CPred<"::llvm::cast<::mlir::FloatAttr>($_self).getValue().isFiniteNonZero() && "
          "!::llvm::cast<::mlir::FloatAttr>($_self).getValue().isNegative()">,
    "whose value is finite and positive">;
def Tessel_PositiveF32Attr : ConfinedAttr<F32Attr, [Tessel_FloatPositiveFinite]>;
def Tessel_PositiveI64Attr : ConfinedAttr<I64Attr, [IntPositive]>;
def Tessel_NonNegativeI64Attr : ConfinedAttr<I64Attr, [IntNonNegative]>;

//===----------------------------------------------------------------------===//
// Graph level: attention
//===----------------------------------------------------------------------===//

def Tessel_AttentionOp : Tessel_Op<"attention", [Pure]> {
  let summary = "one decode step of attention against a KV cache";
  let description = [{
    For every sequence `b` and query head `h`, attends the single query row
    `query[b, h, :]` to the first `context_lens[b]` tokens of the KV head
    `h / (Hq / Hkv)`:

    ```
    s_i  = scale * dot(query[b, h, :], key_cache[b, g, i, :])   for i < L_b
    out  = sum_i softmax(s)_i * value_cache[b, g, i, :]
    ```

    Shapes: query `[B, Hq, Dqk]`, key cache `[B, Hkv, Nmax, Dqk]`, value cache
    `[B, Hkv, Nmax, Dv]`, context lengths `[B] i32`, result `[B, Hq, Dv]`.
    `B` and `Nmax` may be dynamic; head counts and head dims are static.
    `Hq % Hkv == 0` covers MHA, GQA and MQA; `Dqk` may differ from `Dv`.
    Context lengths are runtime values with `0 <= L_b <= Nmax`; a sequence with
    `L_b = 0` produces zeros. `scale` defaults to `1/sqrt(Dqk)`. Accumulation is f32;
    the result has the element type of the inputs.

    ```mlir
    %o = tessel.attention %q, %k, %v, %lens {scale = 0.125 : f32}
        : (tensor<?x32x128xf16>, tensor<?x8x?x128xf16>, tensor<?x8x?x128xf16>,
           tensor<?xi32>) -> tensor<?x32x128xf16>
    ```
  }];
  let arguments = (ins Tessel_FloatTensor:$query, Tessel_FloatTensor:$key_cache,
                       Tessel_FloatTensor:$value_cache, Tessel_I32Tensor:$context_lens,
                       OptionalAttr<Tessel_PositiveF32Attr>:$scale);
  let results = (outs Tessel_FloatTensor:$result);
  let assemblyFormat = [{
    $query `,` $key_cache `,` $value_cache `,` $context_lens attr-dict `:`
    functional-type(operands, results)
  }];
  let hasVerifier = 1;
  let extraClassDeclaration = [{
    /// The softmax scale: the attribute if present, else 1/sqrt(Dqk).
    float getEffectiveScale();
  }];
}

//===----------------------------------------------------------------------===//
// Reduction form: softmax states (m, l, o)
//===----------------------------------------------------------------------===//

def Tessel_SoftmaxIdentityOp : Tessel_Op<"softmax_identity", [Pure]> {
  let summary = "the identity softmax state (-inf, 0, 0)";
  let description = [{
    Produces the state of an empty key range: running maximum `m = -inf`
    `[B, Hq]`, running sum `l = 0` `[B, Hq]`, un-normalised output `o = 0`
    `[B, Hq, Dv]`, all f32. A dynamic `B` is given as the single index operand.
    Merging any state with this one returns that state unchanged.
  }];
  let arguments = (ins Optional<Index>:$batch);
  let results = (outs Tessel_F32Tensor:$max, Tessel_F32Tensor:$sum,
                      Tessel_F32Tensor:$acc);
  let assemblyFormat = [{
    ($batch^)? attr-dict `:` type($max) `,` type($sum) `,` type($acc)
  }];
  let hasVerifier = 1;
}

def Tessel_AttentionPartialOp : Tessel_Op<"attention_partial", [Pure]> {
  let summary = "softmax state of one KV token range";
  let description = [{
    For each sequence `b` and query head `h`, the softmax state of the key tokens
    `i` in `[begin, min(end, L_b))`, in base 2: with
    `t_i = scale * log2(e) * dot(q, k_i)`,

    ```
    m = max_i t_i            (-inf for an empty range)
    l = sum_i 2^(t_i - m)    (0 for an empty range)
    o = sum_i 2^(t_i - m) * v_i
    ```

    Operands and their shapes are those of `tessel.attention`; `begin` and `end`
    are token indices. Results are f32: `m`, `l` `[B, Hq]`, `o` `[B, Hq, Dv]`.
    `scale` is the natural-base softmax scale (required: the rewrite that creates
    this op resolves the default).
  }];
  let arguments = (ins Tessel_FloatTensor:$query, Tessel_FloatTensor:$key_cache,
                       Tessel_FloatTensor:$value_cache, Tessel_I32Tensor:$context_lens,
                       Index:$begin, Index:$end, Tessel_PositiveF32Attr:$scale);
  let results = (outs Tessel_F32Tensor:$max, Tessel_F32Tensor:$sum,
                      Tessel_F32Tensor:$acc);
  let assemblyFormat = [{
    $query `,` $key_cache `,` $value_cache `,` $context_lens
    `[` $begin `,` $end `)` attr-dict `:`
    type($query) `,` type($key_cache) `,` type($value_cache) `,`
    type($context_lens) `->` type($max) `,` type($sum) `,` type($acc)
  }];
  let hasVerifier = 1;
}

def Tessel_SoftmaxMergeOp : Tessel_Op<"softmax_merge", [Pure,
    AllTypesMatch<["lhs_max", "rhs_max", "max", "lhs_sum", "rhs_sum", "sum"]>,
    AllTypesMatch<["lhs_acc", "rhs_acc", "acc"]>]> {
  let summary = "associative merge of two softmax states";
  let description = [{
    ```
    m = max(m1, m2)
    l = l1 * 2^(m1 - m) + l2 * 2^(m2 - m)
    o = o1 * 2^(m1 - m) + o2 * 2^(m2 - m)
    ```
    A side with `m = -inf` contributes nothing (its factor is 0, never NaN). The
    merge is associative and commutative with identity `(-inf, 0, 0)`, which is
    what lets `tessel-stream-k` regroup the fold freely.
  }];
  let arguments = (ins Tessel_F32Tensor:$lhs_max, Tessel_F32Tensor:$lhs_sum,
                       Tessel_F32Tensor:$lhs_acc, Tessel_F32Tensor:$rhs_max,
                       Tessel_F32Tensor:$rhs_sum, Tessel_F32Tensor:$rhs_acc);
  let results = (outs Tessel_F32Tensor:$max, Tessel_F32Tensor:$sum,
                      Tessel_F32Tensor:$acc);
  let assemblyFormat = [{
    `(` $lhs_max `,` $lhs_sum `,` $lhs_acc `)` `,`
    `(` $rhs_max `,` $rhs_sum `,` $rhs_acc `)` attr-dict `:`
    type($max) `,` type($acc)
  }];
  let hasVerifier = 1;
  let hasFolder = 1;
}

def Tessel_SoftmaxFinalizeOp : Tessel_Op<"softmax_finalize", [Pure]> {
  let summary = "normalise a softmax state: o / l";
  let description = [{
    `result[b, h, :] = acc[b, h, :] / sum[b, h]`, converted to the result element
    type; a state with `sum = 0` (no keys) gives zeros.
  }];
  let arguments = (ins Tessel_F32Tensor:$sum, Tessel_F32Tensor:$acc);
  let results = (outs Tessel_FloatTensor:$result);
  let assemblyFormat = [{
    $sum `,` $acc attr-dict `:` type($sum) `,` type($acc) `->` type($result)
  }];
  let hasVerifier = 1;
}

//===----------------------------------------------------------------------===//
// Scheduled form: stream-K
//===----------------------------------------------------------------------===//

def Tessel_TileSpaceOp : Tessel_Op<"tile_space", [Pure]> {
  let summary = "prefix sum of KV tiles over the real context lengths";
  let description = [{
    `offsets[b] = sum_{j<b} Hkv * span_j` for `b` in `[0, B]` (`B + 1`
    entries); `total = offsets[B]`, the stream-K iteration space `T`. A head's
    span is its `ceil(L_j / tile)` tiles, plus one pad unit of no tokens when it
    has tiles and the launch has at most `B * Hkv` workers (the pad is decided with
    the grid when the kernel runs: `schedule::headPadFor`; workers then hold
    several heads, and the pad counts a head's fixed cost as a tile). Units are
    ordered (b, kv head, unit), unit fastest, a head's tiles first. Ragged batches
    balance by construction because only real tiles (and their heads) are counted.
  }];
  let arguments = (ins Tessel_I32Tensor:$context_lens, Tessel_PositiveI64Attr:$tile,
                       Tessel_PositiveI64Attr:$kv_heads);
  let results = (outs Tessel_I32Tensor:$offsets, Index:$total);
  let assemblyFormat = [{
    $context_lens attr-dict `:` type($context_lens) `->` type($offsets)
  }];
  let hasVerifier = 1;
}

def Tessel_LaunchWorkersOp : Tessel_Op<"launch_workers", [Pure]> {
  let summary = "number of persistent stream-K workers";
  let description = [{
    `requested > 0`: that many workers. `requested = 0`: decided when the kernel
    is loaded, as SMs x resident CTAs per SM. Either way the count used is clamped
    to `[1, max(total, 1)]` so no worker is idle by construction.
  }];
  let arguments = (ins Index:$total, Tessel_NonNegativeI64Attr:$requested);
  let results = (outs Index:$workers);
  let assemblyFormat = "$total attr-dict";
}

def Tessel_StreamKAttentionOp : Tessel_Op<"stream_k_attention", [Pure]> {
  let summary = "decode attention under an explicit stream-K schedule";
  let description = [{
    Computes exactly `tessel.attention` by the schedule of
    `runtime/schedule/StreamKSchedule.h`: the `total` tiles (of `tile` tokens,
    enumerated by `offsets` from `tessel.tile_space`) are cut into `workers`
    contiguous ranges whose sizes differ by at most one. A worker's range is split
    into segments at (b, kv head) boundaries; each segment folds its tiles into a
    softmax state for all `Hq / Hkv` query heads of the group (each KV tile is
    read once). Outputs whose tiles span several workers are merged by the
    `fixup` strategy: `in_kernel` (the worker holding the first tile waits on the
    others' flags and merges, as LeanAttention) or `separate` (every segment
    writes a partial state and a second kernel merges, as split-KV). Partial
    states are merged in ascending worker order, so results are deterministic.
  }];
  let arguments = (ins Tessel_FloatTensor:$query, Tessel_FloatTensor:$key_cache,
                       Tessel_FloatTensor:$value_cache, Tessel_I32Tensor:$context_lens,
                       Tessel_I32Tensor:$offsets, Index:$total, Index:$workers,
                       Tessel_PositiveI64Attr:$tile, Tessel_FixupAttr:$fixup,
                       Tessel_PositiveF32Attr:$scale);
  let results = (outs Tessel_FloatTensor:$result);
  let assemblyFormat = [{
    $query `,` $key_cache `,` $value_cache `,` $context_lens
    `tiles` `(` $offsets `,` $total `)` `workers` `(` $workers `)`
    attr-dict `:` type($query) `,` type($key_cache) `,` type($value_cache) `,`
    type($context_lens) `,` type($offsets) `->` type($result)
  }];
  let hasVerifier = 1;
}

//===----------------------------------------------------------------------===//
// Kernel level: the host-side launch plan
//===----------------------------------------------------------------------===//

def Tessel_LaunchPlanOp : Tessel_Op<"launch_plan", [Symbol]> {
  let summary = "how the host launches the kernels of one compiled function";
  let description = [{
    Left by `tessel-lower-to-gpu` in place of the host function it lowered. Names
    the attention kernel (and the merge kernel of the `separate` fix-up) in the
    `gpu.module`, and records everything the runtime needs that the PTX does not
    say: the problem's static sizes, the schedule (tile, fix-up, requested
    workers), the block size, and the bytes of the attention kernel's K/V ring at
    the front of its dynamic shared memory (`kv_ring_bytes`; 0, elided, when K/V
    go straight to registers), and the bytes per launched worker of the phase
    trace a `--trace-phases` build writes after the workspace's slots
    (`trace_bytes_per_worker`; 0, elided, in normal builds). `programmatic_launch`:
    the attention kernel waits on `griddepcontrol.wait` before touching memory, so
    the runtime may launch it with programmatic dependent launch (sm_90). The
    kernel parameters follow
    `runtime/abi/AttentionABI.h`. `tesselc` turns this op into the manifest.
  }];
  let arguments = (ins SymbolNameAttr:$sym_name, SymbolRefAttr:$kernel,
                       OptionalAttr<SymbolRefAttr>:$merge_kernel,
                       TypeAttr:$element_type,
                       Tessel_PositiveI64Attr:$q_heads, Tessel_PositiveI64Attr:$kv_heads,
                       Tessel_PositiveI64Attr:$qk_dim, Tessel_PositiveI64Attr:$v_dim,
                       Tessel_PositiveI64Attr:$tile, Tessel_FixupAttr:$fixup,
                       Tessel_PositiveF32Attr:$scale,
                       Tessel_NonNegativeI64Attr:$requested_workers,
                       Tessel_PositiveI64Attr:$block_size,
                       DefaultValuedAttr<Tessel_NonNegativeI64Attr, "0">:$kv_ring_bytes,
                       DefaultValuedAttr<Tessel_NonNegativeI64Attr, "0">:$trace_bytes_per_worker,
                       UnitAttr:$programmatic_launch,
                       OptionalAttr<Tessel_NonNegativeI64Attr>:$static_batch,
                       OptionalAttr<Tessel_NonNegativeI64Attr>:$static_max_len);
  let assemblyFormat = "$sym_name attr-dict";
  let hasVerifier = 1;
}

//===----------------------------------------------------------------------===//
// Graph level: dense, MoE and low-rank ops
//===----------------------------------------------------------------------===//

def Tessel_LinearOp : Tessel_Op<"linear", [Pure]> {
  let summary = "y = x W^T (+ bias)";
  let description = [{
    `x [..., K]`, `weight [N, K]`, optional `bias [N]` -> `y [..., N]`. All
    operands share one element type; accumulation is f32.
  }];
  let arguments = (ins Tessel_FloatTensor:$input, Tessel_FloatTensor:$weight,
                       Optional<Tessel_FloatTensor>:$bias);
  let results = (outs Tessel_FloatTensor:$result);
  let assemblyFormat = [{
    $input `,` $weight (`bias` $bias^)? attr-dict `:` functional-type(operands, results)
  }];
  let hasVerifier = 1;
}

def Tessel_MlpOp : Tessel_Op<"mlp", [Pure]> {
  let summary = "gated MLP: down(act(gate(x)) * up(x))";
  let description = [{
    `x [T, H]`, `down [H, I]`. Either `gate [I, H]` and `up [I, H]`, or a fused
    `gate [2I, H]` alone whose rows `[0, I)` are the gate projection and rows
    `[I, 2I)` the up projection. Result `[T, H]`.
  }];
  let arguments = (ins Tessel_FloatTensor:$input, Tessel_FloatTensor:$gate,
                       Optional<Tessel_FloatTensor>:$up, Tessel_FloatTensor:$down,
                       Tessel_ActivationAttr:$activation);
  let results = (outs Tessel_FloatTensor:$result);
  let assemblyFormat = [{
    $input `,` `gate` $gate `,` (`up` $up^ `,`)? `down` $down attr-dict `:`
    functional-type(operands, results)
  }];
  let hasVerifier = 1;
  let extraClassDeclaration = [{
    bool isFused() { return !getUp(); }
    /// The intermediate size I.
    int64_t getIntermediateSize();
  }];
}

def Tessel_RouterOp : Tessel_Op<"router", [Pure]> {
  let summary = "top-k expert selection";
  let description = [{
    Without `gate`: `input` holds the gate logits `[T, E]`. With `gate [E, H]`:
    `input [T, H]` and the logits are `input gate^T`. Returns the `k` selected
    expert ids `[T, k] i32` (descending score, ties to the lower id) and their
    weights `[T, k] f32`. `scoring = softmax_topk` takes top-k of the softmax
    over all E experts; `topk_softmax` takes the softmax over the k selected
    logits. `renormalize` divides the k weights by their sum.
  }];
  let arguments = (ins Tessel_FloatTensor:$input, Optional<Tessel_FloatTensor>:$gate,
                       Tessel_PositiveI64Attr:$k, Tessel_RouterScoringAttr:$scoring,
                       DefaultValuedAttr<BoolAttr, "false">:$renormalize);
  let results = (outs Tessel_I32Tensor:$expert_ids, Tessel_F32Tensor:$expert_weights);
  let assemblyFormat = [{
    $input (`gate` $gate^)? attr-dict `:` functional-type(operands, results)
  }];
  let hasVerifier = 1;
  let extraClassDeclaration = [{
    int64_t getNumExperts();
  }];
}

def Tessel_MoeOp : Tessel_Op<"moe", [Pure]> {
  let summary = "mixture of gated-MLP experts";
  let description = [{
    `y[t] = sum_j weights[t, j] * mlp_{ids[t, j]}(x[t])` with tokens `[T, H]`,
    ids `[T, k] i32`, weights `[T, k] f32`, stacked fused gate/up weights
    `[E, 2I, H]` (rows `[0, I)` gate, `[I, 2I)` up) and down weights `[E, H, I]`.
    Result `[T, H]`. An id outside `[0, E)` contributes nothing.
  }];
  let arguments = (ins Tessel_FloatTensor:$input, Tessel_I32Tensor:$expert_ids,
                       Tessel_F32Tensor:$expert_weights, Tessel_FloatTensor:$gate_up,
                       Tessel_FloatTensor:$down, Tessel_ActivationAttr:$activation);
  let results = (outs Tessel_FloatTensor:$result);
  let assemblyFormat = [{
    $input `,` $expert_ids `,` $expert_weights `,` `experts` `(` $gate_up `,` $down `)`
    attr-dict `:` functional-type(operands, results)
  }];
  let hasVerifier = 1;
}

def Tessel_LoraOp : Tessel_Op<"lora", [Pure]> {
  let summary = "y = x W^T + s * (x A^T) B^T";
  let description = [{
    `x [..., in]`, base `weight [out, in]`, `lora_a [r, in]`, `lora_b [out, r]`,
    `scale` s (default 1). Result `[..., out]`.
  }];
  let arguments = (ins Tessel_FloatTensor:$input, Tessel_FloatTensor:$weight,
                       Tessel_FloatTensor:$lora_a, Tessel_FloatTensor:$lora_b,
                       DefaultValuedAttr<F32Attr, "1.0f">:$scale);
  let results = (outs Tessel_FloatTensor:$result);
  let assemblyFormat = [{
    $input `,` $weight `,` `adapter` `(` $lora_a `,` $lora_b `)` attr-dict `:`
    functional-type(operands, results)
  }];
  let hasVerifier = 1;
}

def Tessel_BlockLoraOp : Tessel_Op<"block_lora", [Pure]> {
  let summary = "Block-LoRA: one down-projection block shared by n input blocks";
  let description = [{
    Block-LoRA (arXiv 2501.16720) partitions the LoRA factors into blocks and
    shares every down-projection block. Tessel implements this reading: split
    `x [..., in]` into `blocks = n` contiguous chunks `x_j` of `in / n` features;
    every chunk uses the same down-projection `lora_a [r, in / n]`, so

    ```
    y = x W^T + s * B (A0 sum_j x_j)
    ```

    i.e. the shrink becomes n-1 vector additions and one `[r, in/n]` GEMV.
    `lora_b [out, r]`, `weight [out, in]`; result `[..., out]`.
  }];
  let arguments = (ins Tessel_FloatTensor:$input, Tessel_FloatTensor:$weight,
                       Tessel_FloatTensor:$lora_a, Tessel_FloatTensor:$lora_b,
                       Tessel_PositiveI64Attr:$blocks,
                       DefaultValuedAttr<F32Attr, "1.0f">:$scale);
  let results = (outs Tessel_FloatTensor:$result);
  let assemblyFormat = [{
    $input `,` $weight `,` `adapter` `(` $lora_a `,` $lora_b `)` attr-dict `:`
    functional-type(operands, results)
  }];
  let hasVerifier = 1;
}

def Tessel_LowRankOp : Tessel_Op<"low_rank", [Pure]> {
  let summary = "y = (x V^T) U^T: a weight stored as two factors";
  let description = [{
    `x [..., in]`, `v [r, in]`, `u [out, r]` -> `[..., out]` (e.g. an SVD- or
    Nystrom-compressed projection).
  }];
  let arguments = (ins Tessel_FloatTensor:$input, Tessel_FloatTensor:$v,
                       Tessel_FloatTensor:$u);
  let results = (outs Tessel_FloatTensor:$result);
  let assemblyFormat = [{
    $input `,` $v `,` $u attr-dict `:` functional-type(operands, results)
  }];
  let hasVerifier = 1;
}

#endif // TESSEL_OPS_TD
