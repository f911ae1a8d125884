// tesselc: compiles a tessel-dialect model graph to embeddable PTX and a launch
// manifest (and, on request, a header embedding both, the IR at any stage, or the
// kernels' LLVM IR). The pipeline is compiler/Pipeline's, the same one tessel-opt
// registers as --tessel-compile-pipeline.
#include "IRDumper.h"
#include "compiler/Artifacts.h"
#include "compiler/Pipeline.h"
#include "compiler/Registration.h"

#include "mlir/IR/AsmState.h"
#include "mlir/IR/BuiltinOps.h"
#include "mlir/IR/MLIRContext.h"
#include "mlir/Parser/Parser.h"
#include "mlir/Pass/Pass.h"
#include "mlir/Pass/PassManager.h"
#include "mlir/Support/FileUtilities.h"
#include "llvm/Support/CommandLine.h"
#include "llvm/Support/FileSystem.h"
#include "llvm/Support/InitLLVM.h"
#include "llvm/Support/Path.h"
#include "llvm/Support/SourceMgr.h"
#include "llvm/Support/ToolOutputFile.h"
#include "llvm/Support/raw_ostream.h"

#include <set>

using namespace mlir;
namespace cl = llvm::cl;

static cl::OptionCategory category("tesselc options");
static cl::opt<std::string> inputFile(cl::Positional, cl::desc("<model.mlir>"),
                                      cl::cat(category));
static cl::opt<std::string> outputDir("o", cl::desc("output directory (created if missing)"),
                                      cl::value_desc("DIR"), cl::init("."), cl::cat(category));
static cl::opt<std::string> artifactName(
    "name", cl::desc("artifact base name (default: the input file's stem)"),
    cl::cat(category));
static cl::opt<std::string> emit("emit",
                                 cl::desc("comma-separated: ptx, manifest, header, mlir, "
                                          "llvm (default: ptx,manifest)"),
                                 cl::init("ptx,manifest"), cl::cat(category));
static cl::opt<std::string> target("target", cl::desc("sm_80, sm_90 or sm_90a"),
                                   cl::init("sm_90"), cl::cat(category));
static cl::opt<int64_t> tile("tile", cl::desc("KV tokens per tile (-1: cost model)"),
                             cl::init(-1), cl::cat(category));
static cl::opt<int64_t> workers("workers",
                                cl::desc("persistent workers (0: SMs x CTAs/SM at load)"),
                                cl::init(0), cl::cat(category));
static cl::opt<std::string> fixup("fixup", cl::desc("in-kernel, separate or auto"),
                                  cl::init("auto"), cl::cat(category));
static cl::opt<int64_t> kvRingStages(
    "kv-ring-stages",
    cl::desc("stages of the tensor-core loop's K/V ring in shared memory (-1: by "
             "target, 2 on sm_90, 0 on sm_80; 0: K/V straight to registers; else 2..4)"),
    cl::init(-1), cl::cat(category));
static cl::opt<std::string> tuneFor(
    "tune-for",
    cl::desc("comma-separated GPUs whose cost models choose the tile: h100, h200 (default "
             "both: one sm_90 PTX runs on either)"),
    cl::init(tessel::schedule::kDefaultTuneFor), cl::cat(category));
static cl::opt<bool> tracePhases(
    "trace-phases",
    cl::desc("diagnostic build: thread 0 of every CTA records clock64/globaltimer at the "
             "kernel's phases after the workspace (read by tessel-bench --trace)"),
    cl::cat(category));
// --stop-after=PASS is taken out of argv before LLVM parses it: libLLVM registers a
// codegen option of the same name, and two registrations abort the process.
static std::string stopAfter;
static cl::opt<bool> printIRAfterAll("print-ir-after-all",
                                     cl::desc("print the IR after every pass to stderr"),
                                     cl::cat(category));
static cl::opt<std::string> printIRAfter("print-ir-after",
                                         cl::desc("print the IR after this pass to stderr"),
                                         cl::value_desc("PASS"), cl::cat(category));
static cl::opt<std::string> dumpIR("dump-ir",
                                   cl::desc("write the IR after every pass to "
                                            "DIR/NN_<pass>.mlir"),
                                   cl::value_desc("DIR"), cl::cat(category));
static cl::opt<bool> printPipeline("print-pipeline",
                                   cl::desc("print the pass pipeline to stdout"),
                                   cl::cat(category));
