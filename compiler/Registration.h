// What the Tessel tools register: the tessel dialect, the upstream dialects its
// pipelines produce, and the passes and pipelines (one list shared by tessel-opt and
// tesselc so both always accept the same IR and pass names).
#ifndef TESSEL_COMPILER_REGISTRATION_H
#define TESSEL_COMPILER_REGISTRATION_H

namespace mlir {
class DialectRegistry;
}

namespace tessel {

/// Adds the tessel dialect and the upstream dialects Tessel's IR uses.
void registerCompilerDialects(mlir::DialectRegistry &registry);

/// Registers Tessel's passes, its pipelines and the upstream passes they use.
void registerCompilerPasses();

} // namespace tessel

#endif
