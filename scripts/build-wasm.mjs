// Builds dist/wasm/mac.wasm (and the readable dist/wasm/mac.wat) from the generator in scripts/wasm-mac.mjs, with
// wabt (a devDependency). Run by `npm run build` (and so by `prepare` and `npm test`).
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import wabtInit from 'wabt';
import { macWat } from './wasm-mac.mjs';

const out = join(new URL('..', import.meta.url).pathname, 'dist', 'wasm');
const wabt = await wabtInit();
mkdirSync(out, { recursive: true });
const text = macWat();
const mod = wabt.parseWat('mac.wat', text);
mod.validate();
writeFileSync(join(out, 'mac.wat'), text);
writeFileSync(join(out, 'mac.wasm'), mod.toBinary({}).buffer);
mod.destroy();
