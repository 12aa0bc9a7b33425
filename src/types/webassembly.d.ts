/** The part of the WebAssembly JavaScript API that src/golden/integer/wasm-mac.ts uses (Node has it; @types/node 20
 *  does not declare it without the DOM library). */
declare namespace WebAssembly {
  class Memory {
    readonly buffer: ArrayBuffer;
    grow(pages: number): number;
  }
  class Module {
    constructor(bytes: Uint8Array);
  }
  class Instance {
    constructor(module: Module, imports?: Record<string, unknown>);
    readonly exports: Record<string, unknown>;
  }
}
