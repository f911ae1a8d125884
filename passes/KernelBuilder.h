// A thin layer over ImplicitLocOpBuilder for writing GPU kernels as MLIR: integer and
// float arithmetic in i32/i64/f32, typed global/shared pointer access through the LLVM
// dialect, and scf control flow with C++ lambdas. Kernels take raw pointers (the ABI of
// runtime/abi/AttentionABI.h), so addresses are `!llvm.ptr<1>`/`!llvm.ptr<3>` + GEP.
#ifndef TESSEL_PASSES_KERNELBUILDER_H
#define TESSEL_PASSES_KERNELBUILDER_H

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/GPU/IR/GPUDialect.h"
#include "mlir/Dialect/LLVMIR/LLVMDialect.h"
#include "mlir/Dialect/SCF/IR/SCF.h"
#include "mlir/IR/ImplicitLocOpBuilder.h"

#include <functional>

namespace tessel {

class KernelBuilder {
public:
  explicit KernelBuilder(mlir::ImplicitLocOpBuilder &b) : b(b) {}

  mlir::ImplicitLocOpBuilder &b;
  using Values = llvm::SmallVector<mlir::Value>;

  mlir::Type i32() { return b.getI32Type(); }
  mlir::Type i64() { return b.getI64Type(); }
  mlir::Type f32() { return b.getF32Type(); }
  mlir::Type globalPtr() { return mlir::LLVM::LLVMPointerType::get(b.getContext(), 1); }
  mlir::Type sharedPtr() { return mlir::LLVM::LLVMPointerType::get(b.getContext(), 3); }

  mlir::Value c32(int64_t v);
  mlir::Value c64(int64_t v);
  mlir::Value cf(float v);
  mlir::Value negInf();

  mlir::Value add(mlir::Value x, mlir::Value y);
  mlir::Value sub(mlir::Value x, mlir::Value y);
  mlir::Value mul(mlir::Value x, mlir::Value y);
  mlir::Value divu(mlir::Value x, mlir::Value y);
  mlir::Value remu(mlir::Value x, mlir::Value y);
  mlir::Value mins(mlir::Value x, mlir::Value y);
  mlir::Value maxs(mlir::Value x, mlir::Value y);
  mlir::Value cmp(mlir::arith::CmpIPredicate p, mlir::Value x, mlir::Value y);
  mlir::Value select(mlir::Value c, mlir::Value x, mlir::Value y);
  mlir::Value andi(mlir::Value x, mlir::Value y);
  /// ceil(x / d) for non-negative x and a positive constant d.
  mlir::Value ceilDiv(mlir::Value x, int64_t d);
  mlir::Value toI64(mlir::Value x); // zero-extends an i32 index
  mlir::Value fadd(mlir::Value x, mlir::Value y);
  mlir::Value fsub(mlir::Value x, mlir::Value y);
  mlir::Value fmul(mlir::Value x, mlir::Value y);
  mlir::Value fdiv(mlir::Value x, mlir::Value y);
  mlir::Value fmax(mlir::Value x, mlir::Value y);
  /// x * y + z with one rounding (fma.rn; scalars or vectors).
  mlir::Value fma(mlir::Value x, mlir::Value y, mlir::Value z);
  mlir::Value fcmp(mlir::arith::CmpFPredicate p, mlir::Value x, mlir::Value y);
  /// 2^x with ex2.approx.f32 (f32 only).
  mlir::Value exp2(mlir::Value x);

  /// `base + index` elements of `elem`.
  mlir::Value gep(mlir::Value base, mlir::Type elem, mlir::Value index);
  mlir::Value load(mlir::Type type, mlir::Value ptr, unsigned align);
  void store(mlir::Value value, mlir::Value ptr, unsigned align);
  void atomicOr(mlir::Value ptr, mlir::Value value);
  /// atom.acq_rel.gpu.global.add.u32: returns the old value.
  mlir::Value atomicAddAcqRel(mlir::Value ptr, mlir::Value value);
  /// One PTX instruction as LLVM inline asm with a single result.
  mlir::Value inlinePtx(mlir::Type result, mlir::ValueRange operands, llvm::StringRef ptx,
                        llvm::StringRef constraints, bool sideEffects);

  /// One PTX instruction (or brace-scoped group) as LLVM inline asm with no result;
  /// always treated as having side effects and touching memory.
  void inlinePtxVoid(mlir::ValueRange operands, llvm::StringRef ptx,
                     llvm::StringRef constraints);
  /// The 32-bit shared-window address of a shared pointer (what `r` operands of
  /// shared-memory PTX instructions take).
  mlir::Value sharedAddress(mlir::Value sharedPtr);

  mlir::Value threadIdX();
  mlir::Value blockIdX();
  mlir::Value gridDimX();
  void barrier();
  mlir::Value shuffleXor(mlir::Value v, int64_t offset);
  /// The value of `v` in lane `srcLane` (an i32 value).
  mlir::Value shuffleIdx(mlir::Value v, mlir::Value srcLane);

  // Tensor cores (sm_80+). Operands are the PTX fragments as i32 registers (two 16-bit
  // elements each, the lower index in the lower half).
  /// mma.sync.aligned.m16n8k16.row.col.f32.{f16,bf16}: returns d = a * b + c (4 f32).
  Values mmaM16N8K16(mlir::Type elem, mlir::ValueRange a, mlir::ValueRange b,
                     mlir::ValueRange c);
  /// Two f32 rounded to one register of two f16/bf16: `lo` in bits 0-15.
  mlir::Value packHalves(mlir::Type elem, mlir::Value lo, mlir::Value hi);
  /// prmt.b32: bytes of {y, x} picked by `selector` (e.g. 0x5410: the low halves of x, y).
  mlir::Value permuteBytes(mlir::Value x, mlir::Value y, uint32_t selector);
  /// Returns (value from lane - offset, valid).
  std::pair<mlir::Value, mlir::Value> shuffleUp(mlir::Value v, int64_t offset);

  /// scf.for over i32 bounds with loop-carried values.
  Values forLoop(mlir::Value lb, mlir::Value ub, mlir::Value step, mlir::ValueRange init,
                 const std::function<Values(mlir::Value iv, mlir::ValueRange args)> &body);
  /// scf.while: `cond` sees the carried values and says whether to run `body` again.
  Values whileLoop(mlir::ValueRange init,
                   const std::function<mlir::Value(mlir::ValueRange)> &cond,
                   const std::function<Values(mlir::ValueRange)> &body);
  void ifThen(mlir::Value cond, const std::function<void()> &then);
  Values ifElse(mlir::Value cond, const std::function<Values()> &then,
                const std::function<Values()> &otherwise);
};

} // namespace tessel

#endif
