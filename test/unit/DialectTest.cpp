// C++-level checks of the dialect: builders, folders and the default scale.
#include "compiler/Registration.h"
#include "dialects/Tessel/TesselOps.h"

#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/IR/Builders.h"
#include "mlir/IR/MLIRContext.h"
#include "mlir/IR/Verifier.h"
#include "mlir/Parser/Parser.h"

#include <gtest/gtest.h>

using namespace mlir;

namespace {

struct DialectTest : ::testing::Test {
  DialectTest() {
    DialectRegistry registry;
    tessel::registerCompilerDialects(registry);
    ctx.appendDialectRegistry(registry);
    ctx.loadAllAvailableDialects();
  }
  MLIRContext ctx;
};

} // namespace

TEST_F(DialectTest, DefaultScaleIsInverseSqrtOfQkDim) {
  const char *src = R"mlir(
    func.func @f(%q: tensor<2x8x64xf16>, %k: tensor<2x4x16x64xf16>,
                 %v: tensor<2x4x16x32xf16>, %l: tensor<2xi32>) -> tensor<2x8x32xf16> {
      %o = tessel.attention %q, %k, %v, %l : (tensor<2x8x64xf16>, tensor<2x4x16x64xf16>,
          tensor<2x4x16x32xf16>, tensor<2xi32>) -> tensor<2x8x32xf16>
      return %o : tensor<2x8x32xf16>
    })mlir";
  OwningOpRef<ModuleOp> module = parseSourceString<ModuleOp>(src, &ctx);
  ASSERT_TRUE(module);
  tessel::AttentionOp op;
  module->walk([&](tessel::AttentionOp a) { op = a; });
  ASSERT_TRUE(op);
  EXPECT_FLOAT_EQ(op.getEffectiveScale(), 0.125f);
}

TEST_F(DialectTest, MergeWithIdentityFolds) {
  OpBuilder b(&ctx);
  Location loc = b.getUnknownLoc();
  auto row = RankedTensorType::get({2, 8}, b.getF32Type());
  auto acc = RankedTensorType::get({2, 8, 16}, b.getF32Type());
  OwningOpRef<ModuleOp> module = ModuleOp::create(loc);
  b.setInsertionPointToEnd(module->getBody());
  auto id1 = tessel::SoftmaxIdentityOp::create(b, loc, row, row, acc, Value());
  auto id2 = tessel::SoftmaxIdentityOp::create(b, loc, row, row, acc, Value());
  auto merge = tessel::SoftmaxMergeOp::create(b, loc, row, row, acc, id1.getMax(),
                                              id1.getSum(), id1.getAcc(), id2.getMax(),
                                              id2.getSum(), id2.getAcc());
  SmallVector<OpFoldResult> folded;
  ASSERT_TRUE(succeeded(merge->fold(folded)));
  ASSERT_EQ(folded.size(), 3u);
  EXPECT_EQ(llvm::dyn_cast<Value>(folded[0]), id2.getMax());
  // A merge whose sides are mixed results of two identities is not an identity state.
  auto mixed = tessel::SoftmaxMergeOp::create(b, loc, row, row, acc, id1.getMax(),
                                              id2.getSum(), id1.getAcc(), id2.getMax(),
                                              id1.getSum(), id2.getAcc());
  SmallVector<OpFoldResult> none;
  EXPECT_TRUE(failed(mixed->fold(none)));
  EXPECT_TRUE(succeeded(mlir::verify(*module)));
}
