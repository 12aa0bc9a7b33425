/** Quantization settings: defaults for the approximate flow, and per-layer overrides (`--config` JSON:
 *  { "defaults": {...}, "layers": { "<node name>": {...} } }). */
import { userError } from '../errors.js';
import type { RoundingMode } from '../ir/arith.js';
import { RANGE_METHODS, type RangeMethod, type WeightRangeMethod } from './range-methods.js';

export interface LayerQuantConfig {
  readonly weightBits: number;
  readonly activationBits: number;
  /** unsigned: codes with zero points (fits mul8u_* multipliers); signed: symmetric codes (mul8s_*). */
  readonly scheme: 'unsigned' | 'signed';
  /** Weights per output channel (default) or per tensor. */
  readonly perChannel: boolean;
  readonly activationRange: RangeMethod;
  readonly weightRange: WeightRangeMethod;
}

export interface QuantizeConfig {
  readonly defaults: LayerQuantConfig;
  /** Overrides by IR node name (a fused Conv+Relu is named after the Conv). */
  readonly layers: Readonly<Record<string, Partial<LayerQuantConfig>>>;
  readonly rounding: RoundingMode;
}

export const DEFAULT_LAYER: LayerQuantConfig = {
  weightBits: 8,
  activationBits: 8,
  scheme: 'unsigned',
  perChannel: true,
  activationRange: 'minmax',
  weightRange: 'minmax',
};

export const DEFAULT_CONFIG: QuantizeConfig = { defaults: DEFAULT_LAYER, layers: {}, rounding: 'half-away' };

export function layerConfig(cfg: QuantizeConfig, node: string): LayerQuantConfig {
  return { ...cfg.defaults, ...(cfg.layers[node] ?? {}) };
}

/** Validates one layer config object (from JSON); `where` names it in errors. */
export function parseLayerConfig(v: unknown, where: string): Partial<LayerQuantConfig> {
  if (typeof v !== 'object' || v === null || Array.isArray(v)) throw userError('E_CONFIG', `${where}: must be an object`);
  const out: Record<string, unknown> = {};
  for (const [k, x] of Object.entries(v)) {
    const bad = (expected: string) => userError('E_CONFIG', `${where}.${k}: ${JSON.stringify(x)} is not valid; expected ${expected}`);
    switch (k) {
      case 'weightBits':
      case 'activationBits':
        if (!(Number.isInteger(x) && (x as number) >= 2 && (x as number) <= 16)) throw bad('an integer from 2 to 16');
        break;
      case 'scheme':
        if (x !== 'unsigned' && x !== 'signed') throw bad('"unsigned" or "signed"');
        break;
      case 'perChannel':
        if (typeof x !== 'boolean') throw bad('true or false');
        break;
      case 'activationRange':
        if (!RANGE_METHODS.includes(x as RangeMethod)) throw bad(RANGE_METHODS.map((m) => `"${m}"`).join(', '));
        break;
      case 'weightRange':
        if (x !== 'minmax' && x !== 'mse') throw bad('"minmax" or "mse"');
        break;
      default:
        throw userError('E_CONFIG', `${where}: unknown key '${k}' (keys: weightBits, activationBits, scheme, perChannel, activationRange, weightRange)`);
    }
    out[k] = x;
  }
  return out as Partial<LayerQuantConfig>;
}

export function parseQuantizeConfig(json: unknown, file: string, base: QuantizeConfig = DEFAULT_CONFIG): QuantizeConfig {
  if (typeof json !== 'object' || json === null || Array.isArray(json)) throw userError('E_CONFIG', `${file}: must be a JSON object with "defaults" and/or "layers"`);
  const o = json as Record<string, unknown>;
  for (const k of Object.keys(o)) if (!['defaults', 'layers', 'rounding'].includes(k)) throw userError('E_CONFIG', `${file}: unknown key '${k}' (keys: defaults, layers, rounding)`);
  const defaults = { ...base.defaults, ...(o.defaults === undefined ? {} : parseLayerConfig(o.defaults, `${file}: defaults`)) };
  const layersIn = o.layers ?? {};
  if (typeof layersIn !== 'object' || layersIn === null || Array.isArray(layersIn)) throw userError('E_CONFIG', `${file}: "layers" must map node names to settings`);
  const layers = Object.fromEntries(Object.entries(layersIn).map(([n, v]) => [n, parseLayerConfig(v, `${file}: layers.${n}`)]));
  const rounding = o.rounding ?? base.rounding;
  if (rounding !== 'half-away' && rounding !== 'half-even') throw userError('E_CONFIG', `${file}: rounding must be "half-away" or "half-even"`);
  return { defaults, layers, rounding };
}
