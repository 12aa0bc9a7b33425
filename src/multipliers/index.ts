/** Public API of the multiplier library (see docs/multipliers.md). Table layout: `table[(a & 255) * 256 + (b & 255)]`
 *  is the product of activation code a and weight code b; exact multipliers have relativePower 1. */
export type { ErrorMetrics, Multiplier, MultiplierSource, PowerSource, PublishedFigures, SynthCost } from './types.js';
export { TABLE_SIZE, moduleNameFor, isValidId } from './types.js';
export type { Gate, GateNetlist, GateOp } from './netlist.js';
export { builtinLibrary, getMultiplier, loadLibrary, makeGenerated, builtinSpecs } from './library.js';
export { defaultLibraryDir, saveMultiplier } from './store.js';
export { computeMetrics, exactProduct, exactTable, type OperandHistograms } from './metrics.js';
export { exhaustiveTable, compile, evaluateWords } from './evaluate.js';
export { generate, parseSpecId, specId, describeSpec, type FamilySpec } from './families.js';
export { toVerilog } from './verilog.js';
export { characterize, characterizeMany, type Characterization } from './characterize.js';
