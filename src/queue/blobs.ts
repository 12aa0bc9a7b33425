/** Content-addressed blobs: what a whole run shares (the IR, the multiplier tables, the images) travels once, under
 *  the SHA-256 of its bytes, not with every job. Stored in Redis (`adequate:blob:<hash>`, kept a week after its last
 *  upload), or with a shared folder as files `<dir>/<hash>.bin` that every machine reads under the same path.
 *  A setup is an object whose large fields are stored as blobs of their own and replaced by references in a small
 *  manifest blob: a second run on the same model and images uploads only what changed. Values are v8-serialized
 *  (structured clone: typed arrays, maps and plain objects survive as they are). */
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { deserialize, serialize } from 'node:v8';
import type { Redis } from 'ioredis';

const KEY = 'adequate:blob:';
const KEEP_SECONDS = 7 * 24 * 3600;
/** Setup fields larger than this are blobs of their own. */
const OWN_BLOB_BYTES = 16 << 10;

export interface BlobStore {
  put(bytes: Uint8Array): Promise<string>;
  get(hash: string): Promise<Uint8Array>;
  /** Bytes uploaded by this store so far (what crossed the network for the run's shared data). */
  readonly uploaded: number;
}

export const hashOf = (bytes: Uint8Array) => createHash('sha256').update(bytes).digest('hex');

export function redisBlobs(client: Redis): BlobStore {
  let uploaded = 0;
  return {
    get uploaded() {
      return uploaded;
    },
    async put(bytes) {
      const hash = hashOf(bytes);
      // Already there (an earlier run, another command): refresh its lifetime only.
      if ((await client.expire(KEY + hash, KEEP_SECONDS)) === 1) return hash;
      await client.set(KEY + hash, Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength), 'EX', KEEP_SECONDS);
      uploaded += bytes.byteLength;
      return hash;
    },
    async get(hash) {
      const b = await client.getBuffer(KEY + hash);
      if (!b) throw new Error(`blob ${hash} is not in the queue's Redis (expired or flushed); rerun the command`);
      return b;
    },
  };
}

/** A folder every machine mounts under the same path (NFS, a cluster file system). */
export function folderBlobs(dir: string): BlobStore {
  let uploaded = 0;
  return {
    get uploaded() {
      return uploaded;
    },
    async put(bytes) {
      const hash = hashOf(bytes);
      const file = join(dir, `${hash}.bin`);
      if (existsSync(file)) return hash;
      mkdirSync(dir, { recursive: true });
      const tmp = `${file}.${process.pid}.tmp`;
      writeFileSync(tmp, bytes);
      renameSync(tmp, file);
      uploaded += bytes.byteLength;
      return hash;
    },
    async get(hash) {
      const file = join(dir, `${hash}.bin`);
      if (!existsSync(file)) throw new Error(`blob ${file} is missing; every worker must see the --shared-dir folder under the same path`);
      return readFileSync(file);
    },
  };
}

interface BlobRef {
  readonly $blob: string;
}
const isRef = (v: unknown): v is BlobRef => typeof v === 'object' && v !== null && typeof (v as BlobRef).$blob === 'string';

/** Stores a setup object; returns the hash of its manifest (the setup's identity). */
export async function putSetup(store: BlobStore, setup: Readonly<Record<string, unknown>>): Promise<string> {
  const manifest: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(setup)) {
    // A typed array that views part of a larger buffer would carry the whole buffer: store its own bytes.
    const bytes = serialize(ArrayBuffer.isView(v) && !(v instanceof DataView) && v.byteLength !== v.buffer.byteLength ? (v as Float32Array).slice() : v);
    manifest[k] = bytes.byteLength > OWN_BLOB_BYTES ? ({ $blob: await store.put(bytes) } satisfies BlobRef) : v;
  }
  return store.put(serialize(manifest));
}

export async function getSetup<T>(store: BlobStore, hash: string): Promise<T> {
  const manifest = deserialize(await store.get(hash)) as Record<string, unknown>;
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(manifest)) out[k] = isRef(v) ? deserialize(await store.get(v.$blob)) : v;
  return out as T;
}