static cl::opt<bool> timing("timing", cl::desc("report the time of every pass"),
                            cl::cat(category));

namespace {

int fail(const llvm::Twine &message) {
  llvm::errs() << "tesselc: error: " << message << "\n";
  return 1;
}

/// Files are written under temporary names and renamed only once every output is
/// ready, so a failed compile leaves nothing behind.
class OutputSet {
public:
  explicit OutputSet(std::string dir) : dir(std::move(dir)) {}
  void add(const std::string &file, std::string content) {
    files.emplace_back(file, std::move(content));
  }
  bool commit(std::string &error) {
    std::vector<std::pair<std::string, std::string>> staged; // temp, final
    auto cleanup = [&] {
      for (auto &[temp, final] : staged)
        llvm::sys::fs::remove(temp);
    };
    for (auto &[file, content] : files) {
      llvm::SmallString<256> path(dir);
      llvm::sys::path::append(path, file);
      std::string temp = std::string(path) + ".tmp";
      std::error_code ec;
      {
        llvm::raw_fd_ostream os(temp, ec);
        if (!ec) {
          os << content;
          os.close();
          if (os.has_error())
            ec = os.error();
        }
      }
      if (ec) {
        llvm::sys::fs::remove(temp);
        cleanup();
        error = "cannot write " + std::string(path) + ": " + ec.message();
        return false;
      }
      staged.emplace_back(temp, std::string(path));
    }
    for (auto &[temp, final] : staged)
      if (std::error_code ec = llvm::sys::fs::rename(temp, final)) {
        cleanup();
        error = "cannot write " + final + ": " + ec.message();
        return false;
      }
    return true;
  }

private:
  std::string dir;
  std::vector<std::pair<std::string, std::string>> files;
};

} // namespace

