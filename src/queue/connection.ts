/** Where the job queue lives: a `redis://[user:password@]HOST:PORT[/DB]` address parsed once, connection options for
 *  BullMQ (which hands them to ioredis), and a reachability check that turns "no Redis there" into one clear user
 *  error (exit 2) before anything is submitted or written. */
import { Redis } from 'ioredis';
import { userError } from '../errors.js';

/** The BullMQ queue every adequate worker takes jobs from. */
export const QUEUE_NAME = 'adequate';

export interface QueueAddress {
  readonly url: string;
  readonly host: string;
  readonly port: number;
  readonly db: number;
  readonly username?: string;
  readonly password?: string;
}

export function parseQueueUrl(url: string, where = '--queue'): QueueAddress {
  let u: URL;
  try {
    u = new URL(url);
  } catch {
    throw userError('E_USAGE', `${where} ${url} is not an address; give redis://HOST:PORT (for example redis://127.0.0.1:6379)`);
  }
  if (u.protocol !== 'redis:') throw userError('E_USAGE', `${where} ${url} is not a redis:// address; give redis://HOST:PORT`);
  const db = u.pathname && u.pathname !== '/' ? Number(u.pathname.slice(1)) : 0;
  if (!Number.isInteger(db) || db < 0) throw userError('E_USAGE', `${where} ${url}: the database '${u.pathname.slice(1)}' is not a number; give redis://HOST:PORT/DB`);
  return {
    url, host: u.hostname || '127.0.0.1', port: u.port ? Number(u.port) : 6379, db,
    ...(u.username ? { username: decodeURIComponent(u.username) } : {}),
    ...(u.password ? { password: decodeURIComponent(u.password) } : {}),
  };
}

/** The ioredis options adequate sets (a subset of ioredis' RedisOptions, whose type does not accept
 *  exactOptionalPropertyTypes). */
export interface RedisOptions {
  host: string;
  port: number;
  db: number;
  connectTimeout: number;
  username?: string;
  password?: string;
  maxRetriesPerRequest?: number | null;
  retryStrategy?: (times: number) => number | null;
  lazyConnect?: boolean;
}

/** ioredis options. `persistent` (workers): reconnect forever and let commands wait for it; otherwise (the submitting
 *  command) give up after `downSeconds` without Redis, so that a lost queue ends the run with an error. */
export function redisOptions(a: QueueAddress, persistent: boolean, downSeconds = 15): RedisOptions {
  const base: RedisOptions = { host: a.host, port: a.port, db: a.db, connectTimeout: 5000, ...(a.username ? { username: a.username } : {}), ...(a.password ? { password: a.password } : {}) };
  if (persistent) return { ...base, maxRetriesPerRequest: null, retryStrategy: (times) => Math.min(times * 500, 5000) };
  const tries = Math.ceil((downSeconds * 1000) / 500);
  return { ...base, maxRetriesPerRequest: null, retryStrategy: (times) => (times > tries ? null : 500) };
}

/** The error of a queue that cannot be reached. */
export function unreachable(a: QueueAddress, why: string): Error {
  return userError('E_QUEUE', `cannot reach the job queue at ${a.url} (${why}); start Redis there (redis-server --port ${a.port}) or fix --queue`);
}

/** Connects and pings, or throws the user error. The caller owns (and quits) the client. */
export async function connectChecked(a: QueueAddress, persistent: boolean): Promise<Redis> {
  const client = new Redis({ ...redisOptions(a, persistent), lazyConnect: true, retryStrategy: () => null, maxRetriesPerRequest: 0 });
  let cause: string | undefined; // the socket's error (connect() itself only says the connection closed)
  client.on('error', (e: Error) => (cause ??= e.message));
  try {
    await client.connect();
    await client.ping();
  } catch (e) {
    client.disconnect();
    throw unreachable(a, cause ?? (e instanceof Error ? e.message : String(e)));
  }
  client.disconnect();
  return new Redis(redisOptions(a, persistent));
}
