#ifndef TESSEL_ENUMS_TD
#define TESSEL_ENUMS_TD

include "dialects/Tessel/TesselDialect.td"
include "mlir/IR/EnumAttr.td"

def Tessel_Activation : I32EnumAttr<"Activation", "gated-MLP activation", [
    I32EnumAttrCase<"silu", 0>,
    I32EnumAttrCase<"gelu", 1>,
    I32EnumAttrCase<"relu", 2>]> {
  let cppNamespace = "::tessel";
  let genSpecializedAttr = 0;
}
def Tessel_ActivationAttr : EnumAttr<Tessel_Dialect, Tessel_Activation, "activation"> {
  let assemblyFormat = "`<` $value `>`";
}

def Tessel_RouterScoring : I32EnumAttr<"RouterScoring",
    "whether the router normalises with softmax before or after top-k", [
    I32EnumAttrCase<"softmax_topk", 0>,
    I32EnumAttrCase<"topk_softmax", 1>]> {
  let cppNamespace = "::tessel";
  let genSpecializedAttr = 0;
}
def Tessel_RouterScoringAttr : EnumAttr<Tessel_Dialect, Tessel_RouterScoring, "scoring"> {
  let assemblyFormat = "`<` $value `>`";
}

def Tessel_Fixup : I32EnumAttr<"Fixup",
    "how outputs split across stream-K workers are merged", [
    I32EnumAttrCase<"in_kernel", 0>,
    I32EnumAttrCase<"separate", 1>]> {
  let cppNamespace = "::tessel";
  let genSpecializedAttr = 0;
}
def Tessel_FixupAttr : EnumAttr<Tessel_Dialect, Tessel_Fixup, "fixup"> {
  let assemblyFormat = "`<` $value `>`";
}

#endif // TESSEL_ENUMS_TD
