# -*- Python -*-
import os

import lit.formats
from lit.llvm import llvm_config

config.name = "larc"
config.test_format = lit.formats.ShTest(not llvm_config.use_lit_shell)
config.suffixes = [".mlir", ".larc"]
config.test_source_root = os.path.dirname(__file__)
config.test_exec_root = config.larc_obj_root
# Unit-test sources and inputs that other tests read are not lit tests.
config.excludes = ["lit.cfg.py", "lit.site.cfg.py", "reference", "fuzz", "chunk", "runtime", "cuda", "peer", "Inputs"]

config.substitutions.append(("%examples", os.path.join(config.larc_src_root, "examples")))
llvm_config.with_system_environment(["HOME", "PATH"])
llvm_config.use_default_substitutions()
tool_dirs = [config.larc_tools_dir, config.llvm_tools_dir]
llvm_config.add_tool_substitutions(["larc-opt", "larcc", "FileCheck", "not", "count"], tool_dirs)
