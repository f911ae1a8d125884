// RUN: tessel-opt %s --tessel-softmax-as-reduction=tile=64 --tessel-stream-k=fixup=in-kernel --tessel-lower-to-gpu --split-input-file | FileCheck %s
// RUN: tessel-opt %s --tessel-softmax-as-reduction=tile=64 --tessel-stream-k=fixup=separate --tessel-lower-to-gpu --split-input-file | FileCheck %s --check-prefix=SEP
// RUN: tessel-opt %s --tessel-softmax-as-reduction=tile=64 --tessel-stream-k=fixup=in-kernel --tessel-lower-to-gpu=kv-ring-stages=2 --split-input-file | FileCheck %s --check-prefix=RING
// RUN: tessel-opt %s --tessel-softmax-as-reduction=tile=64 --tessel-stream-k=fixup=in-kernel --tessel-lower-to-gpu=kv-ring-stages=3 --split-input-file | FileCheck %s --check-prefix=RING3

// RUN: tessel-opt %s --tessel-softmax-as-reduction=tile=64 --tessel-stream-k=fixup=in-kernel --tessel-lower-to-gpu=trace-phases=true --split-input-file | FileCheck %s --check-prefix=TRACE
// RUN: tessel-opt %s --tessel-softmax-as-reduction=tile=64 --tessel-stream-k=fixup=in-kernel --tessel-lower-to-gpu --split-input-file | FileCheck %s --check-prefix=NOTRACE
// RUN: tessel-opt %s --tessel-softmax-as-reduction=tile=64 --tessel-stream-k=fixup=in-kernel --tessel-lower-to-gpu=grid-dependency-control=true --split-input-file | FileCheck %s --check-prefix=PDL

// grid-dependency-control=true (the pipeline's choice on sm_90): the attention kernel
// waits for the previous grid before its first instruction that touches memory and lets
// the next one launch; the plan tells the runtime it may launch it programmatically.
// PDL-LABEL: tessel.launch_plan @gqa
// PDL-SAME: programmatic_launch
// PDL: gpu.func @gqa_attention(
// PDL-NEXT: nvvm.griddepcontrol wait
// PDL-NEXT: nvvm.griddepcontrol launch_dependents
// PDL: gpu.return

// trace-phases=true (a diagnostic build): the plan reserves one 64-byte record per
// worker, and thread 0 of each CTA stamps globaltimer and clock64 at entry, clock64 after
// the prologue, after the first segment's streaming and after its finish, and at exit,
// then the exit globaltimer and the SM id with the segments walked (counted in a second
// loop-carried value). Normal builds read no clock.
// TRACE-LABEL: tessel.launch_plan @gqa
// TRACE-SAME: trace_bytes_per_worker = 64 : i64
// TRACE: gpu.func @gqa_attention(
// TRACE: nvvm.read.ptx.sreg.globaltimer : i64
// TRACE-NEXT: nvvm.read.ptx.sreg.clock64 : i64
// TRACE: nvvm.read.ptx.sreg.clock64 : i64
// TRACE: scf.while (%{{.*}} = %{{.*}}, %[[SEGS:.*]] = %{{.*}}) : (i32, i32) -> (i32, i32)
// TRACE: nvvm.read.ptx.sreg.clock64 : i64
// TRACE: nvvm.read.ptx.sreg.clock64 : i64
// TRACE: arith.addi %[[SEGS]], %{{.*}} : i32
// TRACE: nvvm.read.ptx.sreg.clock64 : i64
// TRACE: nvvm.read.ptx.sreg.globaltimer : i64
// TRACE: nvvm.read.ptx.sreg.smid : i32
// TRACE: gpu.return
// NOTRACE-NOT: trace_bytes_per_worker
// NOTRACE-NOT: programmatic_launch
// NOTRACE-NOT: nvvm.griddepcontrol
// NOTRACE-NOT: nvvm.read.ptx.sreg.clock64
// NOTRACE-NOT: nvvm.read.ptx.sreg.globaltimer

