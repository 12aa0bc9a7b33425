/** How each tile's multiplier becomes hardware, as emit, synth and the report state it: `exact` (the `*` operator:
 *  a DSP on FPGA), `netlist` (the library's gate netlist, the circuit the energy model describes), or `table` (a
 *  65,536 x 16-bit product-table ROM per lane: only with --mult-impl table or for a multiplier the library has no
 *  netlist of). A ROM is block RAM, not the multiplier whose power the search counted, so its cost is spelled out. */
import { userError } from '../errors.js';
import { getMultiplier, type Multiplier } from '../multipliers/index.js';
import type { MultiplierImpl } from './build-dir.js';

export type TileMultiplierKind = 'exact' | 'netlist' | 'table';

/** Bits of one product-table ROM: 65,536 entries of 16 bits. */
export const TABLE_ROM_BITS = 65536 * 16;
/** Capacity of a 7-series RAMB36E1 (36 Kb with parity). */
const BRAM36_BITS = 36 * 1024;

/** The implementation of a tile's multiplier under `impl` (auto: the netlist when the library has one). */
export function multiplierKind(multiplier: Multiplier | undefined, impl: MultiplierImpl, tile: number): TileMultiplierKind {
  if (!multiplier) return 'exact';
  if (impl === 'table') return 'table';
  if (multiplier.netlist) return 'netlist';
  if (impl === 'netlist') throw userError('E_HW', `tile ${tile} uses ${multiplier.id}, which has no gate-level netlist (only a table); use --mult-impl auto or table`);
  return 'table';
}

export interface TileMultiplier {
  readonly tile: number;
  readonly multiplier: string;
  readonly impl: TileMultiplierKind;
  /** Product-table ROMs only: what they cost and what they are not. */
  readonly rom?: { readonly bits_per_lane: number; readonly bram36_per_lane_at_least: number; readonly note: string };
}

/** The multiplier implementation of every tile of a plan (tiles listed with the multiplier id they hold). */
export function tileMultipliers(tiles: readonly { readonly index: number; readonly multiplier?: string }[], impl: MultiplierImpl, library: string | undefined): TileMultiplier[] {
  return tiles.map((t) => {
    const m = t.multiplier !== undefined ? getMultiplier(t.multiplier, library) : undefined;
    const kind = multiplierKind(m, impl, t.index);
    if (kind !== 'table') return { tile: t.index, multiplier: m?.id ?? 'exact', impl: kind };
    const why = m!.netlist ? 'as --mult-impl table asked' : 'the library has no netlist of it';
    return {
      tile: t.index, multiplier: m!.id, impl: kind,
      rom: {
        bits_per_lane: TABLE_ROM_BITS,
        bram36_per_lane_at_least: Math.ceil(TABLE_ROM_BITS / BRAM36_BITS),
        note: `tile ${t.index}: ${m!.id} is a 65,536 x 16-bit product-table ROM in every lane (${why}): 1 Mbit, at least ${Math.ceil(TABLE_ROM_BITS / BRAM36_BITS)} BRAM36 per lane; its energy is that of a ROM read, not the ${m!.powerSource === 'published' ? 'published power' : 'power estimate'} of the multiplier's netlist that the search counted`,
      },
    };
  });
}
