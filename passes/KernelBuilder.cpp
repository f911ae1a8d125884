#include "passes/KernelBuilder.h"

#include "mlir/Dialect/LLVMIR/NVVMDialect.h"
#include "llvm/Support/FormatVariadic.h"

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
Value KernelBuilder::fma(Value x, Value y, Value z) { return LLVM::FMAOp::create(b, x, y, z); }
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

void KernelBuilder::inlinePtxVoid(ValueRange operands, StringRef ptx, StringRef constraints) {
  LLVM::InlineAsmOp::create(b, TypeRange{}, operands, ptx, constraints,
                            /*has_side_effects=*/true, /*is_align_stack=*/false,
                            LLVM::tailcallkind::TailCallKind::None, LLVM::AsmDialectAttr(),
                            ArrayAttr());
}

Value KernelBuilder::sharedAddress(Value sharedPtr) {
  return LLVM::PtrToIntOp::create(b, i32(), sharedPtr);
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
Value KernelBuilder::shuffleIdx(Value v, Value srcLane) {
  return gpu::ShuffleOp::create(b, v, srcLane, c32(32), gpu::ShuffleMode::IDX)
      .getShuffleResult();
}

KernelBuilder::Values KernelBuilder::mmaM16N8K16(Type elem, ValueRange a, ValueRange bv,
                                                 ValueRange c) {
  // nvvm.mma.sync takes f16 fragments as vector<2xf16> and bf16 fragments as i32.
  bool isF16 = elem.isF16();
  auto asOperand = [&](Value r) -> Value {
    if (!isF16)
      return r;
    return LLVM::BitcastOp::create(b, VectorType::get({2}, elem), r);
  };
  SmallVector<Value> av, bvv;
  for (Value r : a)
    av.push_back(asOperand(r));
  for (Value r : bv)
    bvv.push_back(asOperand(r));
  auto f32 = b.getF32Type();
  Type result = LLVM::LLVMStructType::getLiteral(b.getContext(), {f32, f32, f32, f32});
  NVVM::MMATypes type = isF16 ? NVVM::MMATypes::f16 : NVVM::MMATypes::bf16;
  auto mma = NVVM::MmaOp::create(
      b, result, av, bvv, c, ArrayRef<int64_t>{16, 8, 16}, std::nullopt, std::nullopt,
      std::array<NVVM::MMATypes, 2>{type, type},
      std::array<NVVM::MMALayout, 2>{NVVM::MMALayout::row, NVVM::MMALayout::col});
  Values d;
  for (int64_t i = 0; i < 4; ++i)
    d.push_back(LLVM::ExtractValueOp::create(b, mma.getResult(), ArrayRef<int64_t>{i}));
  return d;
}

Value KernelBuilder::packHalves(Type elem, Value lo, Value hi) {
  // cvt.rn.{f16x2,bf16x2}.f32 d, a, b puts a in the upper half and b in the lower one.
  StringRef ptx = elem.isF16() ? "cvt.rn.f16x2.f32 $0, $1, $2;" : "cvt.rn.bf16x2.f32 $0, $1, $2;";
  return inlinePtx(i32(), {hi, lo}, ptx, "=r,f,f", /*sideEffects=*/false);
}

Value KernelBuilder::permuteBytes(Value x, Value y, uint32_t selector) {
  std::string ptx = llvm::formatv("prmt.b32 $0, $1, $2, {0:x4};", selector).str();
  return inlinePtx(i32(), {x, y}, ptx, "=r,r,r", /*sideEffects=*/false);
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