int main(int argc, char **argv) {
  llvm::InitLLVM init(argc, argv);
  std::vector<char *> args;
  for (int i = 0; i < argc; ++i) {
    llvm::StringRef arg(argv[i]);
    llvm::StringRef flag = arg.ltrim('-');
    if (i > 0 && arg.starts_with("-") && flag.consume_front("stop-after")) {
      if (flag.consume_front("="))
        stopAfter = flag.str();
      else if (flag.empty() && i + 1 < argc)
        stopAfter = argv[++i];
      else
        return fail("--stop-after needs a pass name (see --print-pipeline)");
      continue;
    }
    args.push_back(argv[i]);
  }
  cl::HideUnrelatedOptions(category);
  cl::ParseCommandLineOptions(static_cast<int>(args.size()), args.data(),
                              "tesselc: tessel-dialect model -> PTX + launch manifest\n"
                              "  --stop-after=PASS  stop after this pass (with --emit=mlir)\n");

  tessel::CompileOptions options{target,       tile,        workers, fixup,
                                 kvRingStages, tracePhases, tuneFor};
  if (std::string err = tessel::validateCompileOptions(options); !err.empty())
    return fail(err);

  std::set<std::string> kinds;
  llvm::SmallVector<llvm::StringRef> kindList;
  llvm::StringRef(emit).split(kindList, ',');
  for (llvm::StringRef kind : kindList) {
    kind = kind.trim();
    if (kind != "ptx" && kind != "manifest" && kind != "header" && kind != "mlir" &&
        kind != "llvm")
      return fail("unknown --emit kind '" + kind +
                  "' (expected ptx, manifest, header, mlir or llvm)");
    kinds.insert(kind.str());
  }
  if (!stopAfter.empty() && (kinds.size() != 1 || !kinds.count("mlir")))
    return fail("--stop-after needs --emit=mlir (the other outputs need the whole "
                "pipeline)");

  if (printPipeline) {
    for (const tessel::PipelineStep &step : tessel::compilePipelineSteps(options))
      llvm::outs() << step.name << "\n";
    if (inputFile.empty())
      return 0;
  }
  if (inputFile.empty())
    return fail("no input file (usage: tesselc model.mlir -o DIR)");

  std::string name = artifactName.empty()
                         ? llvm::sys::path::stem(inputFile).str()
                         : artifactName.getValue();
  if (name.empty() || name.find('/') != std::string::npos)
    return fail("invalid artifact name '" + name + "'");

  // The output directory must exist (or be creatable) and accept files.
  if (std::error_code ec = llvm::sys::fs::create_directories(outputDir))
    return fail("cannot create output directory '" + outputDir + "': " + ec.message());
  if (!dumpIR.empty())
    if (std::error_code ec = llvm::sys::fs::create_directories(dumpIR))
      return fail("cannot create --dump-ir directory '" + dumpIR + "': " + ec.message());

  DialectRegistry registry;
  tessel::registerCompilerDialects(registry);
  MLIRContext context(registry);
  context.loadAllAvailableDialects();

  std::string errorMessage;
  auto file = openInputFile(inputFile, &errorMessage);
  if (!file)
    return fail("cannot read '" + inputFile + "': " + errorMessage);
  llvm::SourceMgr sourceMgr;
  sourceMgr.AddNewSourceBuffer(std::move(file), llvm::SMLoc());
  SourceMgrDiagnosticHandler diagnostics(sourceMgr, &context);
  OwningOpRef<ModuleOp> module = parseSourceFile<ModuleOp>(sourceMgr, &context);
  if (!module)
    return 1; // the parser or verifier has printed a located diagnostic

  // Two stages: everything before gpu-module-to-binary (so LLVM IR can be taken from
  // the lowered gpu.module), then the PTX emission itself.
  std::vector<tessel::PipelineStep> steps = tessel::compilePipelineSteps(options);
  std::string stopAt = stopAfter.empty() ? steps.back().name : stopAfter;
  if (llvm::none_of(steps, [&](auto &s) { return s.name == stopAt; }))
    return fail("unknown pass '" + stopAt + "' for --stop-after (see --print-pipeline)");

  tessel::IRDumpState dumpState{dumpIR.getValue(), {}, 1, {}};
  bool printing = printIRAfterAll || !printIRAfter.empty();
  if (!dumpIR.empty() || printing)
    context.disableMultithreading(); // deterministic dumps in pipeline order
  std::string onlyPass = printIRAfter;
  auto runSteps = [&](size_t from, size_t to) -> bool {
    PassManager pm(&context);
    if (printing)
      pm.enableIRPrinting(
          [](Pass *, Operation *) { return false; },
          [onlyPass](Pass *pass, Operation *) {
            return onlyPass.empty() || pass->getArgument() == onlyPass;
          },
          /*printModuleScope=*/true, /*printAfterOnlyOnChange=*/false);
    if (timing)
      pm.enableTiming();
    if (!dumpIR.empty())
      pm.addInstrumentation(std::make_unique<tessel::IRDumper>(dumpState));
    for (size_t i = from; i < to; ++i)
      steps[i].add(pm);
    if (failed(pm.run(*module)))
      return false; // the failing pass has printed a located diagnostic
    if (!dumpState.error.empty()) {
      fail(dumpState.error);
      return false;
    }
    return true;
  };

  // Stage one: everything before gpu-module-to-binary, so that the kernels' LLVM IR
  // can still be taken from the lowered gpu.module; stage two emits the PTX.
  size_t stopIndex = 0;
  while (steps[stopIndex].name != stopAt)
    ++stopIndex;
  const size_t binaryIndex = steps.size() - 1;
  OutputSet outputs(outputDir);
  if (!runSteps(0, std::min(stopIndex + 1, binaryIndex)))
    return 1;
  if (kinds.count("llvm")) {
    std::string err;
    FailureOr<std::string> ir = tessel::translateKernelsToLLVMIR(*module, err);
    if (failed(ir))
      return fail(err);
    outputs.add(name + ".ll", *ir);
  }
  if (stopIndex == binaryIndex && !runSteps(binaryIndex, binaryIndex + 1))
    return 1;

  if (kinds.count("mlir")) {
    std::string text;
    llvm::raw_string_ostream os(text);
    module->print(os);
    outputs.add(name + ".mlir", text);
  }
  if (kinds.count("ptx") || kinds.count("manifest") || kinds.count("header")) {
    std::string err;
    FailureOr<std::string> ptx = tessel::extractPtx(*module, err);
    if (failed(ptx))
      return fail(err);
    std::string manifest = tessel::buildManifest(*module, options, name, name + ".ptx");
    if (kinds.count("ptx"))
      outputs.add(name + ".ptx", *ptx);
    if (kinds.count("manifest"))
      outputs.add(name + ".manifest.json", manifest);
    if (kinds.count("header"))
      outputs.add(name + ".h", tessel::buildHeader(name, *ptx, manifest));
  }
  std::string err;
  if (!outputs.commit(err))
    return fail(err);
  return 0;
}