// With kv-ring-stages=S the tensor-core loop reads K/V from a CTA-wide ring of S stages
// of 64 tokens at the front of dynamic shared memory: the plan records its bytes
// (S x 64 x (Dqk + Dv) x 2), the kernel asks for 2 CTAs/SM, the prologue issues S - 1
// stages of cp.async, and each iteration waits for its stage (S - 2 newer groups may stay
// pending), crosses one barrier, refills the stage read last iteration and computes.
// RING-LABEL: tessel.launch_plan @gqa
// RING-SAME: kv_ring_bytes = 32768 : i64
// RING: gpu.func @gqa_attention(
// RING-SAME: nvvm.minctasm = 2 : i32
// RING: "cp.async.ca.shared.global [$0], [$1], 16;"
// RING: "cp.async.commit_group;"
// RING: scf.for
// RING: "cp.async.wait_group 0;"
// RING-NEXT: gpu.barrier
// RING: scf.if
// RING: "cp.async.ca.shared.global [$0], [$1], 16;"
// RING: "cp.async.commit_group;"
// RING: nvvm.mma.sync
// RING-LABEL: tessel.launch_plan @static_shapes
// RING-SAME: kv_ring_bytes = 65536 : i64
// The CUDA-core (MHA) and f32 kernels have no ring.
// RING-LABEL: tessel.launch_plan @mha
// RING-NOT: kv_ring_bytes
// RING: gpu.func @mha_attention(
// RING-NOT: cp.async
// RING-LABEL: tessel.launch_plan @gqa_f32
// RING-NOT: kv_ring_bytes
// RING: gpu.func @gqa_f32_attention(
// RING-NOT: cp.async
// RING3-LABEL: tessel.launch_plan @gqa
// RING3-SAME: kv_ring_bytes = 49152 : i64
// RING3: "cp.async.wait_group 1;"

// The host function becomes a launch plan; the kernel takes raw pointers and scalars in
// the ABI's order (q, k, v, lens, out, workspace, status, batch, max_len).
// CHECK: module attributes {gpu.container_module}
// CHECK: tessel.launch_plan @gqa {block_size = 128 : i64, element_type = f16, fixup = #tessel.fixup<in_kernel>, kernel = @tessel_kernels::@gqa_attention, kv_heads = 2 : i64, q_heads = 8 : i64, qk_dim = 64 : i64, requested_workers = 0 : i64, scale = 1.250000e-01 : f32, tile = 64 : i64, v_dim = 64 : i64}
// CHECK-NOT: func.func @gqa
// CHECK: gpu.module @tessel_kernels
// CHECK-DAG: llvm.mlir.global external @gqa_dyn_smem() {addr_space = 3 : i32, alignment = 16 : i64} : !llvm.array<0 x i8>
// CHECK-DAG: llvm.mlir.global internal @gqa_warp_states() {addr_space = 3 : i32, alignment = 16 : i64} : !llvm.array<1088 x f32>
// CHECK: gpu.func @gqa_attention(%{{.*}}: !llvm.ptr<1>, %{{.*}}: !llvm.ptr<1>, %{{.*}}: !llvm.ptr<1>, %{{.*}}: !llvm.ptr<1>, %{{.*}}: !llvm.ptr<1>, %{{.*}}: !llvm.ptr<1>, %{{.*}}: !llvm.ptr<1>, %{{.*}}: i32, %{{.*}}: i32) kernel
// CHECK-SAME: known_block_size = array<i32: 128, 1, 1>
// Lengths are clamped into [0, Nmax] and clamps are reported in the status word.
// CHECK: llvm.atomicrmw _or
// A GQA group of 4 in f16 runs on tensor cores: K/V are loaded as 16-byte fragments of
// 32-bit registers, Q·Kᵀ and P·V are m16n8k16 mma.sync, P is rounded to f16x2 and V's
// fragments are assembled with prmt; the heads' alphas move with indexed shuffles.
// CHECK: llvm.load %{{.*}} {alignment = 16 : i64} : !llvm.ptr<1> -> vector<4xi32>
// CHECK: scf.for
// CHECK: llvm.load %{{.*}} {alignment = 16 : i64} : !llvm.ptr<1> -> vector<4xi32>
// CHECK: nvvm.mma.sync A[{{.*}}] B[{{.*}}] C[{{.*}}] {layoutA = #nvvm.mma_layout<row>, layoutB = #nvvm.mma_layout<col>, shape = #nvvm.shape<m = 16, n = 8, k = 16>} : (vector<2xf16>, vector<2xf16>, f32) -> !llvm.struct<(f32, f32, f32, f32)>
// CHECK-DAG: gpu.shuffle xor
// CHECK-DAG: llvm.inline_asm "ex2.approx.f32 $0, $1;"
// CHECK-DAG: gpu.shuffle idx
// CHECK-DAG: llvm.inline_asm "cvt.rn.f16x2.f32 $0, $1, $2;"
// CHECK-DAG: llvm.inline_asm "prmt.b32 $0, $1, $2, 0x5410;"
// CHECK-DAG: llvm.inline_asm "prmt.b32 $0, $1, $2, 0x7632;"
// The in-kernel fix-up: after a barrier, one thread adds to the head's arrival counter
// (acq_rel, no full fence); the last to arrive resets it and merges. Nobody spins.
// CHECK: gpu.barrier
// CHECK: llvm.inline_asm has_side_effects "atom.acq_rel.gpu.global.add.u32 $0, [$1], $2;"
// CHECK: gpu.barrier
// CHECK-NOT: nvvm.memory.barrier
// CHECK-NOT: atomic syncscope("device") acquire
// CHECK: gpu.return
// CHECK-NOT: gpu.func @gqa_merge

