#include "passes/KernelBuilder.h"


#include <limits>

using namespace mlir;

namespace tessel {

Value KernelBuilder::c32(int64_t v) { return arith::ConstantOp::create(b, b.getI32IntegerAttr(v)); }
Value KernelBuilder::c64(int64_t v) { return arith::ConstantOp::create(b, b.getI64IntegerAttr(v)); }
Value KernelBuilder::cf(float v) { return arith::ConstantOp::create(b, b.getF32FloatAttr(v)); }
Value KernelBuilder::negInf() { return cf(-std::numeric_limits<float>::infinity()); }

Value KernelBuilder::add(Value x, Value y) { return arith::AddIOp::create(b, x, y); }
Value KernelBuilder::sub(Value x, Value y) { return arith::SubIOp::create(b, x, y); }
Value KernelBuilder::mul(Value x, Value y) { return arith::MulIOp::create(b, x, y); }
Value KernelBuilder::divu(Value x, Value y) { return arith::DivUIOp::create(b, x, y); }
Value KernelBuilder::remu(Value x, Value y) { return arith::RemUIOp::create(b, x, y); }
Value KernelBuilder::mins(Value x, Value y) { return arith::MinSIOp::create(b, x, y); }
Value KernelBuilder::maxs(Value x, Value y) { return arith::MaxSIOp::create(b, x, y); }
Value KernelBuilder::cmp(arith::CmpIPredicate p, Value x, Value y) {
  return arith::CmpIOp::create(b, p, x, y);
}
Value KernelBuilder::select(Value c, Value x, Value y) {
  return arith::SelectOp::create(b, c, x, y);
}
Value KernelBuilder::andi(Value x, Value y) { return arith::AndIOp::create(b, x, y); }
Value KernelBuilder::ceilDiv(Value x, int64_t d) {
  Type t = x.getType();
  Value dv = t.isInteger(64) ? c64(d) : c32(d);
  Value dm1 = t.isInteger(64) ? c64(d - 1) : c32(d - 1);
  return divu(add(x, dm1), dv);
}
Value KernelBuilder::toI64(Value x) { return arith::ExtUIOp::create(b, i64(), x); }
Value KernelBuilder::fadd(Value x, Value y) { return arith::AddFOp::create(b, x, y); }
Value KernelBuilder::fsub(Value x, Value y) { return arith::SubFOp::create(b, x, y); }
Value KernelBuilder::fmul(Value x, Value y) { return arith::MulFOp::create(b, x, y); }
Value KernelBuilder::fdiv(Value x, Value y) { return arith::DivFOp::create(b, x, y); }
Value KernelBuilder::fmax(Value x, Value y) { return arith::MaximumFOp::create(b, x, y); }
Value KernelBuilder::fcmp(arith::CmpFPredicate p, Value x, Value y) {
  return arith::CmpFOp::create(b, p, x, y);
}
Value KernelBuilder::exp2(Value x) {
  // ex2.approx.f32 directly: lowering math.exp2 through convert-gpu-to-nvvm picked
  // either the intrinsic or a libdevice call (__nv_exp2f, unresolved at JIT) depending
  // on pattern order, which is not stable from run to run. 2^-inf = +0 as required.
  return inlinePtx(f32(), {x}, "ex2.approx.f32 $0, $1;", "=f,f", /*sideEffects=*/false);
}

Value KernelBuilder::gep(Value base, Type elem, Value index) {
  return LLVM::GEPOp::create(b, base.getType(), elem, base, ValueRange{index});
}
Value KernelBuilder::load(Type type, Value ptr, unsigned align) {
  return LLVM::LoadOp::create(b, type, ptr, align);
}
void KernelBuilder::store(Value value, Value ptr, unsigned align) {
  LLVM::StoreOp::create(b, value, ptr, align);
}
void KernelBuilder::atomicOr(Value ptr, Value value) {
  LLVM::AtomicRMWOp::create(b, LLVM::AtomicBinOp::_or, ptr, value,
                            LLVM::AtomicOrdering::monotonic, "device", 4);
}

Value KernelBuilder::atomicAddAcqRel(Value ptr, Value value) {
  // Inline PTX: LLVM 22's NVPTX backend lowers `atomicrmw add ... acq_rel` to a plain
  // (relaxed) atom.global.add with no fence, dropping the ordering this needs.
  return inlinePtx(i32(), {ptr, value}, "atom.acq_rel.gpu.global.add.u32 $0, [$1], $2;",
                   "=r,l,r,~{memory}", /*sideEffects=*/true);
}

Value KernelBuilder::inlinePtx(Type result, ValueRange operands, StringRef ptx,
                               StringRef constraints, bool sideEffects) {
  return LLVM::InlineAsmOp::create(b, result, operands, ptx, constraints, sideEffects,
                                   /*is_align_stack=*/false,
                                   LLVM::tailcallkind::TailCallKind::None,
                                   LLVM::AsmDialectAttr(), ArrayAttr())
      .getResult(0);
}

static Value indexToI32(ImplicitLocOpBuilder &b, Value index) {
  return arith::IndexCastUIOp::create(b, b.getI32Type(), index);
}
Value KernelBuilder::threadIdX() {
  return indexToI32(b, gpu::ThreadIdOp::create(b, gpu::Dimension::x));
}
Value KernelBuilder::blockIdX() {
  return indexToI32(b, gpu::BlockIdOp::create(b, gpu::Dimension::x));
}
Value KernelBuilder::gridDimX() {
  return indexToI32(b, gpu::GridDimOp::create(b, gpu::Dimension::x));
}
void KernelBuilder::barrier() { gpu::BarrierOp::create(b); }

Value KernelBuilder::shuffleXor(Value v, int64_t offset) {
  return gpu::ShuffleOp::create(b, v, c32(offset), c32(32), gpu::ShuffleMode::XOR)
      .getShuffleResult();
}
std::pair<Value, Value> KernelBuilder::shuffleUp(Value v, int64_t offset) {
  auto s = gpu::ShuffleOp::create(b, v, c32(offset), c32(32), gpu::ShuffleMode::UP);
  return {s.getShuffleResult(), s.getValid()};
}

KernelBuilder::Values
KernelBuilder::forLoop(Value lb, Value ub, Value step, ValueRange init,
                       const std::function<Values(Value, ValueRange)> &body) {
  auto loop = scf::ForOp::create(
      b, lb, ub, step, init, [&](OpBuilder &, Location, Value iv, ValueRange args) {
        Values yields = body(iv, args);
        scf::YieldOp::create(b, yields);
      });
  return Values(loop.getResults());
}

KernelBuilder::Values
KernelBuilder::whileLoop(ValueRange init, const std::function<Value(ValueRange)> &cond,
                         const std::function<Values(ValueRange)> &body) {
  SmallVector<Type> types(init.getTypes());
  auto loop = scf::WhileOp::create(
      b, types, init,
      [&](OpBuilder &, Location, ValueRange args) {
        scf::ConditionOp::create(b, cond(args), args);
      },
      [&](OpBuilder &, Location, ValueRange args) {
        scf::YieldOp::create(b, body(args));
      });
  return Values(loop.getResults());
}

void KernelBuilder::ifThen(Value cond, const std::function<void()> &then) {
  scf::IfOp::create(b, cond, [&](OpBuilder &, Location) {
    then();
    scf::YieldOp::create(b);
  });
}

KernelBuilder::Values KernelBuilder::ifElse(Value cond, const std::function<Values()> &then,
                                            const std::function<Values()> &otherwise) {
  auto op = scf::IfOp::create(
      b, cond, [&](OpBuilder &, Location) { scf::YieldOp::create(b, then()); },
      [&](OpBuilder &, Location) { scf::YieldOp::create(b, otherwise()); });
  return Values(op.getResults());
}

} // namespace tessel
