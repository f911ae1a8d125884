# -*- Python -*-
import os

import lit.formats
from lit.llvm import llvm_config
from lit.llvm.subst import ToolSubst

config.name = "TESSEL"
config.test_format = lit.formats.ShTest(not llvm_config.use_lit_shell)
config.suffixes = [".mlir", ".test"]
config.test_source_root = os.path.dirname(__file__)
config.test_exec_root = os.path.join(config.tessel_obj_root, "test")
# unit/ and device/ hold gtests, reference/ C++ helpers: not lit tests.
config.excludes = ["CMakeLists.txt", "unit", "device", "reference", "Inputs",
                   "lit.cfg.py", "lit.site.cfg.py"]

config.substitutions.append(("%PATH%", config.environment["PATH"]))
config.substitutions.append(("%tessel_src", config.tessel_src_root))
config.substitutions.append(("%tessel_obj", config.tessel_obj_root))

llvm_config.use_default_substitutions()
llvm_config.with_environment("PATH", config.llvm_tools_dir, append_path=True)

tool_dirs = [config.tessel_tools_dir, config.llvm_tools_dir]
tools = ["tessel-opt", ToolSubst("tesselc", unresolved="ignore"), "tessel-calibrate"]
llvm_config.add_tool_substitutions(tools, tool_dirs)

# PTX checks need ptxas from a CUDA toolkit; without it they report UNSUPPORTED.
if config.ptxas and os.path.exists(config.ptxas):
    config.available_features.add("ptxas")
    config.substitutions.append(("%ptxas", config.ptxas))