// SEP: tessel.launch_plan @gqa {{{.*}}fixup = #tessel.fixup<separate>, kernel = @tessel_kernels::@gqa_attention{{.*}}merge_kernel = @tessel_kernels::@gqa_merge
// SEP: gpu.func @gqa_attention(
// SEP-NOT: atom.acq_rel
// SEP: gpu.func @gqa_merge(%{{.*}}: !llvm.ptr<1>, %{{.*}}: !llvm.ptr<1>, %{{.*}}: !llvm.ptr<1>, %{{.*}}: i32, %{{.*}}: i32, %{{.*}}: i32) kernel
func.func @gqa(%q: tensor<?x8x64xf16>, %k: tensor<?x2x?x64xf16>, %v: tensor<?x2x?x64xf16>, %l: tensor<?xi32>) -> tensor<?x8x64xf16> {
  %o = tessel.attention %q, %k, %v, %l {scale = 0.125 : f32} : (tensor<?x8x64xf16>, tensor<?x2x?x64xf16>, tensor<?x2x?x64xf16>, tensor<?xi32>) -> tensor<?x8x64xf16>
  return %o : tensor<?x8x64xf16>
}

// -----

// Static shapes are recorded so the runtime can check the user's launch against them.
// CHECK: tessel.launch_plan @static_shapes {{{.*}}static_batch = 4 : i64, static_max_len = 512 : i64
// CHECK: nvvm.mma.sync {{.*}}multiplicandAPtxType = #nvvm.mma_type<bf16>{{.*}} : (i32, i32, f32)
// CHECK: llvm.inline_asm "cvt.rn.bf16x2.f32 $0, $1, $2;"
func.func @static_shapes(%q: tensor<4x32x128xbf16>, %k: tensor<4x8x512x128xbf16>, %v: tensor<4x8x512x128xbf16>, %l: tensor<4xi32>) -> tensor<4x32x128xbf16> {
  %o = tessel.attention %q, %k, %v, %l : (tensor<4x32x128xbf16>, tensor<4x8x512x128xbf16>, tensor<4x8x512x128xbf16>, tensor<4xi32>) -> tensor<4x32x128xbf16>
  return %o : tensor<4x32x128xbf16>
}

// -----

// MHA (group 1) stays on CUDA cores: one 16-byte load of K or V per lane per token,
// scores summed with butterfly shuffles.
// CHECK-LABEL: gpu.func @mha_attention
// CHECK-NOT: nvvm.mma.sync
// CHECK: llvm.load %{{.*}} {alignment = 16 : i64} : !llvm.ptr<1> -> vector<8xf16>
// CHECK: gpu.shuffle xor
// CHECK-NOT: nvvm.mma.sync
// CHECK: gpu.return
func.func @mha(%q: tensor<?x8x128xf16>, %k: tensor<?x8x?x128xf16>, %v: tensor<?x8x?x128xf16>, %l: tensor<?xi32>) -> tensor<?x8x128xf16> {
  %o = tessel.attention %q, %k, %v, %l : (tensor<?x8x128xf16>, tensor<?x8x?x128xf16>, tensor<?x8x?x128xf16>, tensor<?xi32>) -> tensor<?x8x128xf16>
  return %o : tensor<?x8x128xf16>
}

// -----

// Outside the tensor-core layout's range the CUDA-core layout takes over: f32 GQA.
// (f16 groups above 8 fit neither layout; lower-to-gpu-invalid.mlir has the diagnostic.)
// CHECK-LABEL: gpu.func @gqa_f32_attention
// CHECK-NOT: nvvm.mma.sync
// CHECK: llvm.load %{{.*}} {alignment = 16 : i64} : !llvm.ptr<1> -> vector<4xf32>
// CHECK-NOT: nvvm.mma.sync
// CHECK: gpu.return
func.func @gqa_f32(%q: tensor<?x8x64xf32>, %k: tensor<?x2x?x64xf32>, %v: tensor<?x2x?x64xf32>, %l: tensor<?xi32>) -> tensor<?x8x64xf32> {
  %o = tessel.attention %q, %k, %v, %l : (tensor<?x8x64xf32>, tensor<?x2x?x64xf32>, tensor<?x2x?x64xf32>, tensor<?xi32>) -> tensor<?x8x64xf32>
  return %o : tensor<?x8x64xf32>
}
