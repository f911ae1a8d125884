// RUN: tessel-opt %s --split-input-file -verify-diagnostics
// The launch plan records what the runtime needs; malformed plans are diagnosed.

// expected-error @+1 {{'tessel.launch_plan' op q_heads (6) must be a multiple of kv_heads (4)}}
tessel.launch_plan @heads {block_size = 128 : i64, element_type = f16, fixup = #tessel.fixup<in_kernel>, kernel = @m::@k, kv_heads = 4 : i64, q_heads = 6 : i64, qk_dim = 64 : i64, requested_workers = 0 : i64, scale = 1.250000e-01 : f32, tile = 64 : i64, v_dim = 64 : i64}

// -----

// expected-error @+1 {{'tessel.launch_plan' op a merge kernel is needed exactly for the separate fix-up}}
tessel.launch_plan @merge {block_size = 128 : i64, element_type = f16, fixup = #tessel.fixup<separate>, kernel = @m::@k, kv_heads = 4 : i64, q_heads = 8 : i64, qk_dim = 64 : i64, requested_workers = 0 : i64, scale = 1.250000e-01 : f32, tile = 64 : i64, v_dim = 64 : i64}

// -----

// expected-error @+1 {{'tessel.launch_plan' op block_size (100) must be a multiple of the warp size}}
tessel.launch_plan @block {block_size = 100 : i64, element_type = f16, fixup = #tessel.fixup<in_kernel>, kernel = @m::@k, kv_heads = 4 : i64, q_heads = 8 : i64, qk_dim = 64 : i64, requested_workers = 0 : i64, scale = 1.250000e-01 : f32, tile = 64 : i64, v_dim = 64 : i64}

// -----

// expected-error @+1 {{'tessel.launch_plan' op element_type must be f16, bf16 or f32, got 'i8'}}
tessel.launch_plan @elem {block_size = 128 : i64, element_type = i8, fixup = #tessel.fixup<in_kernel>, kernel = @m::@k, kv_heads = 4 : i64, q_heads = 8 : i64, qk_dim = 64 : i64, requested_workers = 0 : i64, scale = 1.250000e-01 : f32, tile = 64 : i64, v_dim = 64 : i64}

// -----

// The K/V ring is whole 128-byte lines (stages of 64 rows of 16-byte chunks).
// expected-error @+1 {{'tessel.launch_plan' op kv_ring_bytes (100) must be a multiple of 128}}
tessel.launch_plan @ring {block_size = 128 : i64, element_type = f16, fixup = #tessel.fixup<in_kernel>, kernel = @m::@k, kv_heads = 4 : i64, kv_ring_bytes = 100 : i64, q_heads = 8 : i64, qk_dim = 64 : i64, requested_workers = 0 : i64, scale = 1.250000e-01 : f32, tile = 64 : i64, v_dim = 64 : i64}

// -----

// expected-error @+1 {{'tessel.launch_plan' op attribute 'kv_ring_bytes' failed to satisfy constraint: 64-bit signless integer attribute whose value is non-negative}}
tessel.launch_plan @negative_ring {block_size = 128 : i64, element_type = f16, fixup = #tessel.fixup<in_kernel>, kernel = @m::@k, kv_heads = 4 : i64, kv_ring_bytes = -128 : i64, q_heads = 8 : i64, qk_dim = 64 : i64, requested_workers = 0 : i64, scale = 1.250000e-01 : f32, tile = 64 : i64, v_dim = 64 : i64}

// -----

// A trace record is abi::kTraceRecordBytes (8 u64 words); other sizes were written by a
// different compiler.
// expected-error @+1 {{'tessel.launch_plan' op trace_bytes_per_worker (32) must be 0 (no trace) or 64}}
tessel.launch_plan @trace {block_size = 128 : i64, element_type = f16, fixup = #tessel.fixup<in_kernel>, kernel = @m::@k, kv_heads = 4 : i64, q_heads = 8 : i64, qk_dim = 64 : i64, requested_workers = 0 : i64, scale = 1.250000e-01 : f32, tile = 64 : i64, trace_bytes_per_worker = 32 : i64, v_dim = 64 : i64}
